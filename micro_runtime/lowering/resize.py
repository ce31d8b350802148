"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (int8): one parameter struct, one kernel each."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering, dims
from tflite_patch.graph import ModelError, Op


class ResizeNearestNeighbor(Lowering):
    kinds = ("RESIZE_NEAREST_NEIGHBOR",)
    sources = ("resize_nearest_neighbor.c",)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        x = graph.tensors[op.inputs[0]].shape
        size = graph.tensors[op.inputs[1]].data.reshape(-1)
        if len(x) != 4 or size.size != 2 or size.min() < 1:
            raise ModelError(f"size {size.tolist()} for an input of shape {list(x)}")
        return [(x[0], int(size[0]), int(size[1]), x[3])]

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        params = e.params("mr_resize_params", "resize", {
            "input": dims(e.t(x).shape), "output": dims(e.t(y).shape),
            "align_corners": bool(op.options.get("alignCorners", False)),
            "half_pixel_centers": bool(op.options.get("halfPixelCenters", False))})
        e.call(f"mr_{op.kind.lower()}_s8", params, e.ptr(x, True), e.ptr(y))


class ResizeBilinear(ResizeNearestNeighbor):
    """reference_ops::ResizeBilinearInteger; TFLM's Prepare refuses align_corners with half_pixel_centers."""
    kinds = ("RESIZE_BILINEAR",)
    sources = ("resize_bilinear.c",)

    def check(self, graph, i: int, op: Op) -> None:
        if any(graph.tensors[t].dtype != "int8" for t in (op.inputs[0], op.outputs[0])):
            raise ModelError("input and output must be int8")
        if op.options.get("alignCorners", False) and op.options.get("halfPixelCenters", False):
            raise ModelError("align_corners and half_pixel_centers are both set (TFLM refuses it)")
