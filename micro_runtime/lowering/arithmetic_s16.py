"""ADD, SUB and MUL 16x8: two int16 tensors broadcast against each other into an int16 output (TFLM's int16
paths: ADD and SUB with left_shift 15, MUL's product requantized)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.binary import broadcast, with_activation
from micro_runtime.lowering.higher_rank import outer_loops
from micro_runtime.lowering.s16_common import require_int16
from tflite_patch.graph import Graph, ModelError, Op


class ArithmeticS16(Lowering):
    kinds = ("ADD", "SUB", "MUL")
    sources = ("arithmetic_s16.c",)
    activation_type = "int16"

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return f"{op.kind.lower()}_s16"

    def check(self, graph: Graph, i: int, op: Op) -> None:
        if len(op.inputs) != 2 or min(op.inputs) < 0:
            raise ModelError("takes two input tensors")
        require_int16(graph, (*op.inputs, op.outputs[0]))
        broadcast(graph, op, op.inputs[0], op.inputs[1])

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
        fold = broadcast(e.graph, op, a, b)
        dims, (stride1, stride2) = fold.strides()
        shape = {"dims": dims, "stride1": stride1, "stride2": stride2}
        if op.kind == "MUL":
            p = quant.mul_params(*e.q(a), *e.q(b), *e.q(y), op.activation(), dtype="int16")
            params = e.params("mr_mul_broadcast_params", "mul", {"shape": shape, "q": with_activation(p)})
        else:  # SUB's parameters are ADD's (quant.sub_params)
            p = quant.add_params(*e.q(a), *e.q(b), *e.q(y), op.activation(), left_shift=15, dtype="int16")
            params = e.params("mr_arithmetic_params", "arith", {"shape": shape, "q": with_activation(p)})
        with outer_loops(e, fold.outer, [e.operand(a), e.operand(b), e.ptr(y)], fold.outer_strides) as operands:
            e.call(f"mr_{op.kind.lower()}_s16", params, *operands)
