"""ADD and MUL of two int8 tensors, with broadcasting of any rank (folded for the 4-D kernels, higher_rank)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, broadcast_shape, dims
from micro_runtime.lowering.higher_rank import fold_broadcast, outer_loops
from tflite_patch.graph import ModelError, Op

ADD_SOURCES = ("add.c", "add_x86.c")  # also the fused ADD of a conv


def arithmetic_fields(p: dict) -> dict:
    """quant.add_params / quant.mul_params as the fields of mr_add_params / mr_mul_params."""
    fields = {k: v for k, v in p.items() if k not in ("act_min", "act_max")}
    return {**fields, "activation": {"min": p["act_min"], "max": p["act_max"]}}


def add_params(e: Emitter, input1: int, input2: int, output: int, activation: str | None) -> str:
    """TFLM's ADD parameters of input1 + input2 -> output, emitted as an mr_add_params; returns its address."""
    p = quant.add_params(*e.q(input1), *e.q(input2), *e.q(output), activation)
    return e.params("mr_add_params", "add", arithmetic_fields(p))


class AddMul(Lowering):
    kinds = ("ADD", "MUL")

    def sources_of(self, kind: str) -> tuple[str, ...]:
        return ADD_SOURCES if kind == "ADD" else ("mul.c",)

    def kernel_sources(self, graph, op: Op) -> tuple[str, ...]:
        return self.sources_of(op.kind)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        return [broadcast_shape(graph.tensors[op.inputs[0]].shape, graph.tensors[op.inputs[1]].shape)]

    def check(self, graph, i: int, op: Op) -> None:
        for t in op.inputs[:2]:
            if graph.tensors[t].dtype != "int8":
                raise ModelError(f"input {t} is {graph.tensors[t].dtype}; {op.kind} takes int8")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if op.kind == "ADD":
            fn, params = "mr_add_s8", add_params(e, a, b, y, op.activation())
        else:
            p = quant.mul_params(*e.q(a), *e.q(b), *e.q(y), op.activation())
            fn, params = "mr_mul_s8", e.params("mr_mul_params", "mul", arithmetic_fields(p))
        fold = fold_broadcast([e.t(a).shape, e.t(b).shape], e.t(y).shape)  # any rank (higher_rank)
        shape_a, shape_b = (e.params("mr_dims", "shape", dims(s)) for s in fold.shapes)
        with outer_loops(e, fold.outer, [e.operand(a), e.operand(b), e.ptr(y)], fold.outer_strides) as (x1, x2, out):
            e.call(fn, params, x1, shape_a, x2, shape_b, out)
