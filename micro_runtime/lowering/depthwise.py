"""DEPTHWISE_CONV_2D: the fast kernels of mr_depthwise_fast.h (depth multiplier 1; in place over its
input through a ring of input rows, by rows or channel by channel), mr_depthwise_conv2d_general_s8 for other
depth multipliers and dilated windows (blocks of four channels on the Arm DSP path) and the reference kernels.
The functions below mirror the C sizes (tests/test_depthwise_scratch_sizes.py
checks them against it)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.conv_common import (ConvGeometry, conv_params, conv_struct, dilation, fast_takes,
                                                geometry, has_bias, window_detail, window_output_hw)
from tflite_patch.graph import Graph, ModelError, Op
from tflite_patch.passes import op_padding, op_window, wide_zero_points

DW_RING_MIN_PIXELS = 64  # MR_DW_RING_MIN_PIXELS
MODES = ("ring16", "ring8", "rows", "channels")  # the in-place kernel's, in the order of MR_DEPTHWISE_RING16 ...
UNROLLED = (3, 5, 7)  # the window widths with code of their own: mr_depthwise_k3, _k5, _k7
FAST_SOURCES = ("depthwise_fast.c", "depthwise_fast_dsp.c", "depthwise_fast_x86.c", "depthwise_fast_mve.c")
GENERAL_SOURCES = ("depthwise_general_dsp.c",)


def depthwise_row_delay(in_w: int, c: int, stride_h: int, pad_top: int, out_h: int, out_w: int) -> int:
    """mr_depthwise_inplace_row_delay: output rows the in-place depthwise keeps in scratch in rows mode."""
    row_in, row_out = in_w * c, out_w * c
    for d in range(1, out_h):
        if all((w + 1) * row_out <= max((w + d) * stride_h - pad_top, 0) * row_in for w in range(out_h - d)):
            return d
    return out_h


def depthwise_ring_bytes(kh: int, kw: int, sw: int, top: int, left: int, out_h: int, out_w: int,
                         narrow: bool) -> int | None:
    """mr_depthwise_ring_bytes (int16 rows, or int8 when `narrow`) when mr_depthwise_ring_fits (the in-place
    depthwise's ring mode), else None."""
    if kh != kw or kh not in (3, 5, 7) or sw not in (1, 2) or top < 0 or left < 0 or out_h * out_w < DW_RING_MIN_PIXELS:
        return None
    return kh * ((out_w - 1) * sw + kw + (1 if narrow else 0)) * (1 if narrow else 2)


def depthwise_inplace_mode(in_h: int, in_w: int, c: int, kh: int, kw: int, sh: int, sw: int, top: int, left: int,
                           out_h: int, out_w: int, scratch_bytes: int) -> str:
    """The mode mr_depthwise_conv2d_inplace_fast_s8 takes with `scratch_bytes` of scratch: "ring16", "ring8"
    (a ring of int16 / int8 input rows, channel by channel), "rows" or "channels" (mr_depthwise_fast.h)."""
    for narrow, mode in ((False, "ring16"), (True, "ring8")):
        ring = depthwise_ring_bytes(kh, kw, sw, top, left, out_h, out_w, narrow)
        if ring is not None and ring <= scratch_bytes:
            gathered = [y * sh - top + kh for y in range(out_h)]
            if all(g >= in_h or (y + 1) * out_w <= g * in_w for y, g in enumerate(gathered)):
                return mode
            break
    if depthwise_row_delay(in_w, c, sh, top, out_h, out_w) * out_w * c <= scratch_bytes:
        return "rows"
    return "channels"


def depthwise_mode_bytes(g: ConvGeometry, mode: str) -> int | None:
    """mr_depthwise_inplace_scratch_bytes: the scratch the in-place kernel's `mode` (one of MODES) needs, None
    where the layer cannot take it."""
    if mode in ("ring16", "ring8"):
        return depthwise_ring_bytes(g.k_h, g.k_w, g.stride_w, g.pad_top, g.pad_left, g.out_h, g.out_w,
                                    mode == "ring8")
    if mode == "rows":
        return depthwise_row_delay(g.in_w, g.in_c, g.stride_h, g.pad_top, g.out_h, g.out_w) * g.out_w * g.out_c
    return g.out_h * g.out_w


def depthwise_unrolled(g: ConvGeometry) -> str:
    """The code unrolled for the window's width the fast kernels' call passes (NULL: none)."""
    return f"&mr_depthwise_k{g.k_w}" if g.k_w in UNROLLED else "NULL"


def _planar(graph: Graph, op: Op) -> bool:
    """Both tensors NHWC and the window not dilated: what the fast kernels' scratch sizes assume."""
    return dilation(op) == (1, 1) and len(graph.tensors[op.inputs[0]].shape) == 4 \
        and len(graph.tensors[op.outputs[0]].shape) == 4


class DepthwiseConv2D(Lowering):
    kinds = ("DEPTHWISE_CONV_2D",)
    sources = ("depthwise_conv.c",)
    optional_sources = FAST_SOURCES + GENERAL_SOURCES

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        """depthwise_inplace[_MODE] (fast, over its own input; MODE from the scratch it has), depthwise_dilated
        or depthwise_mult (mr_depthwise_conv2d_general_s8), or depthwise (fast); each with _kKsS (kernel height,
        stride)."""
        kh, kw, sh, sw = op_window(graph, op)
        if op.attrs.inplace is not None and dilation(op) == (1, 1):
            mode = "_inplace"
            if scratch_bytes is not None:
                _, in_h, in_w, c = graph.tensors[op.inputs[0]].shape
                _, out_h, out_w, _ = graph.tensors[op.outputs[0]].shape
                top, _, left, _ = op_padding(graph, op)
                mode += "_" + depthwise_inplace_mode(in_h, in_w, c, kh, kw, sh, sw, top, left, out_h, out_w,
                                                     scratch_bytes)
        elif dilation(op) != (1, 1):
            mode = "_dilated"
        elif not self._same_channels(graph, op):
            mode = "_mult"
        elif not fast_takes(graph, op):
            mode = "_reference"
        else:
            mode = ""
        return f"depthwise{mode}_k{kh}s{sh}"

    def family(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        # The reference kernels (dilated, multiplier > 1, signs) were not fitted: the fast kernel's family.
        kernel = self.kernel(graph, op, scratch_bytes)
        return kernel.replace("_dilated", "").replace("_mult", "").replace("_reference", "")

    def output_shapes(self, graph: Graph, op: Op) -> list[tuple[int, ...]]:
        """(N, H, W, in_c x depth multiplier): the filter [1, kh, kw, channels] gives the multiplier, which the
        option must repeat."""
        x, w = graph.tensors[op.inputs[0]].shape, graph.tensors[op.inputs[1]].shape
        if w[0] != 1 or w[3] % x[3]:
            raise ModelError(f"filter {list(w)} does not match input {list(x)}")
        multiplier = op.options.get("depthMultiplier", w[3] // x[3])
        if multiplier != w[3] // x[3]:  # TFLM's kernel loops over the option's multiplier, not the shapes'
            raise ModelError(f"depth multiplier {multiplier} does not match filter {list(w)} over input {list(x)}")
        return [(x[0], *window_output_hw(graph, op), w[3])]

    @staticmethod
    def _same_channels(graph: Graph, op: Op) -> bool:
        return graph.tensors[op.outputs[0]].shape[-1] == graph.tensors[op.inputs[0]].shape[-1]

    def _fast(self, graph: Graph, op: Op) -> bool:
        """The fast kernels (int8 shifts as -1 - shift): depth multiplier 1 or in place, not dilated, the
        filter's signs allowing it (`fast_takes`)."""
        return dilation(op) == (1, 1) and (op.attrs.inplace is not None or self._same_channels(graph, op)) \
            and fast_takes(graph, op)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        if op.attrs.inplace is not None and dilation(op) == (1, 1) and not fast_takes(graph, op):
            raise ModelError("a negative filter scale on a channel with a -128 weight (or an accumulator that may "
                             "reach -2^31) in a depthwise conv the schedule runs in place")

    @staticmethod
    def _general(graph: Graph, op: Op) -> bool:
        """mr_depthwise_conv2d_general_s8 (out of place): dilated or depth multiplier > 1, zero points in int8's
        range (its int16 lanes hold input + offset)."""
        return op.attrs.inplace is None and (dilation(op) != (1, 1) or not DepthwiseConv2D._same_channels(graph, op)) \
            and not wide_zero_points(graph, op)

    def kernel_sources(self, graph: Graph, op: Op) -> tuple[str, ...]:
        if self._general(graph, op):
            return self.sources + GENERAL_SOURCES
        return self.sources + (FAST_SOURCES if self._fast(graph, op) else ())

    def scratch_bytes(self, graph: Graph, op: Op) -> int | None:
        if op.attrs.inplace is None or not _planar(graph, op):
            return None
        g = geometry(graph, op)
        return min(depthwise_mode_bytes(g, "rows"), depthwise_mode_bytes(g, "channels"))

    def faster_scratch(self, graph: Graph, op: Op, scratch_bytes: int) -> list[int]:
        """The in-place kernel runs fastest through a ring of int16 (else int8) input rows, else by rows
        (all channels vectorised) rather than channel by channel (mr_depthwise_fast.h)."""
        if op.attrs.inplace is None or not _planar(graph, op):
            return []
        g = geometry(graph, op)
        ring, rows = [depthwise_mode_bytes(g, m) for m in ("ring16", "ring8")], depthwise_mode_bytes(g, "rows")
        wanted = [n for n in ring + [rows] if n is not None and n > scratch_bytes]
        if ring[1] is not None and ring[1] <= scratch_bytes:
            wanted = [n for n in wanted if n == ring[0]]  # an int8 ring already fits: only int16 is better
        return wanted

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        """Filter, bias, int32 multipliers and the shifts (int8 for the fast kernels, int32 for the reference)."""
        w = graph.tensors[op.inputs[1]]
        channels = w.shape[3]
        fast = self._fast(graph, op)
        return w.nbytes + (4 * channels if has_bias(op) else 0) + (5 if fast else 8) * channels

    def detail(self, graph: Graph, op: Op) -> str | None:
        return window_detail(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        g = geometry(e.graph, op)
        x, y = op.inputs[0], op.outputs[0]
        p = self._params(e, op, g, self._fast(e.graph, op))
        if op.attrs.inplace is not None and not g.dilated:
            assert e.plan.offsets[x] == e.plan.offsets[y]
            e.call("mr_depthwise_conv2d_inplace_fast_s8", p, depthwise_unrolled(g), e.ptr(y), e.scratch(i),
                   e.scratch_bytes(i))
        elif self._general(e.graph, op):
            e.call("mr_depthwise_conv2d_general_s8", p, e.ptr(x, True), e.ptr(y))
        elif g.dilated:
            e.call("mr_depthwise_conv2d_dilated_s8", p, e.ptr(x, True), e.ptr(y))
        elif self._fast(e.graph, op):
            e.call("mr_depthwise_conv2d_fast_s8", p, depthwise_unrolled(g), e.ptr(x, True), e.ptr(y))
        else:
            e.call("mr_depthwise_conv2d_s8", p, e.ptr(x, True), e.ptr(y))

    @staticmethod
    def _params(e: Emitter, op: Op, g: ConvGeometry, fast: bool) -> str:
        """The call's mr_conv_params; the shifts as the fast kernels (rshift_m1) or the reference ones read them."""
        q = conv_params(e, op, folded=False, fast=fast)
        return e.params("mr_conv_params", "dw", conv_struct(g, q, q["filter"], q["bias"], fast, g.out_c // g.in_c))
