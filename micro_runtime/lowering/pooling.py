"""AVERAGE_POOL_2D and MAX_POOL_2D (int8, input and output quantized alike)."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.conv_common import single_batch, window_detail
from tflite_patch.graph import ModelError, Op
from tflite_patch.passes import op_padding, op_window


class Pool2D(Lowering):
    kinds = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
    sources = ("pooling.c",)

    def detail(self, graph, op: Op) -> str | None:
        return window_detail(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        in_h, in_w, c = single_batch(e.graph, op, x)
        out_h, out_w, _ = single_batch(e.graph, op, y)
        kh, kw, sh, sw = op_window(e.graph, op)
        top, _, left, _ = op_padding(e.graph, op)
        if e.q(x) != e.q(y):
            raise ModelError("input and output quantization differ")
        act = quant.activation_range(op.activation(), *e.q(y))
        fn = "mr_avg_pool_s8" if op.kind == "AVERAGE_POOL_2D" else "mr_max_pool_s8"
        e.call(fn, e.ptr(x, True), in_h, in_w, c, kh, kw, sh, sw, top, left, e.ptr(y), out_h, out_w, *act)
