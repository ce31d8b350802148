"""PATCH_COPY (engine only, `tflite_patch.patches`): a window of one tensor into another, rows of pixels,
each tensor's own row stride."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Op


class PatchCopy(Lowering):
    kinds = ("PATCH_COPY",)
    engine_only = True
    sources = ("copy_window.c",)

    def detail(self, graph, op: Op) -> str | None:
        return "{}x{} window".format(*op.attrs.window[4:])

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        """A window of `src` (load, crop) into `dst`, or a patch's output into its slice of the split tensor."""
        src, dst = e.t(op.inputs[0]), e.t(op.outputs[0])
        src_row, src_col, dst_row, dst_col, rows, cols = op.attrs.window
        pixel = src.shape[3] * src.itemsize
        src_at = (src_row * src.shape[2] + src_col) * pixel
        dst_at = e.plan.offsets[op.outputs[0]] + (dst_row * dst.shape[2] + dst_col) * pixel
        if op.inputs[0] in e.plan.external:  # a graph input read straight from the caller's buffer
            src_ptr = f"(const uint8_t *)inputs[{e.graph.inputs.index(op.inputs[0])}] + {src_at}"
        else:
            src_ptr = f"A + {e.plan.offsets[op.inputs[0]] + src_at}"
        e.call("mr_copy_window", src_ptr, src.shape[2] * pixel, f"A + {dst_at}", dst.shape[2] * pixel, rows,
               cols * pixel)
