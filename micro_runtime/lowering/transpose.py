"""TRANSPOSE of an int8 tensor (rank <= 6 as TFLM)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Op


class Transpose(Lowering):
    kinds = ("TRANSPOSE",)
    sources = ("transpose.c",)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        perm = e.t(op.inputs[1]).data.reshape(-1)
        e.call("mr_transpose_s8", e.ptr(x, True), len(perm), e.array("shape", e.t(x).shape), e.array("perm", perm),
               e.ptr(y))
