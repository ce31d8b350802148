"""CONV_2D: the GEMM kernels of mr_fast.h (1x1, 1x1 in place, im2col, row by row over its own input,
fused with the ADD that reads it) and the reference kernel for dilated windows."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, align4
from micro_runtime.lowering.conv_common import (conv_params, conv_struct, dilation, fast_takes, geometry, has_bias,
                                                window_detail, window_output_hw)
from micro_runtime.lowering.elementwise import ADD_SOURCES
from tflite_patch.graph import Graph, ModelError, Op


def gemm_row(k: int) -> int:
    """MR_GEMM_ROW: the values of each input and filter row the GEMM kernels read (a multiple of 16)."""
    return (k + 15) // 16 * 16


def gemm_stride(k: int) -> int:
    """MR_GEMM_STRIDE: the distance between filter rows of the GEMM kernels (k rounded up to a word)."""
    return align4(k)


def gemm_filter_bytes(out_c: int, k: int) -> int:
    """Bytes of a GEMM filter (`gemm_filter`): out_c rows MR_GEMM_STRIDE(k) apart, then the zeros the last
    row's read of MR_GEMM_ROW(k) values runs into."""
    return out_c * gemm_stride(k) + gemm_row(k) - gemm_stride(k)


def gemm_filter(e: Emitter, w: int, data: np.ndarray | None = None) -> str:
    """The filter of a GEMM conv kernel (mr_fast.h): OHWI rows (tensor `w`'s, or `data`) zero-padded to
    MR_GEMM_STRIDE, then zeros up to MR_GEMM_ROW after the last row (the values a row read finds past its own
    multiply zero inputs)."""
    data = e.t(w).data if data is None else data
    rows = data.reshape(data.shape[0], -1)
    k = rows.shape[1]
    if gemm_row(k) == k:
        return e.const(w) if data is e.t(w).data else e.const(w, data)
    flat = np.pad(rows, ((0, 0), (0, gemm_stride(k) - k))).reshape(-1)
    return e.const(w, np.pad(flat, (0, gemm_row(k) - gemm_stride(k))))


def conv_scratch_bytes(kh: int, kw: int, in_c: int) -> int:
    """MR_CONV_SCRATCH_BYTES: two im2col rows of the GEMM core (int16 on the portable path)."""
    return 4 * gemm_row(kh * kw * in_c)


