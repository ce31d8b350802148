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
 *  - act_min/act_max: the fused activation clamp in the output's int8 domain
 *    (quant.activation_range); pass -128/127 for none.
 *  - No heap, no large stack buffers. Scratch memory, where needed, is an
 *    argument.
 *
 * Notes for users of this header:
 *  - The signatures listed in the task brief are kept verbatim. Everything
 *    after mr_fully_connected_s8 was chosen here; each comment names the
 *    quant.py helper that produces its parameters.
 *  - CHANGED (after first publication): mr_mean_s8 now takes
 *    (input_zero_point, output_zero_point, output_multiplier, output_shift)
 *    instead of float scales: the tflite-micro wheel computes int8 MEAN with
 *    the integer QuantizedMeanOrSum, verified against golden vectors.
 *    quant.mean_params returns exactly these four values.
 */
#ifndef MR_KERNELS_H_
#define MR_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "mr_common.h"
/* The fast kernels generated code calls (same bytes, see each header). */
#include "mr_depthwise_fast.h"
#include "mr_fast.h"

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
void mr_conv2d_s8(const mr_conv_params *p, const int8_t *in, int8_t *out);

/* Same as mr_conv2d_s8 with dilation (window.dilation_h, dilation_w >= 1). */
void mr_conv2d_dilated_s8(const mr_conv_params *p, const int8_t *in, int8_t *out);

/* 1x1 stride-1 unpadded conv as a GEMM: input.n * input.h * input.w pixels, filter [out_c][in_c].
 * Bit-identical to mr_conv2d_s8 with k=1. */
void mr_conv1x1_s8(const mr_conv_params *p, const int8_t *in, int8_t *out);

/* ------------------------------------------------------ DEPTHWISE_CONV_2D */

/* DEPTHWISE_CONV_2D (reference_integer_ops::DepthwiseConvPerChannel), one
 * batch. filter as TFLite [1][k_h][k_w][in_c*depth_mult]; output channel
 * oc = ic*depth_mult + m; out_mult/out_shift/bias indexed by oc (bias may be
 * NULL). Any depth multiplier. */
void mr_depthwise_conv2d_s8(const int8_t *in, int in_h, int in_w, int in_c, int depth_mult,
                            const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                            int stride_h, int stride_w, int pad_top, int pad_left,
                            int8_t *out, int out_h, int out_w,
                            int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                            const int32_t *out_shift, int32_t act_min, int32_t act_max);

/* Same with dilation. */
void mr_depthwise_conv2d_dilated_s8(const int8_t *in, int in_h, int in_w, int in_c, int depth_mult,
                                    const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                    int stride_h, int stride_w, int dilation_h, int dilation_w,
                                    int pad_top, int pad_left,
                                    int8_t *out, int out_h, int out_w,
                                    int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                    const int32_t *out_shift, int32_t act_min, int32_t act_max);

/* In-place depthwise (depth_mult 1): the output overwrites the input buffer
 * (same base pointer `inout`), channel by channel; `scratch` holds
 * out_h*out_w int8 (one output channel). The result is laid out NHWC
 * [out_h][out_w][c] at inout. Requires out_h <= in_h and out_w <= in_w
 * (true for stride 1 SAME and any stride >= 1 with the usual paddings):
 * output pixel p of channel c only overwrites input pixel p of channel c,
 * which is no longer needed once channel c is computed into scratch (pixels
 * p >= out_h*out_w of the input are simply left behind). Filter in TFLite
 * layout [1][k_h][k_w][c]. Bit-identical to mr_depthwise_conv2d_s8. */
void mr_depthwise_conv2d_inplace_s8(int8_t *inout, int in_h, int in_w, int c,
                                    const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                    int stride_h, int stride_w, int pad_top, int pad_left,
                                    int out_h, int out_w, int8_t *scratch,
                                    int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                    const int32_t *out_shift, int32_t act_min, int32_t act_max);

/* -------------------------------------------------------- FULLY_CONNECTED */

/* FULLY_CONNECTED (reference_integer_ops::FullyConnected), per-tensor, from p (mr_types.h):
 * in [batches][input_depth], filter [output_depth][input_depth], bias [output_depth] or NULL,
 * out [batches][output_depth]; quant.multiplier[0] and quant.shift[0]; filter_offset = -filter_zero_point
 * (0 for int8). */
void mr_fully_connected_s8(const mr_fully_connected_params *p, const int8_t *in, int8_t *out);

/* Per-channel FULLY_CONNECTED (TFLM FullyConnectedPerChannel): quant.multiplier and quant.shift hold
 * output_depth values; filter_offset not read (0). */
void mr_fully_connected_per_channel_s8(const mr_fully_connected_params *p, const int8_t *in, int8_t *out);

