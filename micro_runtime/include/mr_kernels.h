/* mr_kernels.h - portable C99 int8 kernels, bit-exact with TF Lite Micro's
 * reference kernels (tensorflow/lite/kernels/internal/reference/...).
 *
 * Conventions (all functions):
 *  - Activations are NHWC, batch folded into the leading dimension where a
 *    function has no `batches` argument (call once per batch, or pass
 *    rows = batches*h*w for the pixel-wise ones).
 *  - Quantization parameters follow TFLM's OpData names. `*_offset` arguments
 *    are what TFLM calls offsets: input_offset = -input_zero_point,
 *    output_offset = +output_zero_point, filter_offset = -filter_zero_point.
 *    The Python mirror of TFLM's Prepare-time derivation of every parameter
 *    is micro_runtime/quant.py.
 *  - The clamp of a fused activation (mr_activation, in the output's integer
 *    domain: quant.activation_range); -128/127 for none.
 *  - Kernels with more than a handful of values take a parameter struct
 *    (mr_types.h) that the generator emits as a `static const`; each comment
 *    names the quant.py helper that produces its values.
 *  - No heap, no large stack buffers. Scratch memory, where needed, is an
 *    argument (its size from the family's *_scratch_bytes function).
 */
#ifndef MR_KERNELS_H_
#define MR_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "mr_common.h"
/* The fast kernels generated code calls (same bytes, see each header). */
#include "mr_depthwise_fast.h"
#include "mr_fast.h"
#include "mr_inverted_residual.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- CONV_2D */

/* CONV_2D (reference_integer_ops::ConvPerChannel), one batch, from p (mr_types.h): input and output dims,
 * filter OHWI [out_c][k_h][k_w][in_c] as TFLite stores it, bias (int32, one per output channel) or NULL,
 * per-channel quant.multiplier / quant.shift (per-tensor = same value repeated: micro_runtime/quant.py
 * conv_output_multipliers), explicit padding (window.pad_top, pad_left; bottom/right implied by the
 * output size), input_offset, output_offset, activation. Filter zero point 0 (int8 TFLite). Dilation 1
 * (window.dilation_* not read). */
void mr_conv2d_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out);

/* Same as mr_conv2d_s8 with dilation (window.dilation_h, dilation_w >= 1). */
void mr_conv2d_dilated_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out);

/* 1x1 stride-1 unpadded conv as a GEMM: input.n * input.h * input.w pixels, filter [out_c][in_c].
 * Bit-identical to mr_conv2d_s8 with k=1. */
void mr_conv1x1_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out);

/* ------------------------------------------------------ DEPTHWISE_CONV_2D */

/* DEPTHWISE_CONV_2D (reference_integer_ops::DepthwiseConvPerChannel), one
 * batch. p->filter as TFLite [1][k_h][k_w][in_c*depth_multiplier]; output
 * channel oc = ic*depth_multiplier + m; p->quant.multiplier / .shift and
 * p->bias indexed by oc (bias may be NULL). Any depth multiplier; dilation 1
 * (p->window's dilation is not read). */
void mr_depthwise_conv2d_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out);

/* Same with p->window's dilation. */
void mr_depthwise_conv2d_dilated_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out);

/* The same bytes, faster on the Arm DSP path for depth multipliers 1, 2 and multiples of 4 (depthwise_general_dsp.c);
 * elsewhere mr_depthwise_conv2d_dilated_s8. Input and output zero points in int8's range. */
void mr_depthwise_conv2d_general_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out);

/* In-place depthwise (depth multiplier 1): the output overwrites the input
 * buffer (same base pointer `inout`), channel by channel; `scratch` holds
 * out_h*out_w int8 (one output channel). The result is laid out NHWC
 * [out_h][out_w][c] at inout. Requires out_h <= in_h and out_w <= in_w
 * (true for stride 1 SAME and any stride >= 1 with the usual paddings):
 * output pixel q of channel c only overwrites input pixel q of channel c,
 * which is no longer needed once channel c is computed into scratch (pixels
 * q >= out_h*out_w of the input are simply left behind). Bit-identical to
 * mr_depthwise_conv2d_s8. */
