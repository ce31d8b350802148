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

/* MR_CONST qualifies what the generator emits as constant data (weights, tables, these parameter structs) and
 * the kernels' pointers to it. On AVR, where a plain pointer reads SRAM only, it is avr-gcc's __memx address
 * space: the data stays in Flash and a read through such a pointer takes LPM or LD by the address (so an
 * operand may be an arena tensor too). Everywhere else it is empty. C only: C++ has no address spaces. */
#if defined(__AVR__) && !defined(__cplusplus)
#define MR_CONST __memx
#else
#define MR_CONST
#endif

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
  const MR_CONST int32_t *multiplier;
  const MR_CONST int32_t *shift;
  const MR_CONST int8_t *rshift_m1;
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
  const MR_CONST int8_t *filter;
  const MR_CONST int32_t *bias;
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
  const MR_CONST int8_t *filter;
  const MR_CONST int32_t *bias;
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

/* ---- pooling, mean, pad, softmax, concatenation, resize, hard swish, logistic, requantization */

/* AVERAGE_POOL_2D and MAX_POOL_2D (TFLM's PoolParams), one batch: `window` without dilation (1, 1); input and
 * output share scale and zero point. */
typedef struct {
  mr_dims input, output;
  mr_window window;
  mr_activation activation;
} mr_pool_params;

/* MEAN over a contiguous block of axes, the input viewed as [outer][reduce][inner]. output_multiplier /
 * output_shift: input_scale / output_scale; the kernel folds in 1 / reduce as TFLM's QuantizedMeanOrSum. */
typedef struct {
  int32_t outer, reduce, inner;
  int32_t input_zero_point, output_zero_point;
  int32_t output_multiplier, output_shift;
} mr_mean_params;

/* PAD / PADV2 (TFLM's PadParams), up to 4-D: each output extent is left_padding + input + right_padding of
 * that axis; padded elements get pad_value. */
typedef struct {
  mr_dims input;
  mr_dims left_padding, right_padding;
  int32_t pad_value;
} mr_pad_params;

/* SOFTMAX int8 -> int8 (TFLM's SoftmaxParams) over `rows` rows of `depth` values. */
typedef struct {
  int32_t rows, depth;
  int32_t input_multiplier, input_left_shift, diff_min;
} mr_softmax_params;

/* CONCATENATION: input k viewed as [outer][axis_dims[k] * inner]. Input k is copied when `multipliers` is
 * NULL or multipliers[k] is 0 (its quantization is the output's, TFLM's int8 case), else requantized like
 * TFLM's Requantize with input_offsets[k] (-zero point), multipliers[k], shifts[k] and output_offset. */
typedef struct {
  int32_t num_inputs;
  const MR_CONST int32_t *axis_dims;
  int32_t outer, inner;
  const MR_CONST int32_t *input_offsets;
  const MR_CONST int32_t *multipliers;
  const MR_CONST int32_t *shifts;
  int32_t output_offset;
} mr_concatenation_params;

/* RESIZE_NEAREST_NEIGHBOR (TFLM's ResizeNearestNeighborParams), NHWC with batches; flags 0 or 1. */
typedef struct {
  mr_dims input, output;
  int32_t align_corners, half_pixel_centers;
} mr_resize_params;

/* HARD_SWISH (TFLM's HardSwishParams): the 16-bit fixed-point multipliers and their exponents. */
typedef struct {
  int32_t input_zero_point, output_zero_point;
  int32_t reluish_multiplier_fixedpoint_int16, reluish_multiplier_exponent;
  int32_t output_multiplier_fixedpoint_int16, output_multiplier_exponent;
} mr_hard_swish_params;

/* LOGISTIC int8 (TFLM's OpDataLogistic); the output is scale 1/256, zero point -128. */
typedef struct {
  int32_t input_zero_point;
  int32_t input_range_radius, input_multiplier, input_left_shift;
} mr_logistic_params;

/* QUANTIZE between int8 and uint8 (TFLM's Requantize): multiplier / shift of input_scale / output_scale. */
typedef struct {
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift;
} mr_requantize_params;

/* ---- shape ops (STRIDED_SLICE, SLICE, GATHER, PACK, UNPACK, SPLIT, SPACE_TO_DEPTH, ...) */

