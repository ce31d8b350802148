"""AVERAGE_POOL_2D and MAX_POOL_2D (int8, input and output quantized alike)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, dims
from micro_runtime.lowering.conv_common import single_batch, window_detail, window_output_hw
from tflite_patch.graph import ModelError, Op
from tflite_patch.passes import op_padding, op_window


class Pool2D(Lowering):
    kinds = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
    sources = ("pooling.c",)
    dtype = "int8"  # of the activations (pooling_s16.PoolS16: int16)

    def detail(self, graph, op: Op) -> str | None:
        return window_detail(graph, op)

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        n, _, _, c = graph.tensors[op.inputs[0]].shape
        return [(n, *window_output_hw(graph, op), c)]

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        single_batch(e.graph, op, x)
        kh, kw, sh, sw = op_window(e.graph, op)
        top, _, left, _ = op_padding(e.graph, op)
        if e.q(x) != e.q(y):
            raise ModelError("input and output quantization differ")
        act_min, act_max = quant.activation_range(op.activation(), *e.q(y), self.dtype)
        if op.kind == "MAX_POOL_2D" and self.dtype == "int8":  # TFLM clamps with std::max<int8_t> / std::min<int8_t>
            low, high = (int(np.int64(v).astype(np.int8)) for v in quant.activation_bounds(op.activation(), *e.q(y)))
            act_min, act_max = min(low, high), high
        params = e.params("mr_pool_params", "pool", {
            "input": dims(e.t(x).shape), "output": dims(e.t(y).shape),
            "window": {"k_h": kh, "k_w": kw, "stride_h": sh, "stride_w": sw, "pad_top": top, "pad_left": left,
                       "dilation_h": 1, "dilation_w": 1},
            "activation": {"min": act_min, "max": act_max}})
        fn = f"mr_{'avg' if op.kind == 'AVERAGE_POOL_2D' else 'max'}_pool_{'s16' if self.dtype == 'int16' else 's8'}"
        e.call(fn, params, e.ptr(x, True), e.ptr(y))
