"""Python mirror of TF Lite Micro's Prepare-time quantization arithmetic.

Every function here reproduces, operation for operation, how TFLM derives a
kernel parameter from tensor scales and zero points (tensorflow/lite/kernels/
internal/quantization_util.cc, kernel_util.cc and the micro/kernels/*_common.cc
Prepare code), so that the C kernels in micro_runtime/kernels/ called with
these values produce TFLM's bytes. Tensor scales are float32 in the flatbuffer;
TFLM widens them to double (or keeps float32 arithmetic) exactly where noted,
and so do we (numpy.float32 for the float32 steps, Python float for double).

Pure Python + numpy; no TensorFlow import.
"""

from __future__ import annotations

import math
from typing import Dict, List, Sequence, Tuple

import numpy as np

__all__ = [
    "round_half_away",
    "quantize_multiplier",
    "quantize_multiplier_smaller_than_one_exp",
    "quantize_multiplier_greater_than_one",
    "conv_output_multipliers",
    "fully_connected_output_multiplier",
    "activation_bounds",
    "activation_range",
    "add_params",
    "mul_params",
    "softmax_params",
    "logistic_params",
    "hard_swish_params",
    "requantize_params",
    "quantize_params",
    "mean_params",
    "avg_pool_params",
    "concat_params",
    "calculate_input_radius",
    "compute_padding",
]

INT8_MIN, INT8_MAX = -128, 127
_DTYPE_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def _f32(x: float) -> float:
    """The double value of x rounded to float32 (a flatbuffer scale)."""
    return float(np.float32(x))


def round_half_away(x: float) -> float:
    """C/C++ round(): nearest integer, ties away from zero (TfLiteRound), exact on doubles."""
    a = abs(x)
    f = math.floor(a)
    r = f + 1.0 if a - f >= 0.5 else f
    return math.copysign(r, x)


class QuantRangeError(ValueError):
    """Quantization parameters outside what TFLM accepts (its TFLITE_CHECKs would abort at Prepare)."""


def quantize_multiplier(real: float) -> Tuple[int, int]:
    """TFLM QuantizeMultiplier(double): real = multiplier * 2^(shift - 31).

    frexp, round half away from zero of q * 2^31, the q_fixed == 2^31 correction
    (halve, shift + 1), and flushing shift < -31 to (0, 0). shift > 0 means a left
    shift in MultiplyByQuantizedMultiplier. Returns (int32 multiplier, int shift).
    """
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real):
        raise QuantRangeError(f"rescale factor {real} is not finite")
    q, shift = math.frexp(real)
    q_fixed = int(round_half_away(q * float(1 << 31)))
    assert q_fixed <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    assert q_fixed <= 0x7FFFFFFF
    if shift < -31:
        shift = 0
        q_fixed = 0
    if shift > 30:  # MultiplyByQuantizedMultiplier would shift int32 values left by 31 or more
        raise QuantRangeError(f"rescale factor {real:.6g} needs a left shift of {shift}, more than the 30 "
                              "TFLM's integer arithmetic takes")
    return q_fixed, shift


def quantize_multiplier_smaller_than_one_exp(real: float) -> Tuple[int, int]:
    """TFLM QuantizeMultiplierSmallerThanOneExp: requires 0 < real < 1; shift <= 0."""
    if not 0.0 < real < 1.0:
        raise QuantRangeError(f"rescale factor {real:.6g} must be in (0, 1)")
    multiplier, shift = quantize_multiplier(real)
    assert shift <= 0
    return multiplier, shift


def quantize_multiplier_greater_than_one(real: float) -> Tuple[int, int]:
    """TFLM QuantizeMultiplierGreaterThanOne: requires real > 1; left shift >= 0."""
    if not real > 1.0:
        raise QuantRangeError(f"rescale factor {real:.6g} must be > 1 (input scale too small)")
    multiplier, shift = quantize_multiplier(real)
    assert shift >= 0
    return multiplier, shift


def conv_output_multipliers(
    input_scale: float, filter_scales: Sequence[float], output_scale: float, num_channels: int | None = None
) -> Tuple[List[int], List[int]]:
    """Per-channel (multiplier, shift) lists as PopulateConvolutionQuantizationParams.

    effective = double(input_scale) * double(filter_scale[c]) / double(output_scale), in
    that order; a per-tensor filter scale (one value) is broadcast to num_channels.
    Used for CONV_2D, DEPTHWISE_CONV_2D and per-channel FULLY_CONNECTED.
    """
    scales = [_f32(s) for s in np.asarray(filter_scales, dtype=np.float64).reshape(-1)]
    if num_channels is None:
        num_channels = len(scales)
    if len(scales) == 1:
        scales = scales * num_channels
    assert len(scales) == num_channels
    in_s, out_s = _f32(input_scale), _f32(output_scale)
    mults, shifts = [], []
    for s in scales:
        m, sh = quantize_multiplier(in_s * s / out_s)
        mults.append(m)
        shifts.append(sh)
    return mults, shifts


