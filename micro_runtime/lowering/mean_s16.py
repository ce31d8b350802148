"""MEAN int16 over contiguous axes: the int8 family's blocks and parameters, the int16 kernel."""
from __future__ import annotations

from micro_runtime.lowering.mean import Mean
from micro_runtime.lowering.s16_common import require_int16
from tflite_patch.graph import Graph, Op


class MeanS16(Mean):
    activation_type = "int16"
    kernel_name = "mr_mean_s16"

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return "mean_s16"

    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int16(graph, (op.inputs[0], op.outputs[0]))