/* ----------------------------------------------------------- ADD and MUL */

/* ADD int8 (reference_integer_ops::Add / BroadcastAdd6DSlow), mirroring
 * TFLM's ArithmeticParams (quant.add_params): each input is offset,
 * shifted left by left_shift (20), scaled by its own multiplier/shift, the
 * sum is scaled by output_multiplier/output_shift, offset, clamped.
 * shape1/shape2: the two inputs' 4-D NHWC shapes (pad lower-rank shapes with
 * leading 1s); numpy-style broadcasting (each dim equal or 1); output shape
 * is the elementwise max. Equal shapes take a flat loop. */
void mr_add_s8(const int8_t *in1, const int32_t shape1[4], const int8_t *in2, const int32_t shape2[4],
               int8_t *out,
               int32_t input1_offset, int32_t input2_offset, int32_t left_shift,
               int32_t input1_multiplier, int32_t input1_shift,
               int32_t input2_multiplier, int32_t input2_shift,
               int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
               int32_t act_min, int32_t act_max);

/* MUL int8 (reference_integer_ops::Mul / BroadcastMul6DSlow): out =
 * clamp(output_offset + requant((in1 + input1_offset)*(in2 + input2_offset),
 * output_multiplier, output_shift)). Shapes and broadcasting as mr_add_s8.
 * Parameters: quant.mul_params. */
void mr_mul_s8(const int8_t *in1, const int32_t shape1[4], const int8_t *in2, const int32_t shape2[4],
               int8_t *out,
               int32_t input1_offset, int32_t input2_offset,
               int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
               int32_t act_min, int32_t act_max);

/* ---------------------------------------------------------------- POOLING */

/* AVERAGE_POOL_2D (reference_integer_ops::AveragePool), one batch, explicit
 * padding; the divisor is the number of in-image taps, rounding half away
 * from zero; then act clamp. Input and output share scale/zero point. */
void mr_avg_pool_s8(const int8_t *in, int in_h, int in_w, int c,
                    int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left,
                    int8_t *out, int out_h, int out_w, int32_t act_min, int32_t act_max);

/* MAX_POOL_2D (reference_integer_ops::MaxPool), one batch, explicit padding
 * (padded taps ignored), then act clamp. */
void mr_max_pool_s8(const int8_t *in, int in_h, int in_w, int c,
                    int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left,
                    int8_t *out, int out_h, int out_w, int32_t act_min, int32_t act_max);

/* ------------------------------------------------------------------- MEAN */

/* MEAN int8 over a contiguous block of axes (e.g. H,W of NHWC:
 * outer = batches, reduce = H*W, inner = C). out has outer*inner values.
 * Mirrors reference_ops::QuantizedMeanOrSum (integer version), which TFLM's
 * EvalIntegerMean uses for int8 whatever the quantization:
 * (sum - input_zero_point*count) requantized by output_multiplier/shift
 * (= QuantizeMultiplier(input_scale/output_scale), quant.mean_params) with
 * 1/count folded in exactly as TFLM does, + output_zero_point, saturated. */
void mr_mean_s8(const int8_t *in, int outer, int reduce, int inner, int8_t *out,
                int32_t input_zero_point, int32_t output_zero_point,
                int32_t output_multiplier, int32_t output_shift);

/* -------------------------------------------------------------------- PAD */

/* PAD / PADV2 int8, up to 4-D (pad lower ranks with leading 1s / 0 pads):
 * in_shape[4], pad_before[4], pad_after[4]; output shape = in + before + after.
 * Padded elements get pad_value (the output zero point for PAD). */
void mr_pad_s8(const int8_t *in, const int32_t in_shape[4], const int32_t pad_before[4],
               const int32_t pad_after[4], int8_t *out, int8_t pad_value);

/* ---------------------------------------------------------------- SOFTMAX */

/* SOFTMAX int8 -> int8 (reference_ops::Softmax, gemmlowp fixed-point exp):
 * rows of `depth` values; output scale 1/256, zero point -128.
 * input_multiplier, input_left_shift, diff_min from quant.softmax_params. */
void mr_softmax_s8(const int8_t *in, int rows, int depth, int8_t *out,
                   int32_t input_multiplier, int32_t input_left_shift, int32_t diff_min);

/* ---------------------------------------------------------- CONCATENATION */

/* CONCATENATION int8 along any axis: each input is viewed as
 * [outer][axis_dims[i]*inner] (outer = product of dims before the axis,
 * inner = product of dims after it). For input i, if multipliers == NULL the
 * bytes are copied (TFLM's int8 path: all scales/zero points equal);
 * otherwise each value is requantized like TFLM Requantize:
 * clamp(requant(x + input_offsets[i], multipliers[i], shifts[i]) + output_offset)
 * (quant.concat_params; an input with the output's exact quantization gets
 * multiplier 0 = plain copy). */
