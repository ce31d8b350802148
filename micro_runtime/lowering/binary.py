"""Two-input int8 elementwise ops with broadcasting: SUB and SQUARED_DIFFERENCE (TFLM's ArithmeticParams),
and the helpers the other elementwise lowerings share (int8 checks, the broadcast folded for the 4-D kernels)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.higher_rank import FoldedBroadcast, fold_broadcast, outer_loops
from tflite_patch.graph import Graph, ModelError, Op


def require_int8(graph: Graph, op: Op, positions_in=(0,), positions_out=(0,)) -> None:
    """The named inputs and outputs are per-tensor quantized int8 tensors (the kernels' only type)."""
    for role, tensors in (("input", [op.inputs[p] for p in positions_in]),
                          ("output", [op.outputs[p] for p in positions_out])):
        for t in tensors:
            tensor = graph.tensors[t]
            if tensor.dtype != "int8":
                raise ModelError(f"{role} tensor {t} is {tensor.dtype}; only int8 is supported")
            if tensor.quant is None or tensor.quant.scale.size != 1:
                raise ModelError(f"{role} tensor {t} needs per-tensor quantization")


def broadcast(graph: Graph, op: Op, a: int, b: int) -> FoldedBroadcast:
    """The broadcast of inputs `a` and `b` into the op's output (which must be their broadcast), folded for
    the 4-D kernels: any rank, as the TFLM wheel (higher_rank)."""
    return fold_broadcast([graph.tensors[a].shape, graph.tensors[b].shape], graph.tensors[op.outputs[0]].shape)


def with_activation(p: dict) -> dict:
    """A quant.py parameter dict with act_min / act_max as the nested mr_activation `activation`."""
    fields = {k: v for k, v in p.items() if k not in ("act_min", "act_max")}
    fields["activation"] = {"min": p["act_min"], "max": p["act_max"]}
    return fields


class BroadcastBinary(Lowering):
    """Two int8 inputs broadcast against each other into one output (int8, or bool for comparisons)."""
    output_dtype = "int8"

    def check(self, graph: Graph, i: int, op: Op) -> None:
        if len(op.inputs) != 2 or min(op.inputs) < 0:
            raise ModelError("takes two input tensors")
        require_int8(graph, op, (0, 1), (0,) if self.output_dtype == "int8" else ())
        out = graph.tensors[op.outputs[0]]
        if out.dtype != self.output_dtype:
            raise ModelError(f"output tensor {op.outputs[0]} is {out.dtype}; {op.kind} writes {self.output_dtype}")
        broadcast(graph, op, op.inputs[0], op.inputs[1])

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        self.check(e.graph, i, op)
        a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
        fold = broadcast(e.graph, op, a, b)
        dims, (stride1, stride2) = fold.strides()
        fn, params = self.params(e, op, {"dims": dims, "stride1": stride1, "stride2": stride2})
        with outer_loops(e, fold.outer, [e.operand(a), e.operand(b), e.ptr(y)], fold.outer_strides) as operands:
            e.call(fn, params, *operands)

    def params(self, e: Emitter, op: Op, shape: dict) -> tuple[str, str]:
        """The kernel's name and its emitted parameter struct."""
        raise NotImplementedError


class Binary(BroadcastBinary):
    """SUB and SQUARED_DIFFERENCE: mr_arithmetic_params (ADD's fields and the broadcast)."""
    kinds = ("SUB", "SQUARED_DIFFERENCE")

    def sources_of(self, kind: str) -> tuple[str, ...]:
        return ("sub.c",) if kind == "SUB" else ("squared_difference.c",)

    def kernel_sources(self, graph, op: Op) -> tuple[str, ...]:
        return self.sources_of(op.kind)

    def params(self, e: Emitter, op: Op, shape: dict) -> tuple[str, str]:
        a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if op.kind == "SUB":
            p = quant.sub_params(*e.q(a), *e.q(b), *e.q(y), op.activation())
        else:
            p = quant.squared_difference_params(*e.q(a), *e.q(b), *e.q(y))
        return (f"mr_{op.kind.lower()}_s8",
                e.params("mr_arithmetic_params", "arith", {"shape": shape, "q": with_activation(p)}))
