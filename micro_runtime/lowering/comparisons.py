"""EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL of two int8 tensors with broadcasting, bool out
(TFLM comparisons.cc: both inputs rescaled by their own scales, then compared)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter
from micro_runtime.lowering.binary import BroadcastBinary, with_activation
from tflite_patch.graph import Op

COMPARISONS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")


class Comparison(BroadcastBinary):
    kinds = COMPARISONS
    sources = ("comparisons.c",)
    types = ("int8 -> bool",)
    output_dtype = "bool"

    def params(self, e: Emitter, op: Op, shape: dict) -> tuple[str, str]:
        p = quant.comparison_params(*e.q(op.inputs[0]), *e.q(op.inputs[1]))
        fields = {"shape": shape, "q": with_activation(p)}
        return "mr_compare_s8", f"{e.params('mr_arithmetic_params', 'cmp', fields)}, MR_{op.kind}"
