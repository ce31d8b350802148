"""RESIZE_NEAREST_NEIGHBOR (int8)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering, nhwc
from tflite_patch.graph import Op


class ResizeNearestNeighbor(Lowering):
    kinds = ("RESIZE_NEAREST_NEIGHBOR",)
    sources = ("resize_nearest_neighbor.c",)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        n, in_h, in_w, c = nhwc(e.t(x).shape)
        _, out_h, out_w, _ = nhwc(e.t(y).shape)
        e.call("mr_resize_nearest_neighbor_s8", e.ptr(x, True), n, in_h, in_w, c, e.ptr(y), out_h, out_w,
               int(bool(op.options.get("alignCorners", False))), int(bool(op.options.get("halfPixelCenters", False))))