#define MR_COPY_DIMS 6

/* mr_copy_strided: `shape` elements of `elem_bytes` bytes each, outermost first; element (i0..i5) is
 * read at in + in_offset + sum(i_k * in_stride[k]) and written at out + out_offset + sum(i_k *
 * out_stride[k]) (byte strides; the input's may be negative). */
typedef struct {
  int32_t elem_bytes;
  int32_t shape[MR_COPY_DIMS];
  int32_t in_stride[MR_COPY_DIMS];
  int32_t out_stride[MR_COPY_DIMS];
  int32_t in_offset, out_offset;
} mr_copy_params;

/* mr_gather: TFLM's Gather loop; `inner_bytes` = inner_size x element bytes. */
typedef struct {
  int32_t batch_size, outer_size, axis_size, coord_size, inner_bytes;
} mr_gather_params;

/* mr_gather_nd: `n_slices` slices of `slice_bytes`, each at sum_j(index_j * dims_to_count[j]) elements
 * (of `elem_bytes`) into the params; `dims`: the params' first `indices_nd` extents (bounds). */
typedef struct {
  int32_t n_slices, indices_nd, slice_bytes, elem_bytes;
  int32_t dims[5], dims_to_count[5];
} mr_gather_nd_params;

/* mr_reduce_s8: output element (k0, k1, k2) reduces in[sum k_i * kept_stride[i] + sum r_j *
 * reduced_stride[j]] over the reduced extents (element strides, dimensions merged by the generator).
 * SUM: sat8(MultiplyByQuantizedMultiplier(sum - sum_offset, multiplier, shift) + output_zero_point) with
 * sum_offset = input zero point x reduced count, multiplier/shift of input scale / output scale. */
#define MR_REDUCE_DIMS 3
enum { MR_REDUCE_MAX = 0, MR_REDUCE_MIN = 1, MR_REDUCE_SUM = 2, MR_ARG_MAX = 3, MR_ARG_MIN = 4 };
typedef struct {
  int32_t op;
  int32_t kept_shape[MR_REDUCE_DIMS], kept_stride[MR_REDUCE_DIMS];
  int32_t reduced_shape[MR_REDUCE_DIMS], reduced_stride[MR_REDUCE_DIMS];
  int32_t sum_offset, multiplier, shift, output_zero_point;
} mr_reduce_params;

/* Element types of mr_cast. */
enum { MR_TYPE_INT8 = 0, MR_TYPE_INT16 = 2, MR_TYPE_INT32 = 3, MR_TYPE_FLOAT32 = 4 };

/* mr_mirror_pad: the output's extents (5-D, 1s in front), the input's byte strides and, per dimension, the
 * input index of each output index. */
typedef struct {
  int32_t elem_bytes;
  int32_t shape[5], in_stride[5];
  const MR_CONST int32_t *map[5];
} mr_mirror_pad_params;

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

/* ---- math ops: DIV, L2_NORMALIZATION, LOG_SOFTMAX (DIV takes mr_arithmetic_params) */

/* LOG_SOFTMAX int8 -> int8 (output scale 16/256, zero point 127) over `outer_size` rows of `depth` values:
 * TFLM's LogSoftmaxOpData. */
typedef struct {
  int32_t outer_size, depth;
  int32_t input_multiplier, input_left_shift;
  int32_t reverse_scaling_divisor, reverse_scaling_right_shift;
  int32_t diff_min;
} mr_log_softmax_params;

/* ---- spatial ops: RESIZE_BILINEAR (mr_resize_params), TRANSPOSE_CONV (mr_conv_params), BATCH_MATMUL */

/* BATCH_MATMUL int8: the output's three batch dimensions (TFLM's 5-D extended shape), the element distance
 * between matrices of each operand per batch dimension (0 where it broadcasts), out [rows][cols] over `depth`,
 * element (i, k) of LHS at i * lhs_row_stride + k * lhs_depth_stride, (k, j) of RHS at j * rhs_col_stride +
 * k * rhs_depth_stride; offsets are minus the zero points; one multiplier and shift (TFLM's, left if > 0). */
