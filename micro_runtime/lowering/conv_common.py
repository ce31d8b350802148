"""What CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED share (as TFLM's conv_common.cc): the window
geometry and the quantized parameters, computed once per op."""
from __future__ import annotations

import dataclasses

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, nhwc
from tflite_patch.graph import Graph, ModelError, Op
from tflite_patch.passes import op_padding, op_window, wide_zero_points


@dataclasses.dataclass(frozen=True)
class ConvGeometry:
    """A convolution's shapes and window, folded PADs included."""
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    dilation_h: int
    dilation_w: int

    @property
    def dilated(self) -> bool:
        return (self.dilation_h, self.dilation_w) != (1, 1)

    @property
    def pointwise(self) -> bool:
        """1x1, stride 1, no padding, same pixels in and out."""
        return ((self.k_h, self.k_w, self.stride_h, self.stride_w, self.pad_top, self.pad_left) == (1, 1, 1, 1, 0, 0)
                and not self.dilated and (self.in_h, self.in_w) == (self.out_h, self.out_w))


INDEX_LIMIT = (1 << 31) - 1  # the kernels compute window positions in int32


def window_output_hw(graph: Graph, op: Op) -> tuple[int, int]:
    """The output's (H, W) the input, window, strides, dilations and padding of a sliding-window op give
    (TFLite's ComputeOutSize), in Python ints; `ModelError` for invalid options, and where a window position
    the kernel computes in int32 (out * stride + (k - 1) * dilation + padding) would not fit."""
    o = op.options
    kh, kw, sh, sw = op_window_checked(graph, op)
    strides, dilations = (sh, sw), dilation(op)
    if min(strides) < 1 or min(dilations) < 1 or int(o.get("padding", 0)) not in (0, 1):
        raise ModelError(f"invalid strides {list(strides)}, dilations {list(dilations)} or padding")
    if min(kh, kw) < 1:
        raise ModelError(f"invalid window {[kh, kw]}")
    _, in_h, in_w, _ = nhwc(graph.tensors[op.inputs[0]].shape)
    explicit = None if op.attrs.explicit_padding is None else list(op.attrs.explicit_padding)
    out = []
    for size, k, s, d in zip((in_h, in_w), (kh, kw), strides, dilations):
        effective = (k - 1) * d + 1
        if explicit is not None:  # a folded PAD or a patch's window
            n = (size + explicit.pop(0) + explicit.pop(0) - effective) // s + 1
        else:
            n = (size + s - 1) // s if op.padding() == "SAME" else (size - effective + s) // s
        if max(n, 1) * s + effective + size > INDEX_LIMIT:
            raise ModelError(f"window {[kh, kw]}, strides {list(strides)} and dilations {list(dilations)} "
                             f"reach past int32 positions")
        out.append(n)
    return out[0], out[1]


def op_window_checked(graph: Graph, op: Op) -> tuple[int, int, int, int]:
    """`passes.op_window` with absent pooling options read as 0 (then refused) rather than a KeyError."""
    if op.kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D") and not {"filterHeight", "filterWidth"} <= set(op.options):
        return 0, 0, 1, 1
    return op_window(graph, op)


def dilation(op: Op) -> tuple[int, int]:
    return int(op.options.get("dilationHFactor", 1)), int(op.options.get("dilationWFactor", 1))


def single_batch(graph: Graph, op: Op, index: int) -> tuple[int, int, int]:
    """(H, W, C) of a tensor with batch 1."""
    n, h, w, c = nhwc(graph.tensors[index].shape)
    if n != 1:
        raise ModelError(f"batch size {n} is not supported")
    return h, w, c


def geometry(graph: Graph, op: Op) -> ConvGeometry:
    in_h, in_w, in_c = single_batch(graph, op, op.inputs[0])
    out_h, out_w, out_c = single_batch(graph, op, op.outputs[0])
    kh, kw, sh, sw = op_window(graph, op)
    top, _, left, _ = op_padding(graph, op)
    return ConvGeometry(in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, top, left, *dilation(op))


def has_bias(op: Op) -> bool:
    return len(op.inputs) > 2 and op.inputs[2] >= 0


