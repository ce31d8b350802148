"""MAXIMUM and MINIMUM of two int8 tensors with broadcasting (TFLM maximum_minimum.cc: raw values compared,
no quantization read)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter
from micro_runtime.lowering.binary import BroadcastBinary
from tflite_patch.graph import Op


class MaximumMinimum(BroadcastBinary):
    kinds = ("MAXIMUM", "MINIMUM")
    sources = ("maximum_minimum.c",)

    def params(self, e: Emitter, op: Op, shape: dict) -> tuple[str, str]:
        return f"mr_{op.kind.lower()}_s8", e.params("mr_broadcast4", "bcast", shape)