void mr_concatenation_s8(int num_inputs, const int8_t *const *inputs, const int32_t *axis_dims,
                         int outer, int inner, int8_t *out,
                         const int32_t *input_offsets, const int32_t *multipliers,
                         const int32_t *shifts, int32_t output_offset);

/* ------------------------------------------------ RESIZE_NEAREST_NEIGHBOR */

/* RESIZE_NEAREST_NEIGHBOR int8 (reference_ops::ResizeNearestNeighbor), NHWC
 * with batches; align_corners / half_pixel_centers are 0/1. */
void mr_resize_nearest_neighbor_s8(const int8_t *in, int batches, int in_h, int in_w, int c,
                                   int8_t *out, int out_h, int out_w,
                                   int align_corners, int half_pixel_centers);

/* ------------------------------------------------------------- HARD_SWISH */

/* HARD_SWISH int8 (reference_ops::HardSwish with TFLM HardSwishParams;
 * quant.hard_swish_params gives the 16-bit fixed-point multipliers). */
void mr_hard_swish_s8(const int8_t *in, int n, int8_t *out,
                      int32_t input_zero_point, int32_t output_zero_point,
                      int32_t reluish_multiplier_fixedpoint_int16, int32_t reluish_multiplier_exponent,
                      int32_t output_multiplier_fixedpoint_int16, int32_t output_multiplier_exponent);

/* --------------------------------------------------------------- LOGISTIC */

/* LOGISTIC int8 (reference_integer_ops::Logistic): output scale 1/256, zero
 * point -128. input_range_radius, input_multiplier, input_left_shift from
 * quant.logistic_params. */
void mr_logistic_s8(const int8_t *in, int n, int8_t *out, int32_t input_zero_point,
                    int32_t input_range_radius, int32_t input_multiplier, int32_t input_left_shift);

/* ------------------------------------------------------ QUANTIZE / DEQUANTIZE */

/* QUANTIZE float32 -> int8 (reference_ops::AffineQuantize):
 * clamp(round_half_away(x / scale) + zero_point) with float arithmetic. */
void mr_quantize_f32_s8(const float *in, int n, int8_t *out, float scale, int32_t zero_point);

/* QUANTIZE float32 -> uint8 (same, clamped to [0, 255]). */
void mr_quantize_f32_u8(const float *in, int n, uint8_t *out, float scale, int32_t zero_point);

/* QUANTIZE int8 -> int8 requantization (reference_ops::Requantize):
 * clamp(requant(x - input_zero_point, multiplier, shift) + output_zero_point).
 * quant.requantize_params. Also mr_requantize_u8_s8 / mr_requantize_s8_u8
 * for uint8 model inputs/outputs. */
void mr_requantize_s8_s8(const int8_t *in, int n, int8_t *out, int32_t input_zero_point,
                         int32_t output_zero_point, int32_t multiplier, int32_t shift);
void mr_requantize_u8_s8(const uint8_t *in, int n, int8_t *out, int32_t input_zero_point,
                         int32_t output_zero_point, int32_t multiplier, int32_t shift);
void mr_requantize_s8_u8(const int8_t *in, int n, uint8_t *out, int32_t input_zero_point,
                         int32_t output_zero_point, int32_t multiplier, int32_t shift);

/* DEQUANTIZE int8 / uint8 -> float32 (reference_ops::Dequantize):
 * (float)(scale * (x - zero_point)) computed in double, as TFLM does. */
void mr_dequantize_s8_f32(const int8_t *in, int n, float *out, float scale, int32_t zero_point);
void mr_dequantize_u8_f32(const uint8_t *in, int n, float *out, float scale, int32_t zero_point);

/* -------------------------------------------------------------- TRANSPOSE */

/* TRANSPOSE int8 (reference_ops::Transpose), 1 to 4 dims:
 * out[i_perm...] with output dim k = in_shape[perm[k]]. */
void mr_transpose_s8(const int8_t *in, int num_dims, const int32_t *in_shape, const int32_t *perm,
                     int8_t *out);

/* ------------------------------------------------------------ PATCH WINDOW */

/* Copies `rows` rows of `row_bytes` bytes from `src` (rows src_stride bytes
 * apart) to `dst` (rows dst_stride bytes apart): the loads, crops and stores of
 * patch-based inference (copy_window.c). */
void mr_copy_window(const void *src, int src_stride, void *dst, int dst_stride, int rows, int row_bytes);

#ifdef __cplusplus
}
#endif

#endif /* MR_KERNELS_H_ */