void mr_depthwise_conv2d_inplace_s8(const MR_CONST mr_conv_params *p, int8_t *inout, int8_t *scratch);

/* -------------------------------------------------------- FULLY_CONNECTED */

/* FULLY_CONNECTED (reference_integer_ops::FullyConnected), per-tensor, from p (mr_types.h):
 * in [batches][input_depth], filter [output_depth][input_depth], bias [output_depth] or NULL,
 * out [batches][output_depth]; quant.multiplier[0] and quant.shift[0]; filter_offset = -filter_zero_point
 * (0 for int8). */
void mr_fully_connected_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out);

/* Per-channel FULLY_CONNECTED (TFLM FullyConnectedPerChannel): quant.multiplier and quant.shift hold
 * output_depth values; filter_offset not read (0). */
void mr_fully_connected_per_channel_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out);

/* ----------------------------------------------------------- ADD and MUL */

/* ADD int8 (reference_integer_ops::Add / BroadcastAdd6DSlow) with TFLM's ArithmeticParams (mr_add_params,
 * quant.add_params): each input is offset, shifted left by left_shift (20), scaled by its own multiplier /
 * shift, the sum is scaled by output_multiplier / output_shift, offset, clamped. input1_shape / input2_shape:
 * NHWC (lower ranks padded with leading 1s), numpy-style broadcasting (each extent equal or 1), the output's
 * shape the larger extent of each axis. Equal shapes take a flat loop; `output` may then be either input. */
void mr_add_s8(const MR_CONST mr_add_params *params, const MR_CONST int8_t *input1,
               const MR_CONST mr_dims *input1_shape, const MR_CONST int8_t *input2,
               const MR_CONST mr_dims *input2_shape, int8_t *output);

/* The SSE2 part of mr_add_s8 on equal shapes (add_x86.c, built where mr_x86.h defines MR_SSE2): the first
 * size - size % 8 elements; returns their number. */
int32_t mr_add_s8_x86(const MR_CONST mr_add_params *params, const int8_t *input1, const int8_t *input2, int8_t *output,
                      int32_t size);

/* MUL int8 (reference_integer_ops::Mul / BroadcastMul6DSlow): output_offset + requant((input1 +
 * input1_offset) * (input2 + input2_offset), output_multiplier, output_shift), clamped (mr_mul_params,
 * quant.mul_params). Shapes and broadcasting as mr_add_s8. */
void mr_mul_s8(const MR_CONST mr_mul_params *params, const MR_CONST int8_t *input1,
               const MR_CONST mr_dims *input1_shape, const MR_CONST int8_t *input2,
               const MR_CONST mr_dims *input2_shape, int8_t *output);

/* ---------------------------------------------------------------- POOLING */

/* AVERAGE_POOL_2D (reference_integer_ops::AveragePool), one batch, explicit padding: the divisor is the
 * number of in-image taps, rounding half away from zero; then the activation clamp. */
void mr_avg_pool_s8(const MR_CONST mr_pool_params *params, const int8_t *input, int8_t *output);

/* MAX_POOL_2D (reference_integer_ops::MaxPool), one batch, explicit padding (padded taps ignored), then the
 * activation clamp. */
void mr_max_pool_s8(const MR_CONST mr_pool_params *params, const int8_t *input, int8_t *output);

/* ------------------------------------------------------------------- MEAN */

/* MEAN int8 over a contiguous block of axes (e.g. H, W of NHWC: outer = batches, reduce = H * W, inner = C);
 * the output has outer * inner values. Mirrors reference_ops::QuantizedMeanOrSum (integer version), which
 * TFLM's EvalIntegerMean runs for int8 whatever the quantization: (sum - input_zero_point * count)
 * requantized by output_multiplier / output_shift with 1 / count folded in exactly as TFLM does,
 * + output_zero_point, saturated (quant.mean_params). */