def shift_array(e: Emitter, shifts, rshift_m1: bool) -> str:
    """Per-channel output shifts: as the fast kernels take them (`rshift_m1`: -1 - shift as int8, see
    mr_requant_prepare_rshift_m1), else int32 as TFLM's (the reference kernels); either way in TFLM's [-31, 30], the
    range the kernels' shifts handle."""
    shifts = np.asarray(shifts, np.int64)
    if shifts.min() < -31 or shifts.max() > 30:
        bad = int(shifts[(shifts < -31) | (shifts > 30)][0])
        raise ModelError(f"output shift {bad} outside TFLM's [-31, 30]: input, filter and output scales out of range")
    return e.array("s", -1 - shifts, "int8_t") if rshift_m1 else e.array("s", shifts)


def folded_bias(filt: np.ndarray, bias: np.ndarray | None, in_offset: int) -> np.ndarray:
    """bias + in_offset * sum(filter) per output channel (filter [out_c][...]), wrapped to int32 like the
    kernels' accumulator: the fast kernels (mr_fast.h) then multiply raw int8 inputs."""
    sums = filt.reshape(filt.shape[0], -1).astype(np.int64).sum(axis=1)
    total = sums * int(in_offset) + (np.zeros_like(sums) if bias is None else bias.astype(np.int64).reshape(-1))
    return ((total + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int64)


def conv_params(e: Emitter, op: Op, folded: bool, fast: bool, gemm_filter=None) -> dict:
    """Parameters of a conv-like op; `folded`: the fast kernels' folded bias (`folded_bias`, and the filter
    `gemm_filter(e, w)` lays out), else TFLite's (`bias`); `fast`: the shifts as the fast kernels take them
    (`shift_array`), else as the reference kernels. Per-patch copies of one op share its arrays."""
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    _, zp_in = e.q(x)
    filt = e.t(w)
    if filt.quant is None:  # TFLM's int8 convs ignore the filter's zero points
        raise ModelError("filter must be int8 with quantization parameters")
    source = op.attrs.patch_source
    key = ("conv", source, folded, fast)
    if source is not None and key in e.shared:
        return e.shared[key]
    mults, shifts = output_multipliers(e.graph, op)
    fused = op.attrs.fused_add
    s_conv, zp_conv = e.q(fused.conv_output if fused is not None else y)
    act = quant.activation_range(op.activation(), s_conv, zp_conv)
    data, bias = filt.data, e.t(op.inputs[2]).data if has_bias(op) else None
    negated = negated_channels(e.graph, op) if fast else None
    assert negated is not None or not fast, "the lowering chose a fast kernel the op's signs do not allow"
    if fast and negated.any():  # the fast kernels take multipliers >= 0
        data, bias, mults = negate_channels(data, bias, mults, negated, _channel_axis(e.graph, op))
    p = dict(in_offset=-zp_in, out_offset=zp_conv, mult=e.array("m", mults),
             shift=shift_array(e, shifts, fast), act=act)
    if folded:
        p["folded_bias"] = e.array("bf", folded_bias(data, bias, -zp_in))
        p["gemm_filter"] = gemm_filter(e, w, data)
    else:
        same = data is filt.data
        p["filter"] = e.const(w) if same else e.const(w, data)
        p["bias"] = "NULL" if bias is None else e.const(op.inputs[2]) if same else e.const(op.inputs[2], bias)
    if source is not None:
        e.shared[key] = p
    return p


def conv_struct(g: ConvGeometry, p: dict, filt: str, bias: str, fast: bool, depth_multiplier: int = 1) -> dict:
    """The fields of the op's `mr_conv_params` (mr_types.h): `p` from `conv_params`, `filt` and `bias` the arrays
    the kernel reads, `fast`: its shifts are `quant.rshift_m1` (the fast kernels), else `quant.shift`."""
    shifts = {"shift": "NULL", "rshift_m1": p["shift"]} if fast else {"shift": p["shift"], "rshift_m1": "NULL"}
    return dict(input=dict(n=1, h=g.in_h, w=g.in_w, c=g.in_c), output=dict(n=1, h=g.out_h, w=g.out_w, c=g.out_c),
                window=dict(k_h=g.k_h, k_w=g.k_w, stride_h=g.stride_h, stride_w=g.stride_w, pad_top=g.pad_top,
                            pad_left=g.pad_left, dilation_h=g.dilation_h, dilation_w=g.dilation_w),
                depth_multiplier=depth_multiplier, input_offset=p["in_offset"], output_offset=p["out_offset"],
                activation=dict(min=p["act"][0], max=p["act"][1]), filter=filt, bias=bias,
                quant=dict(multiplier=p["mult"], **shifts))


def window_detail(graph: Graph, op: Op) -> str:
    kh, kw, sh, _ = op_window(graph, op)
    return f"{kh}x{kw}/{sh}"


# --- Negative filter scales (per-channel models TFLM runs, e.g. the MCUNet paper's ImageNet models) ---

def output_multipliers(graph: Graph, op: Op) -> tuple[list[int], list[int]]:
    """Per-channel (multiplier, shift) of a conv-like op into its own output (the fused ADD's input when fused),
    as TFLM's Prepare computes them; a negative filter scale gives a negative multiplier."""
    s_in = float(graph.tensors[op.inputs[0]].quant.scale[0])
    fused = op.attrs.fused_add
    y = graph.tensors[fused.conv_output if fused is not None else op.outputs[0]]
    filt = graph.tensors[op.inputs[1]]
    return quant.conv_output_multipliers(s_in, filt.quant.scale, float(y.quant.scale[0]), y.shape[-1])


def _channel_axis(graph: Graph, op: Op) -> int:
    return -1 if op.kind == "DEPTHWISE_CONV_2D" else 0


def negated_channels(graph: Graph, op: Op) -> np.ndarray | None:
    """Which output channels the fast kernels run negated: those with a negative multiplier. Their
    one-rounding requantization reads the sign of acc * multiplier from acc alone, so it needs
    multipliers >= 0; TFLM's MultiplyByQuantizedMultiplier(acc, m, shift) equals that of (-acc, -m, shift)
    while neither acc << left shift nor m is -2^31, and -acc is the accumulator of the negated filter and
    bias. None where that does not hold for some channel (a -128 weight, m = -2^31, an accumulator bound
    reaching 2^31): the op then takes the reference kernels."""
    if not (graph.tensors[op.inputs[1]].quant.scale < 0).any():  # the common case, asked for every candidate
        return np.zeros(graph.tensors[op.outputs[0]].shape[-1], bool)
    mults, shifts = output_multipliers(graph, op)
    negative = np.asarray(mults, np.int64) < 0
    axis = _channel_axis(graph, op)
    filt = np.moveaxis(graph.tensors[op.inputs[1]].data, axis, 0)
    rows = filt.reshape(filt.shape[0], -1).astype(np.int64)
    bias = graph.tensors[op.inputs[2]].data.astype(np.int64).reshape(-1) if has_bias(op) \
        else np.zeros(len(mults), np.int64)
    bound = (np.abs(bias) + 255 * np.abs(rows).sum(axis=1)) << np.maximum(np.asarray(shifts, np.int64), 0)
    bad = negative & ((rows == -128).any(axis=1) | (np.asarray(mults) == -(1 << 31)) | (bound >= 1 << 31))
    return None if bad.any() else negative


def fast_takes(graph: Graph, op: Op) -> bool:
    """Whether the fast kernels compute the op exactly: zero points in int8's range (their arithmetic is bounded
    for those, e.g. mr_requant_doubled_add's |output offset| <= 128; TFLM also takes wider ones) and filter
    signs they can negate (`negated_channels`)."""
    return not wide_zero_points(graph, op) and negated_channels(graph, op) is not None


def negate_channels(filt: np.ndarray, bias: np.ndarray | None, mults, negated: np.ndarray, axis: int):
    """(filter, bias, multipliers) with the `negated` output channels' (along filter `axis`) negated."""
    sign = np.where(negated, -1, 1)
    shape = [1] * filt.ndim
    shape[axis] = sign.size
    filt = (filt.astype(np.int16) * sign.reshape(shape)).astype(np.int8)
    bias = None if bias is None else (bias.astype(np.int64).reshape(-1) * sign).astype(np.int32)
    return filt, bias, [int(m) * int(s) for m, s in zip(mults, sign)]