class Conv2D(Lowering):
    kinds = ("CONV_2D",)
    sources = ("conv.c", *ADD_SOURCES, "conv_fast.c", "conv_fast_dsp.c", "conv_fast_x86.c",
               "conv_fast_mve.c")

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        """conv_add (fused with its ADD), conv_rows (row by row over its own input), conv1x1_inplace,
        conv1x1, conv_dilated (the reference kernel: dilated windows, and what the fast kernels cannot take
        exactly, `fast_takes`) or conv (im2col GEMM)."""
        reference = dilation(op) != (1, 1) or not fast_takes(graph, op)
        inplace = op.attrs.inplace
        if op.attrs.fused_add is not None:
            return "conv_add"
        if inplace is not None and inplace.order == "rows":
            return "conv_rows"
        if inplace is not None:
            return "conv1x1_inplace"
        if reference:
            return "conv_dilated"
        return "conv1x1" if geometry(graph, op).pointwise else "conv"

    def family(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        kernel = self.kernel(graph, op, scratch_bytes)
        return "conv" if kernel == "conv_dilated" else kernel  # no dilated layer was fitted: the GEMM's

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        x, w = graph.tensors[op.inputs[0]].shape, graph.tensors[op.inputs[1]].shape
        if w[3] != x[3]:
            raise ModelError(f"filter {list(w)} does not match input {list(x)}")
        return [(x[0], *window_output_hw(graph, op), w[0])]

    def check(self, graph: Graph, i: int, op: Op) -> None:
        if op.attrs.fused_add is not None and dilation(op) != (1, 1):
            raise ModelError("dilated conv fused with ADD is not supported")
        if (op.attrs.fused_add is not None or op.attrs.inplace is not None) and not fast_takes(graph, op):
            raise ModelError("a negative filter scale on a channel with a -128 weight (or an accumulator that may "
                             "reach -2^31) in a conv the schedule runs in place or fused with its ADD")

    def scratch_bytes(self, graph: Graph, op: Op) -> int | None:
        if self.kernel(graph, op) == "conv_dilated" or len(graph.tensors[op.inputs[0]].shape) != 4 \
                or len(graph.tensors[op.outputs[0]].shape) != 4:
            return None
        g = geometry(graph, op)
        im2col = conv_scratch_bytes(g.k_h, g.k_w, g.in_c)
        kernel = self.kernel(graph, op)
        if kernel == "conv_add":
            return align4(2 * g.out_c) + im2col
        if kernel == "conv_rows":
            return align4(g.out_w * g.out_c) + im2col
        return im2col  # 1x1 (in place or not) and other convs: two GEMM rows

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        w = graph.tensors[op.inputs[1]]
        channels = w.shape[0]
        if self.kernel(graph, op) == "conv_dilated":  # reference kernel: TFLite's filter and bias, int32 shifts
            return w.nbytes + (4 * channels if has_bias(op) else 0) + 8 * channels
        return gemm_filter_bytes(channels, int(np.prod(w.shape[1:]))) + 4 * channels + 5 * channels

    def detail(self, graph: Graph, op: Op) -> str | None:
        return window_detail(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        kernel = self.kernel(e.graph, op)
        g = geometry(e.graph, op)
        x, y = op.inputs[0], op.outputs[0]
        fast = kernel != "conv_dilated"
        p = conv_params(e, op, folded=fast, fast=fast, gemm_filter=gemm_filter)
        fields = conv_struct(g, p, p["gemm_filter"], p["folded_bias"], True) if fast \
            else conv_struct(g, p, p["filter"], p["bias"], False)
        conv = e.params("mr_conv_params", "conv", fields)
        if kernel == "conv_add":
            add = e.params("mr_add_params", "add", self._add_fields(e, op))
            e.call("mr_conv2d_add_fast_s8", conv, add, e.ptr(x, True), e.ptr(op.inputs[-1], True), e.ptr(y),
                   e.scratch(i))
        elif kernel == "conv_rows":
            assert e.plan.offsets[y] - e.plan.offsets[x] == op.attrs.inplace.offset
            e.call("mr_conv2d_rows_fast_s8", conv, e.ptr(x, True), e.ptr(y), e.scratch(i))
        elif kernel == "conv1x1_inplace":
            assert e.plan.offsets[x] == e.plan.offsets[y]
            e.call("mr_conv1x1_inplace_fast_s8", conv, e.ptr(y), e.scratch(i))
        elif kernel == "conv1x1":
            e.call("mr_conv1x1_fast_s8", conv, e.ptr(x, True), e.ptr(y), e.scratch(i))
        elif kernel == "conv_dilated":
            e.call("mr_conv2d_dilated_s8", conv, e.ptr(x, True), e.ptr(y))
        else:
            e.call("mr_conv2d_fast_s8", conv, e.ptr(x, True), e.ptr(y), e.scratch(i))

    @staticmethod
    def _add_fields(e: Emitter, op: Op) -> dict:
        """The fused ADD's `mr_add_params`, the conv's output as input 1 (ADD sums its two rescaled inputs: the
        order does not change the bytes)."""
        fused = op.attrs.fused_add
        a, b = fused.add.inputs
        skip = b if a == fused.conv_output else a
        ap = quant.add_params(*e.q(fused.conv_output), *e.q(skip), *e.q(op.outputs[0]), fused.add.activation())
        fields = {k: v for k, v in ap.items() if k not in ("act_min", "act_max")}
        return dict(fields, activation=dict(min=ap["act_min"], max=ap["act_max"]))