void mr_mean_s8(const MR_CONST mr_mean_params *params, const int8_t *input, int8_t *output);

/* -------------------------------------------------------------------- PAD */

/* PAD / PADV2 int8, up to 4-D (lower ranks padded with leading 1s and 0 paddings). pad_value: the output
 * zero point for PAD. */
void mr_pad_s8(const MR_CONST mr_pad_params *params, const int8_t *input, int8_t *output);

/* ---------------------------------------------------------------- SOFTMAX */

/* SOFTMAX int8 -> int8 (reference_ops::Softmax, gemmlowp fixed-point exp): rows of `depth` values; output
 * scale 1/256, zero point -128 (quant.softmax_params). */
void mr_softmax_s8(const MR_CONST mr_softmax_params *params, const int8_t *input, int8_t *output);

/* ---------------------------------------------------------- CONCATENATION */

/* CONCATENATION int8 along any axis of `num_inputs` tensors (quant.concat_params; mr_concatenation_params
 * says which inputs are copied and which requantized). */
void mr_concatenation_s8(const MR_CONST mr_concatenation_params *params, const MR_CONST int8_t *const *inputs,
                         int8_t *output);

/* ------------------------------------------------ RESIZE_NEAREST_NEIGHBOR */

/* RESIZE_NEAREST_NEIGHBOR int8 (reference_ops::ResizeNearestNeighbor), NHWC with batches. */
void mr_resize_nearest_neighbor_s8(const MR_CONST mr_resize_params *params, const int8_t *input, int8_t *output);

/* ------------------------------------------------------------- HARD_SWISH */

/* HARD_SWISH int8 on `size` values (reference_ops::HardSwish; quant.hard_swish_params). */
void mr_hard_swish_s8(const MR_CONST mr_hard_swish_params *params, const int8_t *input, int32_t size, int8_t *output);

/* --------------------------------------------------------------- LOGISTIC */

/* LOGISTIC int8 on `size` values (reference_integer_ops::Logistic; quant.logistic_params): output scale
 * 1/256, zero point -128. */
void mr_logistic_s8(const MR_CONST mr_logistic_params *params, const int8_t *input, int32_t size, int8_t *output);

/* ------------------------------------------------------ QUANTIZE / DEQUANTIZE */

/* QUANTIZE float32 -> int8 (reference_ops::AffineQuantize):
 * clamp(round_half_away(x / scale) + zero_point) with float arithmetic. */
void mr_quantize_f32_s8(const float *in, int n, int8_t *out, float scale, int32_t zero_point);

/* The SSE2 part of mr_quantize_f32_s8 (quantize_x86.c, built where mr_x86.h defines MR_SSE2): the first
 * n - n % 16 values; returns their number. */
int32_t mr_quantize_f32_s8_x86(const float *in, int32_t n, int8_t *out, float scale, int32_t zero_point);

/* QUANTIZE float32 -> uint8 (same, clamped to [0, 255]). */
void mr_quantize_f32_u8(const float *in, int n, uint8_t *out, float scale, int32_t zero_point);

/* QUANTIZE int8 -> int8 on `size` values (reference_ops::Requantize): clamp(requant(x - input_zero_point,
 * multiplier, shift) + output_zero_point) (quant.requantize_params). mr_requantize_u8_s8 /
 * mr_requantize_s8_u8: the same for uint8 model inputs / outputs. */
void mr_requantize_s8_s8(const MR_CONST mr_requantize_params *params, const int8_t *input, int32_t size,
                         int8_t *output);
void mr_requantize_u8_s8(const MR_CONST mr_requantize_params *params, const uint8_t *input, int32_t size,
                         int8_t *output);
void mr_requantize_s8_u8(const MR_CONST mr_requantize_params *params, const int8_t *input, int32_t size,
                         uint8_t *output);

/* DEQUANTIZE int8 / uint8 -> float32 (reference_ops::Dequantize):
 * (float)(scale * (x - zero_point)) computed in double, as TFLM does. */
