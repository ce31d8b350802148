"""PAD and PADV2 int16: the int8 family's shapes and checks for int16, the int16 kernel."""
from __future__ import annotations

from micro_runtime.lowering.pad import Pad
from tflite_patch.graph import Graph, Op


class PadS16(Pad):
    activation_type = "int16"
    dtype = "int16"

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return "pad_s16"