typedef struct {
  int32_t batch[3];
  int32_t lhs_batch_stride[3], rhs_batch_stride[3];
  int32_t rows, cols, depth;
  int32_t lhs_row_stride, lhs_depth_stride, rhs_col_stride, rhs_depth_stride;
  int32_t lhs_offset, rhs_offset, output_offset;
  int32_t output_multiplier, output_shift;
} mr_batch_matmul_params;

/* ---- int16 activations (16x8 quantization: int16 activations, int8 weights, int32 or int64 bias) */

/* FULLY_CONNECTED 16x8: the int8 op's fields (`fc.bias` the int32 bias, NULL with an int64 one or none) and
 * the int64 bias (NULL unless the model's bias is int64: TFLM accumulates in the bias's type). */
typedef struct {
  mr_fully_connected_params fc;
  const MR_CONST int64_t *bias64;
} mr_fully_connected_s16_params;

/* CONV_2D and DEPTHWISE_CONV_2D 16x8: the int8 op's fields (offsets 0) and the int64 bias, as above. */
typedef struct {
  mr_conv_params conv;
  const MR_CONST int64_t *bias64;
} mr_conv_s16_params;

/* MUL 16x8 with broadcasting: MUL's fields and the broadcast of the two inputs. */
typedef struct {
  mr_broadcast4 shape;
  mr_mul_params q;
} mr_mul_broadcast_params;

/* SOFTMAX int16 -> int16 (TFLM's SoftmaxParams for int16): the input difference requantized to the exp
 * table's input, then two 513-entry tables (gen_lut): exp on [-10, 0] and 1 / (1 + x) on [0, 1]. */
typedef struct {
  int32_t rows, depth;
  int32_t input_multiplier, input_left_shift;
  const MR_CONST int16_t *exp_lut, *one_over_one_plus_x_lut;
} mr_softmax_s16_params;

/* SVDF int8 (TFLM's OpDataSvdf): input [batches][input_size], weights_feature [filters][input_size] int8,
 * weights_time [filters][memory] (int16 with an int16 state, int8 with an int8 one), bias [units] int32 or
 * NULL, filters = units * rank; multiplier1 / shift1: input x feature -> state, multiplier2 / shift2:
 * state x time -> output. */
typedef struct {
  int32_t batches, input_size, filters, memory, rank, units;
  int32_t input_zero_point, state_zero_point, output_zero_point;
  int32_t multiplier1, shift1, multiplier2, shift2;
  const MR_CONST int8_t *weights_feature;
  const MR_CONST void *weights_time;
  const MR_CONST int32_t *bias;
} mr_svdf_params;

/* UNIDIRECTIONAL_SEQUENCE_LSTM int8 or int16 (TFLM's OpDataLSTM). One gate (GateParameters): input [n_input] and hidden
 * state [n_cell] through weights [n_cell][n_input] / [n_cell][n_cell] int8, each part requantized to int16 at
 * 2^-12 (quant.fully_connected_output_multiplier). The zero points are folded into effective biases
 * (lowering/lstm.py): input_bias = bias + input_offset x row sums, recurrent_bias = hidden_offset x row sums. */
typedef struct {
  const MR_CONST int8_t *input_weights, *recurrent_weights;
  const MR_CONST int32_t *input_bias, *recurrent_bias;
  const MR_CONST int64_t *bias64; /* 16x8 instead: the gate's int64 bias (the zero points are 0) */
  int32_t input_multiplier, input_shift, recurrent_multiplier, recurrent_shift;
} mr_lstm_gate;

/* The whole op: sizes, the hidden state's zero point, the four gates, the element-wise
 * products (InterGateParameters: forget x cell and input x cell gate -> cell scale, tanh(cell) x output gate ->
 * hidden state), the cell clip (CellStateInfo) and the rescale of the cell state into TFLM's tanh table. */
typedef struct {
  int32_t batches, time_steps, n_input, n_cell, time_major;
  int32_t hidden_zero_point;
  mr_lstm_gate forget, input, cell, output;
  int32_t forget_cell_multiplier, forget_cell_shift, input_cell_multiplier, input_cell_shift;
  int32_t hidden_multiplier, hidden_shift;
  int32_t use_cell_clip, quantized_cell_clip;
  mr_logistic_params cell_tanh;
} mr_lstm_params;

#ifdef __cplusplus
}
#endif

#endif /* MR_TYPES_H_ */