void mr_dequantize_s8_f32(const int8_t *in, int n, float *out, float scale, int32_t zero_point);
void mr_dequantize_u8_f32(const uint8_t *in, int n, float *out, float scale, int32_t zero_point);

/* -------------------------------------------------------------- TRANSPOSE */

/* TRANSPOSE int8 (reference_ops::Transpose), 1 to 5 dims as TFLM:
 * out[i_perm...] with output dim k = in_shape[perm[k]]. */
void mr_transpose_s8(const int8_t *in, int num_dims, const MR_CONST int32_t *in_shape,
                     const MR_CONST int32_t *perm, int8_t *out);

/* ------------------------------------------------------------ PATCH WINDOW */

/* Copies `rows` rows of `row_bytes` bytes from `src` (rows src_stride bytes
 * apart) to `dst` (rows dst_stride bytes apart): the loads, crops and stores of
 * patch-based inference (copy_window.c). */
void mr_copy_window(const void *src, int src_stride, void *dst, int dst_stride, int rows, int row_bytes);

/* ------------------------------------------------------------ SHAPE OPS */

/* A strided block copy (copy_strided.c): the data movement of STRIDED_SLICE, SLICE, PACK, UNPACK,
 * SPLIT, SPLIT_V, SPACE_TO_DEPTH, DEPTH_TO_SPACE, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND. */
void mr_copy_strided(const MR_CONST void *in, void *out, const MR_CONST mr_copy_params *p);

/* GATHER and GATHER_ND (gather.c) with int32 positions read at run time; a position outside the input
 * copies nothing (TFLM's Eval fails there). */
void mr_gather(const MR_CONST void *input, const MR_CONST int32_t *coords, void *output,
               const MR_CONST mr_gather_params *p);
void mr_gather_nd(const MR_CONST void *params, const MR_CONST int32_t *indices, void *output,
                  const MR_CONST mr_gather_nd_params *p);

/* REDUCE_MAX, REDUCE_MIN, SUM (int8 out) and ARG_MAX, ARG_MIN (int32 out) of an int8 tensor (reduce.c). */
void mr_reduce_s8(const MR_CONST int8_t *in, void *out, const MR_CONST mr_reduce_params *p);

/* CAST between int8, int16, int32, float32 (cast.c): static_cast per element. */
void mr_cast(const MR_CONST void *in, int32_t in_type, void *out, int32_t out_type, int32_t n);

/* MIRROR_PAD (mirror_pad.c): a gather through per-dimension index maps. */
void mr_mirror_pad(const MR_CONST void *in, void *out, const MR_CONST mr_mirror_pad_params *p);

/* ------------------------------------------------------- ELEMENTWISE OPS */

/* MAXIMUM / MINIMUM int8 (reference_ops::MaximumMinimumBroadcastSlow): the larger / smaller raw value of the
 * two broadcast inputs; no requantization (TFLM reads no quantization). */
void mr_maximum_s8(const MR_CONST mr_broadcast4 *b, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
                   int8_t *out);
void mr_minimum_s8(const MR_CONST mr_broadcast4 *b, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
                   int8_t *out);

/* RELU int8 (TFLM ReluQuantized): requantize x - zp_in to the output, clamp. quant.relu_params. */
void mr_relu_s8(const MR_CONST mr_relu_params *p, const int8_t *in, int32_t n, int8_t *out);

/* RELU6 int8 (TFLM Relu6Quantized): clamp to [lower, upper] (quant.relu6_bounds), no requantization. */
void mr_relu6_s8(const int8_t *in, int32_t n, int8_t *out, int32_t lower, int32_t upper);

/* LEAKY_RELU int8 (reference_ops::QuantizeLeakyRelu). quant.leaky_relu_params. */
void mr_leaky_relu_s8(const MR_CONST mr_leaky_relu_params *p, const int8_t *in, int32_t n, int8_t *out);

