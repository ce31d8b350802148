"""ADD and MUL of two int8 tensors, with broadcasting (TFLM's 4-D broadcast rules)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, nhwc
from tflite_patch.graph import Op


class AddMul(Lowering):
    kinds = ("ADD", "MUL")

    def kernel_sources(self, graph, op: Op) -> tuple[str, ...]:
        return ("add.c",) if op.kind == "ADD" else ("mul.c",)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        a, b, y = op.inputs[0], op.inputs[1], op.outputs[0]
        operands = []
        for t in (a, b):
            operands += [e.operand(t), e.array("shape", nhwc(e.t(t).shape))]
        if op.kind == "ADD":
            p = quant.add_params(*e.q(a), *e.q(b), *e.q(y), op.activation())
            e.call("mr_add_s8", *operands, e.ptr(y), p["input1_offset"], p["input2_offset"], p["left_shift"],
                   p["input1_multiplier"], p["input1_shift"], p["input2_multiplier"], p["input2_shift"],
                   p["output_offset"], p["output_multiplier"], p["output_shift"], p["act_min"], p["act_max"])
        else:
            p = quant.mul_params(*e.q(a), *e.q(b), *e.q(y), op.activation())
            e.call("mr_mul_s8", *operands, e.ptr(y), p["input1_offset"], p["input2_offset"], p["output_offset"],
                   p["output_multiplier"], p["output_shift"], p["act_min"], p["act_max"])
