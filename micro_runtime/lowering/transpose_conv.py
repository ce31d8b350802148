"""TRANSPOSE_CONV int8 (TFLM transpose_conv.cc): inputs (output_shape, filter OHWI, input[, bias]); TFLM ignores
the output_shape tensor and takes the geometry from the output tensor, as here. Per-channel (or per-tensor)
int8 filter, stored in the kernel's blocks of four output channels (`filter_blocks`), int32 bias or none; the
int32 accumulators (one per output value) are the op's scratch."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, nhwc
from tflite_patch.graph import Graph, ModelError, Op


def _bias(op: Op) -> int | None:
    return op.inputs[3] if len(op.inputs) > 3 and op.inputs[3] >= 0 else None


def filter_blocks(filt: np.ndarray) -> np.ndarray:
    """The OHWI filter as mr_transpose_conv_s8 reads it: blocks of four output channels, each tap's input
    channels in groups of four with the four channels' values of a group together, zeros past out_c and in_c:
    [ceil(O/4)][H][W][ceil(I/4)][4][4]."""
    o, h, w, i = filt.shape
    padded = np.zeros((-(-o // 4) * 4, h, w, -(-i // 4) * 4), np.int8)
    padded[:o, :, :, :i] = filt
    blocks = padded.reshape(-1, 4, h, w, padded.shape[3] // 4, 4)  # [block][channel][H][W][group][value]
    return blocks.transpose(0, 2, 3, 4, 1, 5)


def _window(graph: Graph, op: Op) -> dict:
    """Kernel size, strides and the padding TFLM computes (ComputePaddingHeightWidth with the output's
    height and width as the convolution's input)."""
    _, k_h, k_w, _ = graph.tensors[op.inputs[1]].shape
    _, out_h, out_w, _ = graph.tensors[op.outputs[0]].shape
    s_h, s_w = int(op.options.get("strideH", 1)), int(op.options.get("strideW", 1))
    padding = op.padding()
    _, pad_top, _ = quant.compute_padding(out_h, k_h, s_h, padding)
    _, pad_left, _ = quant.compute_padding(out_w, k_w, s_w, padding)
    return dict(k_h=k_h, k_w=k_w, stride_h=s_h, stride_w=s_w, pad_top=pad_top, pad_left=pad_left, dilation_h=1,
                dilation_w=1)


class TransposeConv(Lowering):
    kinds = ("TRANSPOSE_CONV",)
    sources = ("transpose_conv.c", "transpose_conv_dsp.c")

    def check(self, graph: Graph, i: int, op: Op) -> None:
        x, w, y = (graph.tensors[t] for t in (op.inputs[2], op.inputs[1], op.outputs[0]))
        if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
            raise ModelError("input, filter and output must be 4-D")
        if x.dtype != "int8" or y.dtype != "int8":
            raise ModelError("input and output must be int8")
        if w.dtype != "int8" or not w.is_constant or w.quant is None:
            raise ModelError("filter must be a constant quantized int8 tensor")
        if w.quant.scale.size not in (1, w.shape[0]) or w.quant.zero_point.size != w.quant.scale.size:
            raise ModelError(f"filter has {w.quant.scale.size} scales for {w.shape[0]} output channels")
        if x.shape[3] != w.shape[3] or y.shape[3] != w.shape[0] or x.shape[0] != y.shape[0]:
            raise ModelError(f"input {list(x.shape)}, filter {list(w.shape)} and output {list(y.shape)} do not match")
        if min(int(op.options.get("strideH", 1)), int(op.options.get("strideW", 1))) < 1:
            raise ModelError("strides must be positive")
        b = _bias(op)
        if b is not None and (graph.tensors[b].dtype != "int32" or graph.tensors[b].data is None
                              or graph.tensors[b].data.size != w.shape[0]):
            raise ModelError("bias must be a constant int32 tensor of one value per output channel")

    def scratch_bytes(self, graph: Graph, op: Op) -> int:
        """TFLM's int32 accumulators, one per output value (of one batch: the kernel runs batch by batch)."""
        _, h, w, c = nhwc(graph.tensors[op.outputs[0]].shape)
        return 4 * h * w * c

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        channels = graph.tensors[op.inputs[1]].shape[0]
        blocked = filter_blocks(graph.tensors[op.inputs[1]].data).size
        return blocked + (4 * channels if _bias(op) is not None else 0) + 8 * channels

    def detail(self, graph: Graph, op: Op) -> str:
        win = _window(graph, op)
        return f"{win['k_h']}x{win['k_w']}/{win['stride_h']}"

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
        s_in, zp_in = e.q(x)
        s_out, zp_out = e.q(y)
        filt = e.t(w)
        mults, shifts = quant.conv_output_multipliers(s_in, filt.quant.scale, s_out, filt.shape[0])
        act = quant.activation_range(op.activation(), s_out, zp_out)
        b = _bias(op)
        fields = dict(input=dict(zip("nhwc", e.t(x).shape)), output=dict(zip("nhwc", e.t(y).shape)),
                      window=_window(e.graph, op), depth_multiplier=1, input_offset=-zp_in, output_offset=zp_out,
                      activation=dict(min=act[0], max=act[1]), filter=e.const(w, filter_blocks(filt.data)),
                      bias=e.const(b) if b is not None else "NULL",
                      quant=dict(multiplier=e.array("m", mults), shift=e.array("s", shifts), rshift_m1="NULL"))
        e.call("mr_transpose_conv_s8", e.params("mr_conv_params", "tconv", fields), e.ptr(x, True), e.ptr(y),
               f"(int32_t *){e.scratch(i)}")