/* PRELU int8 (reference_ops::BroadcastPrelu4DSlow). quant.prelu_params, quant.broadcast4. */
void mr_prelu_s8(const MR_CONST mr_prelu_params *p, const MR_CONST int8_t *in, const MR_CONST int8_t *alpha,
                 int8_t *out);

/* SUB int8 (reference_ops::Sub / BroadcastQuantSubSlow). quant.sub_params. */
void mr_sub_s8(const MR_CONST mr_arithmetic_params *p, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
               int8_t *out);

/* SQUARED_DIFFERENCE int8 (TFLM squared_difference.cc). quant.squared_difference_params. */
void mr_squared_difference_s8(const MR_CONST mr_arithmetic_params *p, const MR_CONST int8_t *in1,
                              const MR_CONST int8_t *in2, int8_t *out);

/* A 256-entry table lookup, out[i] = table[(uint8_t)in[i]]: ELU (TFLM's own table), ABS and RSQRT (TFLM's
 * integer arithmetic per input value, quant.abs_table / rsqrt_table / elu_table). */
void mr_lut_s8(const int8_t *in, int32_t n, int8_t *out, const MR_CONST int8_t *table);

/* TANH int8 (reference_integer_ops::Tanh; output scale 1/128, zero point 0), in logistic.c. The Prepare-time
 * values are LOGISTIC's (quant.logistic_params: same kInputIntegerBits 4). */
void mr_tanh_s8(const MR_CONST mr_logistic_params *params, const int8_t *input, int32_t size, int8_t *output);

/* EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL int8 -> bool (one byte 0/1), `comparison` one of
 * MR_EQUAL ... MR_LESS_EQUAL (reference_ops::*WithScaling). quant.comparison_params: the offsets, left_shift 8
 * and the input multipliers in p->q (its output fields unused). */
void mr_compare_s8(const MR_CONST mr_arithmetic_params *p, int32_t comparison, const MR_CONST int8_t *in1,
                   const MR_CONST int8_t *in2, uint8_t *out);

/* SELECT_V2 int8 (reference_ops::Select / BroadcastSelect5DSlow, 4-D): out = condition ? x : y, raw bytes (TFLM
 * reads no quantization). quant.broadcast_strides. */
void mr_select_s8(const MR_CONST mr_select_params *p, const MR_CONST uint8_t *condition, const MR_CONST int8_t *x,
                  const MR_CONST int8_t *y, int8_t *out);

/* FILL and ZEROS_LIKE int8: n copies of *value (ZEROS_LIKE: a raw 0, whatever the zero point, as TFLM). */
void mr_fill_s8(const MR_CONST int8_t *value, int32_t n, int8_t *out);

/* ------------------------------------------------------------- MATH OPS */
/* DIV int8 with broadcasting (reference_ops::DivElementwise / BroadcastDivSlow): the offset dividend times
 * the reciprocal of the offset divisor, rescaled to the output. quant.div_params: the offsets, the output
 * multiplier and activation in p->q (its left_shift and input multipliers unused). */
void mr_div_s8(const MR_CONST mr_arithmetic_params *p, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
               int8_t *out);

/* L2_NORMALIZATION int8 (reference_integer_ops::L2Normalization) over `outer_size` rows of `depth` values:
 * each value minus the zero point over the row's L2 norm, in 1/128 steps (TFLM reads no output
 * quantization). */
void mr_l2_normalization_s8(int32_t input_zero_point, int32_t outer_size, int32_t depth, const int8_t *input,
                            int8_t *output);

/* LOG_SOFTMAX int8 (reference_ops::LogSoftmaxQuantized): quant.log_softmax_params. */
void mr_log_softmax_s8(const MR_CONST mr_log_softmax_params *params, const int8_t *input, int8_t *output);

/* ---- spatial ops */

/* RESIZE_BILINEAR int8 (reference_ops::ResizeBilinearInteger), raw values: TFLM reads no quantization. */
void mr_resize_bilinear_s8(const MR_CONST mr_resize_params *params, const int8_t *input, int8_t *output);

