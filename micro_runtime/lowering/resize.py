"""RESIZE_NEAREST_NEIGHBOR (int8)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering, dims
from tflite_patch.graph import Op


class ResizeNearestNeighbor(Lowering):
    kinds = ("RESIZE_NEAREST_NEIGHBOR",)
    sources = ("resize_nearest_neighbor.c",)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        params = e.params("mr_resize_params", "resize", {
            "input": dims(e.t(x).shape), "output": dims(e.t(y).shape),
            "align_corners": bool(op.options.get("alignCorners", False)),
            "half_pixel_centers": bool(op.options.get("halfPixelCenters", False))})
        e.call("mr_resize_nearest_neighbor_s8", params, e.ptr(x, True), e.ptr(y))