def fully_connected_output_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> Tuple[int, int]:
    """Per-tensor FULLY_CONNECTED: same double arithmetic as conv_output_multipliers (TFLM's
    GetQuantizedConvolutionMultipler takes the scale product in double, unlike BATCH_MATMUL: the wheel agrees)."""
    m, s = conv_output_multipliers(input_scale, [filter_scale], output_scale, 1)
    return m[0], s[0]


def _quantize_scalar(f: float, scale: float, zero_point: int) -> int:
    # kernel_util.cc Quantize: TfLiteRound(f / scale) in float32, + zero_point.
    tmp = np.float32(f) / np.float32(scale)
    return int(zero_point) + int(round_half_away(float(tmp)))


def activation_bounds(activation: str | None, scale: float, zero_point: int, dtype: str = "int8") -> Tuple[int, int]:
    """CalculateActivationRangeQuantized's (low, high) as TFLM computes them: low may exceed high (and the type's
    range) when the zero point is outside the type's range."""
    qmin, qmax = _DTYPE_RANGE[dtype]
    act = (activation or "NONE").upper()
    low, high = qmin, qmax
    if act in ("RELU", "RELU6"):
        low = max(qmin, _quantize_scalar(0.0, scale, zero_point))
    if act == "RELU6":
        high = min(qmax, _quantize_scalar(6.0, scale, zero_point))
    if act in ("RELU_N1_TO_1", "RELU1"):
        low, high = (max(qmin, _quantize_scalar(-1.0, scale, zero_point)),
                     min(qmax, _quantize_scalar(1.0, scale, zero_point)))
    return low, high


def activation_range(activation: str | None, scale: float, zero_point: int, dtype: str = "int8") -> Tuple[int, int]:
    """CalculateActivationRangeQuantized: (act_min, act_max) in the output's integer domain.

    activation: None/"NONE", "RELU", "RELU6", "RELU_N1_TO_1" (case-insensitive; TFLite's
    ActivationFunctionType names). Anything else (e.g. TANH) gives the full range, as TFLM.
    """
    low, high = activation_bounds(activation, scale, zero_point, dtype)
    qmin, qmax = _DTYPE_RANGE[dtype]
    if high < qmin:  # every value clamps to high, which TFLM's store to the type wraps: that value, for any kernel
        high = (high - qmin) % (qmax - qmin + 1) + qmin
        return high, high
    # TFLM clamps with max(low) then min(high): an empty range (a zero point outside the type's) gives high
    return min(low, high), high


def add_params(input1_scale: float, input1_zero_point: int, input2_scale: float, input2_zero_point: int,
               output_scale: float, output_zero_point: int, activation: str | None = None,
               left_shift: int = 20, dtype: str = "int8") -> Dict[str, int]:
    """ADD int8 params as TFLM add_common.cc CalculateOpDataAdd (left_shift 20; int16: 15 and dtype "int16").

    Keys are mr_add_params' fields (mr_types.h), the clamp as act_min / act_max.
    """
    s1, s2, so = _f32(input1_scale), _f32(input2_scale), _f32(output_scale)
    twice_max_input_scale = 2 * max(s1, s2)
    real_input1_multiplier = s1 / twice_max_input_scale
    real_input2_multiplier = s2 / twice_max_input_scale
    real_output_multiplier = twice_max_input_scale / ((1 << left_shift) * so)
    m1, sh1 = quantize_multiplier_smaller_than_one_exp(real_input1_multiplier)
    m2, sh2 = quantize_multiplier_smaller_than_one_exp(real_input2_multiplier)
    mo, sho = quantize_multiplier_smaller_than_one_exp(real_output_multiplier)
    act_min, act_max = activation_range(activation, output_scale, output_zero_point, dtype)
    return dict(input1_offset=-int(input1_zero_point), input2_offset=-int(input2_zero_point),
                left_shift=left_shift, input1_multiplier=m1, input1_shift=sh1,
                input2_multiplier=m2, input2_shift=sh2, output_offset=int(output_zero_point),
                output_multiplier=mo, output_shift=sho, act_min=act_min, act_max=act_max)


