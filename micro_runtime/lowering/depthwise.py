"""DEPTHWISE_CONV_2D: the fast kernels of mr_depthwise_fast.h (depth multiplier 1; in place over its
input through a ring of input rows, by rows or channel by channel) and the reference kernels for other
depth multipliers and dilated windows."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering
from micro_runtime.lowering.conv_common import conv_params, dilation, geometry, has_bias, window_detail
from tflite_patch.graph import Graph, Op
from tflite_patch.passes import op_padding, op_window

DW_RING_MIN_PIXELS = 64  # MR_DW_RING_MIN_PIXELS


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


def _planar(graph: Graph, op: Op) -> bool:
    """Both tensors NHWC and the window not dilated: what the fast kernels' scratch sizes assume."""
    return dilation(op) == (1, 1) and len(graph.tensors[op.inputs[0]].shape) == 4 \
        and len(graph.tensors[op.outputs[0]].shape) == 4


class DepthwiseConv2D(Lowering):
    kinds = ("DEPTHWISE_CONV_2D",)
    sources = ("depthwise_conv.c",)

    def kernel(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        """depthwise_inplace[_MODE] (fast, over its own input; MODE from the scratch it has), depthwise_dilated
        or depthwise_mult (reference), or depthwise (fast); each with _kKsS (kernel height, stride)."""
        kh, _, sh, _ = op_window(graph, op)
        if op.attrs.inplace is not None and dilation(op) == (1, 1):
            mode = "_inplace"
            if scratch_bytes is not None:
                _, in_h, in_w, c = graph.tensors[op.inputs[0]].shape
                _, out_h, out_w, _ = graph.tensors[op.outputs[0]].shape
                top, _, left, _ = op_padding(graph, op)
                kw, sw = op_window(graph, op)[1], op_window(graph, op)[3]
                mode += "_" + depthwise_inplace_mode(in_h, in_w, c, kh, kw, sh, sw, top, left, out_h, out_w,
                                                     scratch_bytes)
        elif dilation(op) != (1, 1):
            mode = "_dilated"
        elif not self._same_channels(graph, op):
            mode = "_mult"
        else:
            mode = ""
        return f"depthwise{mode}_k{kh}s{sh}"

    def family(self, graph: Graph, op: Op, scratch_bytes: int | None = None) -> str:
        # The reference kernels (dilated, multiplier > 1) were not fitted: the fast kernel's family.
        return self.kernel(graph, op, scratch_bytes).replace("_dilated", "").replace("_mult", "")

    @staticmethod
    def _same_channels(graph: Graph, op: Op) -> bool:
        return graph.tensors[op.outputs[0]].shape[-1] == graph.tensors[op.inputs[0]].shape[-1]

    def _fast(self, graph: Graph, op: Op) -> bool:
        """The fast kernels (int8 shifts as -1 - shift): depth multiplier 1 or in place, not dilated."""
        return dilation(op) == (1, 1) and (op.attrs.inplace is not None or self._same_channels(graph, op))

    def kernel_sources(self, graph: Graph, op: Op) -> tuple[str, ...]:
        return self.sources + (("depthwise_fast.c",) if self._fast(graph, op) else ())

    def scratch_bytes(self, graph: Graph, op: Op) -> int | None:
        if op.attrs.inplace is None or not _planar(graph, op):
            return None
        g = geometry(graph, op)
        rows = depthwise_row_delay(g.in_w, g.in_c, g.stride_h, g.pad_top, g.out_h, g.out_w) * g.out_w * g.out_c
        return min(rows, g.out_h * g.out_w)

    def faster_scratch(self, graph: Graph, op: Op, scratch_bytes: int) -> list[int]:
        """The in-place kernel runs fastest through a ring of int16 (else int8) input rows, else by rows
        (all channels vectorised) rather than channel by channel (mr_depthwise_fast.h)."""
        if op.attrs.inplace is None or not _planar(graph, op):
            return []
        g = geometry(graph, op)
        rows = depthwise_row_delay(g.in_w, g.in_c, g.stride_h, g.pad_top, g.out_h, g.out_w) * g.out_w * g.out_c
        ring = [depthwise_ring_bytes(g.k_h, g.k_w, g.stride_w, g.pad_top, g.pad_left, g.out_h, g.out_w, narrow)
                for narrow in (False, True)]
        wanted = [n for n in ring + [rows] if n is not None and n > scratch_bytes]
        if ring[1] is not None and ring[1] <= scratch_bytes:
            wanted = [n for n in wanted if n == ring[0]]  # an int8 ring already fits: only int16 is better
        return wanted

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        """Filter, bias, int32 multipliers and the shifts (int8 for the fast kernels, int32 for the reference)."""
        w = graph.tensors[op.inputs[1]]
        channels = w.shape[3]
        fast = dilation(op) == (1, 1) and channels == graph.tensors[op.inputs[0]].shape[-1]
        return w.nbytes + (4 * channels if has_bias(op) else 0) + (5 if fast else 8) * channels

    def detail(self, graph: Graph, op: Op) -> str | None:
        return window_detail(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        g = geometry(e.graph, op)
        x, y = op.inputs[0], op.outputs[0]
        p = conv_params(e, op, folded=False, fast=self._fast(e.graph, op))
        tail = (p["in_offset"], p["out_offset"], p["mult"], p["shift"], p["act"][0], p["act"][1])
        window = (g.k_h, g.k_w, g.stride_h, g.stride_w)
        pads = (g.pad_top, g.pad_left)
        mult = g.out_c // g.in_c
        if op.attrs.inplace is not None and not g.dilated:
            assert e.plan.offsets[x] == e.plan.offsets[y]
            e.call("mr_depthwise_conv2d_inplace_fast_s8", e.ptr(y), g.in_h, g.in_w, g.in_c, p["filter"], p["bias"],
                   *window, *pads, g.out_h, g.out_w, e.scratch(i), e.scratch_bytes(i), *tail)
        elif g.dilated:
            e.call("mr_depthwise_conv2d_dilated_s8", e.ptr(x, True), g.in_h, g.in_w, g.in_c, mult, p["filter"],
                   p["bias"], *window, g.dilation_h, g.dilation_w, *pads, e.ptr(y), g.out_h, g.out_w, *tail)
        elif g.out_c == g.in_c:
            e.call("mr_depthwise_conv2d_fast_s8", e.ptr(x, True), g.in_h, g.in_w, g.in_c, p["filter"], p["bias"],
                   *window, *pads, e.ptr(y), g.out_h, g.out_w, *tail)
        else:
            e.call("mr_depthwise_conv2d_s8", e.ptr(x, True), g.in_h, g.in_w, g.in_c, mult, p["filter"], p["bias"],
                   *window, *pads, e.ptr(y), g.out_h, g.out_w, *tail)
