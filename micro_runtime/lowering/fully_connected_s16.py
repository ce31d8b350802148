"""FULLY_CONNECTED 16x8: int16 input and output, int8 filter (per tensor or per channel), int32 or int64
bias (TFLM's reference_integer_ops::FullyConnected for int16)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.s16_common import bias_bytes, bias_s16, require_int16
from tflite_patch.graph import Graph, Op


class FullyConnectedS16(Lowering):
    kinds = ("FULLY_CONNECTED",)
    sources = ("fully_connected_s16.c",)
    activation_type = "int16"

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return "fully_connected_s16"

    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int16(graph, (op.inputs[0], op.outputs[0]))

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        w = graph.tensors[op.inputs[1]]
        return w.nbytes + bias_bytes(graph, op) + 8 * (w.shape[0] if w.quant.per_channel else 1)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        filt = e.t(w)
        out_n, in_n = filt.shape
        (s_in, zp_in), (s_out, zp_out) = e.q(x), e.q(y)
        scales = filt.quant.scale if filt.quant.per_channel else filt.quant.scale[:1]  # one per output or one
        mults, shifts = quant.conv_output_multipliers(s_in, scales, s_out, len(scales))
        act = quant.activation_range(op.activation(), s_out, zp_out, "int16")
        bias32, bias64 = bias_s16(e, op)
        fc = dict(batches=int(np.prod(e.t(x).shape)) // in_n, input_depth=in_n, output_depth=out_n,
                  input_offset=-zp_in, filter_offset=-int(filt.quant.zero_point[0]), output_offset=zp_out,
                  per_channel=int(bool(filt.quant.per_channel)), activation=dict(min=act[0], max=act[1]),
                  filter=e.const(w), bias=bias32,
                  quant=dict(multiplier=e.array("m", mults), shift=e.array("s", shifts), rshift_m1="NULL"))
        params = e.params("mr_fully_connected_s16_params", "fc", dict(fc=fc, bias64=bias64))
        e.call("mr_fully_connected_s16", params, e.ptr(x, True), e.ptr(y))