def mul_params(input1_scale: float, input1_zero_point: int, input2_scale: float, input2_zero_point: int,
               output_scale: float, output_zero_point: int, activation: str | None = None,
               dtype: str = "int8") -> Dict[str, int]:
    """MUL int8 params as TFLM mul_common.cc: real = double(s1) * double(s2) / double(so).

    Keys are mr_mul_params' fields (mr_types.h), the clamp as act_min / act_max.
    """
    real = _f32(input1_scale) * _f32(input2_scale) / _f32(output_scale)
    mo, sho = quantize_multiplier(real)
    act_min, act_max = activation_range(activation, output_scale, output_zero_point, dtype)
    return dict(input1_offset=-int(input1_zero_point), input2_offset=-int(input2_zero_point),
                output_offset=int(output_zero_point), output_multiplier=mo, output_shift=sho,
                act_min=act_min, act_max=act_max)


def calculate_input_radius(input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLM CalculateInputRadius (double arithmetic, floor)."""
    max_input_rescaled = (1.0 * ((1 << input_integer_bits) - 1) * float(1 << (total_signed_bits - input_integer_bits))
                          / float(1 << input_left_shift))
    return int(math.floor(max_input_rescaled))


def softmax_params(input_scale: float, beta: float = 1.0) -> Dict[str, int]:
    """SOFTMAX int8 params (softmax_common.cc: PreprocessSoftmaxScaling, diff_min).

    kScaledDiffIntegerBits = 5; beta is the op's float32 option. Keys match mr_softmax_s8.
    """
    k_scaled_diff_integer_bits = 5
    max_real_multiplier = float((1 << 31) - 1)
    real = min(_f32(beta) * _f32(input_scale) * float(1 << (31 - k_scaled_diff_integer_bits)), max_real_multiplier)
    multiplier, left_shift = quantize_multiplier_greater_than_one(real)
    diff_min = int(-1.0 * calculate_input_radius(k_scaled_diff_integer_bits, left_shift))
    return dict(input_multiplier=multiplier, input_left_shift=left_shift, diff_min=diff_min)


def logistic_params(input_scale: float, input_zero_point: int) -> Dict[str, int]:
    """LOGISTIC int8 params (logistic_common.cc): frexp of scale * 2^27 without the
    2^31 correction, radius = CalculateInputRadius(4, shift). Keys match mr_logistic_s8."""
    k_input_integer_bits = 4
    real = _f32(input_scale) * float(1 << (31 - k_input_integer_bits))
    q, left_shift = math.frexp(real)
    if not 0 <= left_shift <= 30:  # TFLM shifts the input left by it (and 1 << left_shift in the radius)
        raise QuantRangeError(f"input scale {input_scale:.6g} gives a left shift of {left_shift}, outside [0, 30]")
    multiplier = int(round_half_away(q * float(1 << 31)))
    radius = calculate_input_radius(k_input_integer_bits, left_shift, 31)
    return dict(input_zero_point=int(input_zero_point), input_range_radius=radius,
                input_multiplier=multiplier, input_left_shift=left_shift)


def _downscale_int32_to_int16_multiplier(m: int) -> int:
    # common.h DownScaleInt32ToInt16Multiplier
    k_rounding_offset = 1 << 15
    if m >= 0x7FFFFFFF - k_rounding_offset:
        return 32767
    return (m + k_rounding_offset) >> 16


def hard_swish_params(input_scale: float, input_zero_point: int, output_scale: float,
                      output_zero_point: int) -> Dict[str, int]:
    """HARD_SWISH int8 params (hard_swish_common.cc). The scale ratios are computed in
    float32 before widening, as TFLM does. Keys match mr_hard_swish_s8."""
    f32 = np.float32
    hires_input_scale = f32(1.0 / 128.0) * f32(input_scale)
    reluish_scale = f32(3.0) / f32(32768.0)
    output_multiplier = float(f32(hires_input_scale / f32(output_scale)))
    om32, out_exp = quantize_multiplier(output_multiplier)
    if out_exp > 0:
        raise QuantRangeError(f"input scale / 128 over output scale is {output_multiplier:.6g}; TFLM needs <= 1")
    reluish_multiplier = float(f32(hires_input_scale / reluish_scale))
    rm32, rel_exp = quantize_multiplier(reluish_multiplier)
    return dict(input_zero_point=int(input_zero_point), output_zero_point=int(output_zero_point),
                reluish_multiplier_fixedpoint_int16=_downscale_int32_to_int16_multiplier(rm32),
                reluish_multiplier_exponent=rel_exp,
                output_multiplier_fixedpoint_int16=_downscale_int32_to_int16_multiplier(om32),
                output_multiplier_exponent=out_exp)


def requantize_params(input_scale: float, input_zero_point: int, output_scale: float,
                      output_zero_point: int) -> Dict[str, int]:
    """QUANTIZE int8/uint8 -> int8/uint8 (quantize_common.cc): effective = double(in)/double(out).
    Keys match mr_requantize_*."""
    m, s = quantize_multiplier(_f32(input_scale) / _f32(output_scale))
    return dict(input_zero_point=int(input_zero_point), output_zero_point=int(output_zero_point),
                multiplier=m, shift=s)


def quantize_params(output_scale: float, output_zero_point: int) -> Dict[str, float]:
    """QUANTIZE float32 -> int8: the kernel takes the output's float32 scale and zero point."""
    return dict(scale=_f32(output_scale), zero_point=int(output_zero_point))


def mean_params(input_scale: float, input_zero_point: int, output_scale: float,
                output_zero_point: int) -> Dict[str, int]:
    """MEAN int8 (reduce_common.cc PrepareMeanOrSumHelper): multiplier/shift of
    double(input_scale)/double(output_scale); the kernel folds in 1/count itself
    (reference_ops::QuantizedMeanOrSum). Keys match mr_mean_s8."""
    m, s = quantize_multiplier(_f32(input_scale) / _f32(output_scale))
    return dict(input_zero_point=int(input_zero_point), output_zero_point=int(output_zero_point),
                output_multiplier=m, output_shift=s)


def avg_pool_params(output_scale: float, output_zero_point: int, activation: str | None = None) -> Dict[str, int]:
    """AVERAGE_POOL_2D / MAX_POOL_2D: only the fused activation clamp is derived."""
    act_min, act_max = activation_range(activation, output_scale, output_zero_point)
    return dict(act_min=act_min, act_max=act_max)


def concat_params(input_scales: Sequence[float], input_zero_points: Sequence[int], output_scale: float,
                  output_zero_point: int) -> Dict[str, object]:
    """CONCATENATION int8: per input (input_offset, multiplier, shift); multiplier 0 marks an
    input already in the output's quantization (plain copy, TFLM's only int8 case)."""
    offsets, mults, shifts = [], [], []
    for s, zp in zip(input_scales, input_zero_points):
        offsets.append(-int(zp))
        if _f32(s) == _f32(output_scale) and int(zp) == int(output_zero_point):
            mults.append(0)
            shifts.append(0)
        else:
            m, sh = quantize_multiplier(_f32(s) / _f32(output_scale))
            if m == 0:  # a multiplier that flushes to zero still has to requantize (to zp)
                m, sh = 1, -31
            mults.append(m)
            shifts.append(sh)
    return dict(input_offsets=offsets, multipliers=mults, shifts=shifts, output_offset=int(output_zero_point))


def compute_padding(in_size: int, filter_size: int, stride: int, padding: str,
                    dilation: int = 1) -> Tuple[int, int, int]:
    """TFLite ComputeOutSize + ComputePaddingWithOffset for one spatial dim.

    Returns (out_size, pad_before, pad_after); SAME puts the odd pixel after.
    """
    effective = (filter_size - 1) * dilation + 1
    if padding.upper() == "SAME":
        out = (in_size + stride - 1) // stride
    else:
        out = (in_size + stride - effective) // stride
    total = max((out - 1) * stride + effective - in_size, 0)
    return out, total // 2, total - total // 2


# ------------------------------------------------------------------ elementwise ops (ops-elementwise)
# MAXIMUM/MINIMUM need no parameters. Each function below follows the named TFLM Prepare, float32 where TFLM
# computes in float (np.float32 steps), double where it widens first.

def relu_params(input_scale: float, input_zero_point: int, output_scale: float,
                output_zero_point: int) -> Dict[str, int]:
    """RELU int8 (activations_common.cc CalculateReluOpData): QuantizeMultiplier(double(in) / double(out)),
    act_min = max(-128, zp_out + roundf(0 / scale)), act_max = 127. Keys match mr_relu_params."""
    m, s = quantize_multiplier(_f32(input_scale) / _f32(output_scale))
    # max(act_min) then min(act_max): a zero point above int8's range clamps everything to act_max
    return dict(input_offset=int(input_zero_point), output_offset=int(output_zero_point), output_multiplier=m,
                output_shift=s, act_min=min(max(INT8_MIN, int(output_zero_point)), INT8_MAX), act_max=INT8_MAX)


def relu6_bounds(input_scale: float, input_zero_point: int) -> Tuple[int, int]:
    """RELU6 int8 (Relu6Prepare): clamp to [zp_in, FloatToQuantizedType(6.0f, scale, zp_in)] in the input's
    quantization (the output's is not read): round(6.0f / scale) in float32, + zp, clamped to int8. The lower
    bound is TFLM's zero_int8, the zero point cast to int8 (wrapped when outside its range)."""
    six = int(round_half_away(float(np.float32(6.0) / np.float32(input_scale)))) + int(input_zero_point)
    return int(np.int64(input_zero_point).astype(np.int8)), min(INT8_MAX, max(INT8_MIN, six))


def leaky_relu_params(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
                      alpha: float) -> Dict[str, int]:
    """LEAKY_RELU int8 (leaky_relu_common.cc): both ratios in float32 (in * alpha / out, in / out), then
    QuantizeMultiplier. Keys match mr_leaky_relu_params."""
    f32 = np.float32
    ma, sa = quantize_multiplier(float(f32(f32(input_scale) * f32(alpha)) / f32(output_scale)))
    mi, si = quantize_multiplier(float(f32(input_scale) / f32(output_scale)))
    return dict(input_offset=int(input_zero_point), output_offset=int(output_zero_point),
                output_multiplier_identity=mi, output_shift_identity=si,
                output_multiplier_alpha=ma, output_shift_alpha=sa)


def prelu_params(input_scale: float, input_zero_point: int, alpha_scale: float, alpha_zero_point: int,
                 output_scale: float, output_zero_point: int) -> Dict[str, int]:
    """PRELU int8 (prelu_common.cc CalculatePreluParams): double in / out and in * alpha / out."""
    m1, s1 = quantize_multiplier(_f32(input_scale) / _f32(output_scale))
    m2, s2 = quantize_multiplier(_f32(input_scale) * _f32(alpha_scale) / _f32(output_scale))
    return dict(input_offset=-int(input_zero_point), alpha_offset=-int(alpha_zero_point),
                output_offset=int(output_zero_point), output_multiplier_1=m1, output_shift_1=s1,
                output_multiplier_2=m2, output_shift_2=s2)


def sub_params(input1_scale: float, input1_zero_point: int, input2_scale: float, input2_zero_point: int,
               output_scale: float, output_zero_point: int, activation: str | None = None) -> Dict[str, int]:
    """SUB int8 (sub_common.cc CalculateOpDataSub): ADD's parameters, left_shift 20. The ratios are taken in
    double as ADD's: some sub_common.cc versions divide in float32, but the wheel's bytes are those of double
    (tests/test_ops_elementwise.py pins two cases where float32 would differ). Keys of mr_add_params."""
    return add_params(input1_scale, input1_zero_point, input2_scale, input2_zero_point, output_scale,
                      output_zero_point, activation)


def squared_difference_params(input1_scale: float, input1_zero_point: int, input2_scale: float,
                              input2_zero_point: int, output_scale: float, output_zero_point: int) -> Dict[str, int]:
    """SQUARED_DIFFERENCE int8 (squared_difference.cc PrepareQuantized): left_shift 7, twice_max in double,
    output multiplier twice^2 / double((1 << 14) * float out_scale) by QuantizeMultiplier (any shift)."""
    left_shift = 7
    twice = 2.0 * max(_f32(input1_scale), _f32(input2_scale))
    m1, sh1 = quantize_multiplier_smaller_than_one_exp(_f32(input1_scale) / twice)
    m2, sh2 = quantize_multiplier_smaller_than_one_exp(_f32(input2_scale) / twice)
    mo, sho = quantize_multiplier((twice * twice) / float(np.float32(1 << (left_shift * 2)) * np.float32(output_scale)))
    return dict(input1_offset=-int(input1_zero_point), input2_offset=-int(input2_zero_point), left_shift=left_shift,
                input1_multiplier=m1, input1_shift=sh1, input2_multiplier=m2, input2_shift=sh2,
                output_offset=int(output_zero_point), output_multiplier=mo, output_shift=sho,
                act_min=INT8_MIN, act_max=INT8_MAX)


def broadcast_strides(*shapes: Sequence[int]) -> Tuple[Tuple[int, ...], List[Tuple[int, ...]]]:
    """numpy broadcasting of `shapes` extended to 4-D, as TFLM's NdArrayDesc: the output dims and each input's
    strides, 0 along a dimension it broadcasts. Raises ValueError for shapes that do not broadcast."""
    full = [[1] * (4 - len(s)) + [int(d) for d in s] for s in shapes]
    dims = []
    for d in range(4):
        sizes = {f[d] for f in full} - {1}
        if len(sizes) > 1:
            raise ValueError(f"shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast")
        dims.append(sizes.pop() if sizes else 1)
    strides = []
    for f in full:
        st, step = [0] * 4, 1
        for d in range(3, -1, -1):
            st[d] = 0 if f[d] == 1 else step
            step *= f[d]
        strides.append(tuple(st))
    return tuple(dims), strides


def broadcast4(shape1: Sequence[int], shape2: Sequence[int]) -> Dict[str, Tuple[int, ...]]:
    """TFLM NdArrayDescsForElementwiseBroadcast of two shapes as mr_broadcast4's fields."""
    dims, (st1, st2) = broadcast_strides(shape1, shape2)
    return dict(dims=dims, stride1=st1, stride2=st2)


# The per-element integer arithmetic of TFLM's ABS and RSQRT for int8, evaluated here for each of the 256
# input values: the kernel reads a 256-entry table (mr_lut_s8), as TFLM's own ELU does.

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1


def _wrap32(x: int) -> int:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _srdhm(a: int, b: int) -> int:
    """gemmlowp SaturatingRoundingDoublingHighMul (int32; C division truncates toward zero)."""
    if a == b == _INT32_MIN:
        return _INT32_MAX
    ab = a * b
    num = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    q = abs(num) >> 31
    return q if num >= 0 else -q


def _rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def _saturating_rounding_mul_by_pot(x: int, exponent: int) -> int:
    if exponent > 0:
        threshold = (1 << (31 - exponent)) - 1
        if x > threshold:
            return _INT32_MAX
        if x < -threshold:
            return _INT32_MIN
        return _wrap32(x << exponent)
    return _rounding_divide_by_pot(x, -exponent) if exponent < 0 else x


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLM MultiplyByQuantizedMultiplier (double rounding, the wheel's build), int32 wrap-around included."""
    left, right = max(shift, 0), max(-shift, 0)
    return _rounding_divide_by_pot(_srdhm(_wrap32(x << left), multiplier), right)


def inv_sqrt_quantized_multiplier_exp(value: int, reverse_shift: int = -1) -> Tuple[int, int]:
    """TFLM GetInvSqrtQuantizedMultiplierExp: 1/sqrt(value) by gemmlowp Newton-Raphson in Q3."""
    if value <= 1:
        return _INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    left_shift_bit_pairs = (31 - value.bit_length()) // 2 - 1  # (CountLeadingZeros - 1) / 2 - 1
    shift -= left_shift_bit_pairs
    value <<= 2 * left_shift_bit_pairs
    fixedpoint_input = value >> 1
    half_input = _saturating_rounding_mul_by_pot(fixedpoint_input, -1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28  # F3 one
    for _ in range(5):
        x3 = _saturating_rounding_mul_by_pot(_srdhm(_srdhm(x, x), x), 6)  # Rescale<3> of an F9
        x = _saturating_rounding_mul_by_pot(_wrap32(_srdhm(half_three, x) - _srdhm(half_input, x3)), 3)
    x = _srdhm(x, 1518500250)
    if shift < 0:
        x = _wrap32(x << -shift)
        shift = 0
    return x, shift * reverse_shift


def _clamp8(v: int) -> int:
    return min(INT8_MAX, max(INT8_MIN, v))


def abs_table(input_scale: float, input_zero_point: int, output_scale: float,
              output_zero_point: int) -> List[int]:
    """ABS int8 (elementwise.cc AbsEvalQuantized) for inputs -128..127: |x - zp_in|, rescaled by
    QuantizeMultiplier(double in / double out) unless the float scales are equal, + zp_out, clamped."""
    needs_rescale = _f32(input_scale) != _f32(output_scale)
    m, s = quantize_multiplier(_f32(input_scale) / _f32(output_scale)) if needs_rescale else (0, 0)
    table = []
    for x in range(INT8_MIN, INT8_MAX + 1):
        value = abs(x - int(input_zero_point))
        out = multiply_by_quantized_multiplier(value, m, s) if needs_rescale else value
        table.append(_clamp8(out + int(output_zero_point)))
    return table


def rsqrt_table(input_scale: float, input_zero_point: int, output_scale: float,
                output_zero_point: int) -> List[int]:
    """RSQRT int8 (elementwise.cc RsqrtEvalQuantized) for inputs -128..127. TFLM fails the invoke on an input
    below the zero point (negative value); those entries hold 127, the value TFLM gives 0."""
    m, s = quantize_multiplier(1.0 / (math.sqrt(_f32(input_scale)) * _f32(output_scale)))
    k_shift = 20
    table = []
    for x in range(INT8_MIN, INT8_MAX + 1):
        value = x - int(input_zero_point)
        if value <= 0:
            table.append(INT8_MAX)
            continue
        inv_m, inv_s = inv_sqrt_quantized_multiplier_exp(value)
        data = multiply_by_quantized_multiplier(1, inv_m, inv_s + k_shift)
        table.append(_clamp8(multiply_by_quantized_multiplier(data, m, s - k_shift) + int(output_zero_point)))
    return table


def elu_table(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
              expf=None) -> List[int]:
    """ELU int8 (elu.cc PopulateLookupTable), float32 throughout: dequantize, x < 0 ? expf(x) - 1 : x, times
    1 / out_scale, round, + zp. `expf`: the C library's (TFLM calls std::exp on a float)."""
    f32 = np.float32
    expf = expf or _libm_expf()
    inverse_scale = f32(1) / f32(output_scale)
    table = []
    for x in range(INT8_MIN, INT8_MAX + 1):
        dequantized = f32(input_scale) * f32(x - int(input_zero_point))
        transformed = f32(expf(dequantized)) - f32(1) if dequantized < 0 else dequantized
        rescaled = f32(round_half_away(float(f32(transformed * inverse_scale))))
        quantized = int(f32(rescaled + f32(output_zero_point)))
        table.append(_clamp8(quantized))
    return table


def _libm_expf():
    import ctypes
    import ctypes.util
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.expf.restype = ctypes.c_float
    libm.expf.argtypes = [ctypes.c_float]
    return lambda v: libm.expf(float(v))


def comparison_params(input1_scale: float, input1_zero_point: int, input2_scale: float,
                      input2_zero_point: int) -> Dict[str, int]:
    """EQUAL ... LESS_EQUAL int8 (comparisons_common.cc ComparisonsPrepare): left_shift 8, each input's own
    scale as QuantizeMultiplierSmallerThanOneExp(double scale). Keys of mr_add_params; no output rescaling."""
    m1, s1 = quantize_multiplier_smaller_than_one_exp(_f32(input1_scale))
    m2, s2 = quantize_multiplier_smaller_than_one_exp(_f32(input2_scale))
    return dict(input1_offset=-int(input1_zero_point), input2_offset=-int(input2_zero_point), left_shift=8,
                input1_multiplier=m1, input1_shift=s1, input2_multiplier=m2, input2_shift=s2,
                output_offset=0, output_multiplier=0, output_shift=0, act_min=0, act_max=1)


# ---- DIV and LOG_SOFTMAX (the math ops)

def div_params(input1_scale: float, input1_zero_point: int, input2_scale: float, input2_zero_point: int,
               output_scale: float, output_zero_point: int, activation: str | None = None) -> Dict[str, int]:
    """DIV int8 (div.cc CalculateOpDataDiv): QuantizeMultiplier(double(in1 / (in2 * out))) with the ratio
    taken in float32. Keys of mr_add_params (left_shift and the input multipliers unused)."""
    f32 = np.float32
    real = float(f32(input1_scale) / (f32(input2_scale) * f32(output_scale)))
    multiplier, shift = quantize_multiplier(real)
    act_min, act_max = activation_range(activation, output_scale, output_zero_point)
    return dict(input1_offset=-int(input1_zero_point), input2_offset=-int(input2_zero_point), left_shift=0,
                input1_multiplier=0, input1_shift=0, input2_multiplier=0, input2_shift=0,
                output_offset=int(output_zero_point), output_multiplier=multiplier, output_shift=shift,
                act_min=act_min, act_max=act_max)


def log_softmax_params(input_scale: float) -> Dict[str, int]:
    """LOG_SOFTMAX int8 (log_softmax.cc CalculateOpData): SOFTMAX's input scaling with beta 1
    (PreprocessLogSoftmaxScalingExp) and its inverse, 2^(31 - left_shift) / multiplier, as a multiplier and
    a right shift. Keys of mr_log_softmax_params but the shape."""
    p = softmax_params(input_scale, 1.0)
    divisor, shift = quantize_multiplier((1 << (31 - p["input_left_shift"])) / float(p["input_multiplier"]))
    return dict(p, reverse_scaling_divisor=divisor, reverse_scaling_right_shift=-shift)

# ------------------------------------------------------------------ spatial ops (ops-spatial)

def batch_matmul_output_multiplier(lhs_scale: float, rhs_scale: float, output_scale: float) -> Tuple[int, int]:
    """BATCH_MATMUL's (multiplier, shift): GetQuantizedConvolutionMultipler without bias, whose product of the
    two input scales is taken in float32 before the double division."""
    product = np.float32(_f32(lhs_scale)) * np.float32(_f32(rhs_scale))
    return quantize_multiplier(float(product) / _f32(output_scale))

# ------------------------------------------------------------------ int16 activations (16x8, ops-int16)

def checked_log2(x: float) -> Tuple[int, bool]:
    """TFLM's CheckedLog2 in float32: (round(log2 x), whether x is within 1e-3 of that power of two)."""
    x_log2 = np.float32(math.log(float(np.float32(x)))) * (np.float32(1.0) / np.float32(math.log(2.0)))
    rounded = np.float32(round_half_away(float(x_log2)))
    return int(rounded), bool(abs(np.float32(x_log2 - rounded)) < np.float32(1e-3))


def sigmoid_tanh_s16_params(kind: str, input_scale: float, output_scale: float) -> Dict[str, int]:
    """LOGISTIC / TANH int16 (logistic_common.cc / tanh_common.cc): input_multiplier 0 and a shift for a
    power-of-two input scale TFLM's table takes directly, else the input rescaled to 1/(3*4096) by a
    multiplier below 32767 and a left shift. The output scale must be 2^-15 (TFLM refuses others).
    Keys of mr_logistic_params."""
    k_input_integer_bits = 3
    out_log2, out_pot = checked_log2(output_scale)
    if not out_pot or out_log2 != -15:
        raise QuantRangeError(f"output scale {output_scale:.6g} is not 2^-15, as TFLM's int16 {kind} requires")
    in_log2, pot = checked_log2(input_scale)
    left_shift = (15 - k_input_integer_bits) + in_log2
    pot = pot and left_shift in ((0,) if kind == "LOGISTIC" else (0, 1))
    multiplier = 0
    if not pot:
        real = float(np.float32(input_scale)) * 4096.0 * 3.0
        left_shift = 0
        while real <= 32767.0 / 2.0 and left_shift <= 30:
            left_shift += 1
            real *= 2.0
        multiplier = int(real)
    return dict(input_zero_point=0, input_range_radius=0, input_multiplier=multiplier, input_left_shift=left_shift)


def _gen_lut_s16(func, input_min: float, input_max: float) -> List[int]:
    """TFLM's gen_lut<float, int16_t, int16_t> on [input_min, input_max] with outputs in [-1, 1]: 512 samples
    in float32, each biased by half the error of linear interpolation at the midpoint, and one more value
    for the last slope (513 entries)."""
    f32 = np.float32
    steps = 512
    step = f32((f32(input_max) - f32(input_min)) / f32(steps))
    half_step = f32(step / f32(2))
    inv = f32(32768)  # (32767 - (-32768) + 1) / (1 - (-1))

    def rnd(v) -> np.float32:
        return f32(round_half_away(float(v)))

    lut = []
    for i in range(steps):
        x = f32(f32(input_min) + f32(f32(i) * step))
        val, val_mid = f32(func(x)), f32(func(f32(x + half_step)))
        val_next = f32(func(f32(f32(input_min) + f32(f32(i + 1) * step))))
        sample = rnd(f32(val * inv))
        interp = rnd(f32(f32(f32(val_next * inv) + sample) / f32(2)))
        bias = rnd(f32(f32(interp - rnd(f32(val_mid * inv))) / f32(2)))
        lut.append(int(min(max(f32(sample - bias), f32(-32768)), f32(32767))))
    lut.append(int(min(max(rnd(f32(f32(func(f32(input_max))) * inv)), f32(-32768)), f32(32767))))
    return lut


def softmax_s16_params(input_scale: float, output_scale: float, beta: float = 1.0) -> Dict[str, object]:
    """SOFTMAX int16 -> int16 (softmax_common.cc): the input difference rescaled so that [-65535, 0] is
    [-10, 0] (QuantizeMultiplier of float(scale * beta) / (10 / 65535)), and the exp and 1/(1+x) tables.
    TFLM requires an output scale within 0.1% of 2^-15."""
    if abs(float(np.float32(output_scale)) - 1.0 / 32768) > 0.001 / 32768:
        raise QuantRangeError(f"output scale {output_scale:.6g} is not 2^-15, as TFLM's int16 SOFTMAX requires")
    expf = _libm_expf()
    multiplier, shift = quantize_multiplier(float(np.float32(np.float32(input_scale) * np.float32(beta)))
                                            / (10.0 / 65535.0))
    return dict(input_multiplier=multiplier, input_left_shift=shift,
                exp_lut=_gen_lut_s16(expf, -10.0, 0.0),
                one_over_one_plus_x_lut=_gen_lut_s16(lambda v: np.float32(1) / (np.float32(1) + np.float32(v)), 0.0, 1.0))


def svdf_params(input_scale: float, weights_feature_scale: float, state_scale: float, weights_time_scale: float,
                output_scale: float) -> Dict[str, int]:
    """SVDF int8 (svdf_common.cc PrepareSvdf): effective_scale_1 = input x feature / state and effective_scale_2
    = state x time / output, in double, by QuantizeMultiplier. Keys of mr_svdf_params."""
    m1, s1 = quantize_multiplier(_f32(input_scale) * _f32(weights_feature_scale) / _f32(state_scale))
    m2, s2 = quantize_multiplier(_f32(state_scale) * _f32(weights_time_scale) / _f32(output_scale))
    return dict(multiplier1=m1, shift1=s1, multiplier2=m2, shift2=s2)
