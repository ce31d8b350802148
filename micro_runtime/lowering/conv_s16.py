"""CONV_2D and DEPTHWISE_CONV_2D 16x8: int16 input and output, int8 filter (zero point 0, per channel or per
tensor), int32 or int64 bias; TFLM's int16 reference kernels, any stride, dilation and (folded) padding."""
from __future__ import annotations

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.conv_common import conv_params, conv_struct, geometry, has_bias, window_detail
from micro_runtime.lowering.s16_common import bias_bytes, bias_s16, require_int16
from tflite_patch.graph import Graph, ModelError, Op


class ConvS16(Lowering):
    kinds = ("CONV_2D", "DEPTHWISE_CONV_2D")
    sources = ("conv_s16.c",)
    activation_type = "int16"

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        return "conv2d_s16" if op.kind == "CONV_2D" else "depthwise_conv2d_s16"

    def check(self, graph: Graph, i: int, op: Op) -> None:
        require_int16(graph, (op.inputs[0], op.outputs[0]))
        geometry(graph, op)
        if op.kind == "DEPTHWISE_CONV_2D" and (not has_bias(op) or graph.tensors[op.inputs[2]].dtype != "int64"):
            # TFLM's int16 kernel reads an int64 bias whatever there is: it crashes or reads past the end
            raise ModelError("a 16x8 DEPTHWISE_CONV_2D needs an int64 bias (TFLM's int16 kernel reads one)")

    def detail(self, graph: Graph, op: Op) -> str | None:
        return window_detail(graph, op)

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        out_c = graph.tensors[op.outputs[0]].shape[-1]
        return graph.tensors[op.inputs[1]].nbytes + bias_bytes(graph, op) + 8 * out_c

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        g = geometry(e.graph, op)
        p = conv_params(e, op, folded=False, fast=False)
        p["act"] = quant.activation_range(op.activation(), *e.q(op.outputs[0]), "int16")
        bias32, bias64 = bias_s16(e, op)
        depthwise = op.kind == "DEPTHWISE_CONV_2D"
        conv = conv_struct(g, p, p["filter"], bias32, False, g.out_c // g.in_c if depthwise else 1)
        params = e.params("mr_conv_s16_params", "conv", dict(conv=conv, bias64=bias64))
        e.call("mr_depthwise_conv2d_s16" if depthwise else "mr_conv2d_s16", params, e.ptr(op.inputs[0], True),
               e.ptr(op.outputs[0]))
