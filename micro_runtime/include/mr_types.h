/* mr_types.h - the parameter structs of the kernels' public API, in the shape of CMSIS-NN's arm_nn_types.h
 * (cmsis_nn_dims, cmsis_nn_conv_params, cmsis_nn_per_channel_quant_params) and TFLM's OpData: what a layer
 * needs besides its activation pointers, computed once by the generator (micro_runtime/lowering) and emitted
 * as a `static const` struct, so a call reads `mr_conv2d_fast_s8(&conv3, in, out, scratch)`.
 *
 * Names follow TFLM: input_offset = -input zero point, output_offset = +output zero point; act_min/act_max
 * the fused activation's clamp in the output's integer domain (micro_runtime/quant.py derives every value). */
#ifndef MR_TYPES_H_
#define MR_TYPES_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A tensor's shape, NHWC (ranks below 4 padded with leading ones). */
typedef struct {
  int32_t n, h, w, c;
} mr_dims;

/* A convolution or pooling window: kernel size, stride, the padding before the first row/column (the
 * padding after is implied by the output size) and dilation. */
typedef struct {
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
  int32_t dilation_h, dilation_w;
} mr_window;

/* Per-output-channel requantization (TFLM's per_channel_output_multiplier / _shift). The reference kernels
 * read `shift` (TFLM's, int32, left shift if positive); the fast kernels read `rshift_m1` (-1 - shift as int8,
 * mr_requant_prepare_rshift_m1). The generator emits the one the chosen kernel reads and NULL for the other. */
typedef struct {
  const int32_t *multiplier;
  const int32_t *shift;
  const int8_t *rshift_m1;
} mr_per_channel_quant;

/* The clamp of the fused activation, in the output's integer domain. */
typedef struct {
  int32_t min, max;
} mr_activation;

/* CONV_2D and DEPTHWISE_CONV_2D. `filter`: OHWI for CONV_2D ([1][k_h][k_w][out_c] for depthwise) as the chosen
 * kernel reads it (the GEMM kernels: rows MR_GEMM_STRIDE apart); `bias`: one int32 per output channel, folded
 * with the input offset for the GEMM kernels (mr_fast.h), may be NULL for the reference kernels;
 * `depth_multiplier`: depthwise only (1 for CONV_2D). */
typedef struct {
  mr_dims input, output;
  mr_window window;
  int32_t depth_multiplier;
  int32_t input_offset, output_offset;
  mr_activation activation;
  const int8_t *filter;
  const int32_t *bias;
  mr_per_channel_quant quant;
} mr_conv_params;

/* FULLY_CONNECTED: `batches` rows of `input_depth` values times a filter [output_depth][input_depth]. A
 * per-tensor filter has one multiplier and shift (`per_channel` 0); `filter_offset` = -filter zero point
 * (the reference kernels; the fast ones take zero points of 0). */
typedef struct {
  int32_t batches, input_depth, output_depth;
  int32_t input_offset, filter_offset, output_offset;
  int32_t per_channel;
  mr_activation activation;
  const int8_t *filter;
  const int32_t *bias;
  mr_per_channel_quant quant;
} mr_fully_connected_params;

/* ADD (TFLM's ArithmeticParams for int8): both inputs rescaled to a common scale with `left_shift` headroom,
 * summed, rescaled to the output. Also the fused ADD of mr_conv2d_add_fast_s8. */
typedef struct {
  int32_t input1_offset, input2_offset;
  int32_t left_shift;
  int32_t input1_multiplier, input1_shift;
  int32_t input2_multiplier, input2_shift;
  int32_t output_offset, output_multiplier, output_shift;
  mr_activation activation;
} mr_add_params;

/* MUL (TFLM's ArithmeticParams for int8 MUL). */
typedef struct {
  int32_t input1_offset, input2_offset;
  int32_t output_offset, output_multiplier, output_shift;
  mr_activation activation;
} mr_mul_params;

/* ---- other op families add their parameter structs below (one section each). */

/* ---- Elementwise ops: MAXIMUM, MINIMUM, RELU, RELU6, LEAKY_RELU, PRELU, SUB, SQUARED_DIFFERENCE, ... */

/* Two inputs broadcast against each other (TFLM NdArrayDescsForElementwiseBroadcast on shapes extended to
 * 4-D): the output's dims (NHWC) and each input's strides, 0 along a dimension it broadcasts. */
typedef struct {
  int32_t dims[4];
  int32_t stride1[4], stride2[4];
} mr_broadcast4;

/* RELU int8 (TFLM ReluOpData): requantized to the output, clamped to [max(-128, zp_out), 127].
 * input_offset is +input zero point (subtracted), as TFLM's ReluOpData. */
typedef struct {
  int32_t input_offset, output_offset;
  int32_t output_multiplier, output_shift;
  mr_activation activation;
} mr_relu_params;

/* LEAKY_RELU int8 (TFLM LeakyReluParams): input_offset is +input zero point (subtracted). */
typedef struct {
  int32_t input_offset, output_offset;
  int32_t output_multiplier_identity, output_shift_identity;
  int32_t output_multiplier_alpha, output_shift_alpha;
} mr_leaky_relu_params;

/* PRELU int8 (TFLM PreluParams), alpha broadcast against the input. */
typedef struct {
  mr_broadcast4 shape;
  int32_t input_offset, alpha_offset, output_offset;
  int32_t output_multiplier_1, output_shift_1;
  int32_t output_multiplier_2, output_shift_2;
} mr_prelu_params;

/* SUB and SQUARED_DIFFERENCE int8: TFLM's ArithmeticParams (the fields of ADD's) with the broadcast of the
 * two inputs. */
typedef struct {
  mr_broadcast4 shape;
  mr_add_params q;
} mr_arithmetic_params;

/* The comparison of mr_compare_s8 (EQUAL ... LESS_EQUAL). */
enum { MR_EQUAL, MR_NOT_EQUAL, MR_GREATER, MR_GREATER_EQUAL, MR_LESS, MR_LESS_EQUAL };

/* SELECT_V2: the condition (bool), x and y broadcast against each other (4-D), as mr_broadcast4. */
typedef struct {
  int32_t dims[4];
  int32_t stride_condition[4], stride_x[4], stride_y[4];
} mr_select_params;

#ifdef __cplusplus
}
#endif

#endif /* MR_TYPES_H_ */
