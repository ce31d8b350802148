"""AVERAGE_POOL_2D and MAX_POOL_2D int16: the int8 family's geometry and parameters, int16 kernels."""
from __future__ import annotations

from micro_runtime.lowering.pooling import Pool2D
from micro_runtime.lowering.s16_common import require_int16
from tflite_patch.graph import Graph, Op


class PoolS16(Pool2D):
    activation_type = "int16"
    dtype = "int16"

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return f"{op.kind.lower()}_s16"

    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int16(graph, (op.inputs[0], op.outputs[0]))