/* TRANSPOSE_CONV int8 (reference_integer_ops::TransposeConv): per-channel `quant.shift` (TFLM's), bias may be NULL,
 * no dilation; `scratch`: one int32 accumulator per output value of one batch. `filter` in blocks of four output
 * channels: [ceil(out_c/4)][k_h][k_w][ceil(in_c/4)][4 channels][4 input values], zeros past out_c and in_c
 * (lowering/transpose_conv.py, filter_blocks). */
void mr_transpose_conv_s8(const MR_CONST mr_conv_params *p, const int8_t *input, int8_t *output, int32_t *scratch);
int32_t mr_transpose_conv_s8_scratch_bytes(const MR_CONST mr_conv_params *p);

/* One tap of `blocks` blocks of mr_transpose_conv_s8's filter, block b at w + b * block_stride:
 * acc[4b + j] += sum over i < n of (x[i] + in_offset) * w[b * block_stride + 16 * (i / 4) + 4 * j + i % 4]
 * (transpose_conv.c, transpose_conv_dsp.c). */
void mr_transpose_conv_tap(const int8_t *x, int32_t n, const MR_CONST int8_t *w, size_t block_stride, int32_t blocks,
                           int32_t in_offset, int32_t *acc);

/* BATCH_MATMUL int8 (TFLM batch_matmul.cc). `scratch`: room for the LHS matrix (rows x depth) where it is not
 * contiguous along the depth (adj_x), then for the RHS matrix (depth x cols) where it is not (no adj_y); else NULL. */
void mr_batch_matmul_s8(const MR_CONST mr_batch_matmul_params *p, const MR_CONST int8_t *lhs,
                        const MR_CONST int8_t *rhs, int8_t *out, int8_t *scratch);
int32_t mr_batch_matmul_s8_scratch_bytes(const MR_CONST mr_batch_matmul_params *p);

/* ---- int16 activations (16x8 quantization; tflite int16 tensors have zero point 0) */

/* FULLY_CONNECTED 16x8 (reference_integer_ops::FullyConnected int16): per tensor or per channel
 * (fc.per_channel), int32 bias in fc.bias or int64 in bias64 (at most one set). */
void mr_fully_connected_s16(const MR_CONST mr_fully_connected_s16_params *p, const int16_t *in, int16_t *out);

/* ADD and SUB 16x8 with broadcasting (reference_ops::Add / Sub int16, left_shift 15): quant.add_params with
 * left_shift=15. */
void mr_add_s16(const MR_CONST mr_arithmetic_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void mr_sub_s16(const MR_CONST mr_arithmetic_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);

/* MUL 16x8 with broadcasting (reference_integer_ops::Mul int16): quant.mul_params. */
void mr_mul_s16(const MR_CONST mr_mul_broadcast_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);

/* QUANTIZE float32 -> int16 (reference_ops::AffineQuantize) and DEQUANTIZE int16 -> float32, in
 * quantize_s16.c. */
void mr_quantize_f32_s16(const float *in, int n, int16_t *out, float scale, int32_t zero_point);
void mr_dequantize_s16_f32(const int16_t *in, int n, float *out, float scale, int32_t zero_point);

/* QUANTIZE between int8, int16 and int32 (reference_ops::Requantize; TFLM has no int32 -> int32):
 * quant.requantize_params. */
void mr_requantize_s8_s16(const MR_CONST mr_requantize_params *p, const int8_t *input, int32_t size, int16_t *output);
void mr_requantize_s16_s8(const MR_CONST mr_requantize_params *p, const int16_t *input, int32_t size, int8_t *output);
void mr_requantize_s16_s16(const MR_CONST mr_requantize_params *p, const int16_t *input, int32_t size, int16_t *output);
void mr_requantize_s16_s32(const MR_CONST mr_requantize_params *p, const int16_t *input, int32_t size, int32_t *output);
void mr_requantize_s32_s16(const MR_CONST mr_requantize_params *p, const int32_t *input, int32_t size, int16_t *output);
void mr_requantize_s8_s32(const MR_CONST mr_requantize_params *p, const int8_t *input, int32_t size, int32_t *output);
void mr_requantize_s32_s8(const MR_CONST mr_requantize_params *p, const int32_t *input, int32_t size, int8_t *output);

/* CONV_2D and DEPTHWISE_CONV_2D 16x8 (reference_integer_ops::ConvPerChannel / DepthwiseConvPerChannel int16),
 * dilation and explicit padding as mr_conv2d_dilated_s8; int32 bias in conv.bias or int64 in bias64. */
void mr_conv2d_s16(const MR_CONST mr_conv_s16_params *p, const int16_t *in, int16_t *out);
void mr_depthwise_conv2d_s16(const MR_CONST mr_conv_s16_params *p, const int16_t *in, int16_t *out);

/* LOGISTIC and TANH int16 (reference_integer_ops::Logistic / Tanh int16; output scale 2^-15):
 * quant.sigmoid_tanh_s16_params (input_multiplier, input_left_shift of mr_logistic_params). */
void mr_logistic_s16(const MR_CONST mr_logistic_params *p, const int16_t *input, int32_t size, int16_t *output);
void mr_tanh_s16(const MR_CONST mr_logistic_params *p, const int16_t *input, int32_t size, int16_t *output);

/* SOFTMAX int8 -> int16 (reference_ops::Softmax<int8_t, int16_t>; output zero point -32768), in softmax.c:
 * quant.softmax_params. */
void mr_softmax_s8_s16(const MR_CONST mr_softmax_params *params, const int8_t *input, int16_t *output);

/* SOFTMAX int16 -> int16 (reference_ops::SoftmaxInt16; output scale 2^-15): quant.softmax_s16_params. The
 * exps are kept in the output row until the row's sum is known, as TFLM does. */
void mr_softmax_s16(const MR_CONST mr_softmax_s16_params *p, const int16_t *input, int16_t *output);

/* SVDF int8 with its state (a variable tensor kept across invocations, [batches][filters][memory]), int16
 * or int8 (svdf.c; quant.svdf_params). */
void mr_svdf_s8_state16(const MR_CONST mr_svdf_params *p, const int8_t *input, int16_t *state, int8_t *output);
void mr_svdf_s8_state8(const MR_CONST mr_svdf_params *p, const int8_t *input, int8_t *state, int8_t *output);

/* UNIDIRECTIONAL_SEQUENCE_LSTM int8 or int16 (16x8) with an int16 cell state (lstm.c; lowering/lstm.py). The
 * hidden state [batches][n_cell] (the activation type) and the cell state are variable tensors kept across
 * invocations; scratch: mr_lstm_scratch_bytes. */
void mr_lstm_s8(const MR_CONST mr_lstm_params *p, const int8_t *input, int8_t *hidden_state, int16_t *cell_state,
                int8_t *output, int16_t *scratch);
void mr_lstm_s16(const MR_CONST mr_lstm_params *p, const int16_t *input, int16_t *hidden_state, int16_t *cell_state,
                 int16_t *output, int16_t *scratch);
int32_t mr_lstm_scratch_bytes(int32_t rows, int32_t n_cell);

/* AVERAGE_POOL_2D and MAX_POOL_2D int16 (reference_integer_ops::AveragePool / MaxPool int16), in pooling.c. */
void mr_avg_pool_s16(const MR_CONST mr_pool_params *params, const int16_t *input, int16_t *output);
void mr_max_pool_s16(const MR_CONST mr_pool_params *params, const int16_t *input, int16_t *output);

/* MEAN int16 (EvalIntegerMean<int16_t>), in mean.c: quant.mean_params. */
void mr_mean_s16(const MR_CONST mr_mean_params *params, const int16_t *input, int16_t *output);

/* PAD and PADV2 int16 (reference/pad.h PadImpl for int16), in pad.c. */
void mr_pad_s16(const MR_CONST mr_pad_params *params, const int16_t *input, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif /* MR_KERNELS_H_ */
