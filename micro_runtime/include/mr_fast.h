/* mr_fast.h - the kernels generated code calls for CONV_2D and FULLY_CONNECTED: same bytes as the
 * reference kernels of mr_kernels.h (and so as TFLM), computed faster.
 *
 * Zero-point folding (CONV_2D): the generator passes `bias` = bias + input_offset * sum(filter of that output
 * channel) (micro_runtime/codegen.py, _folded_bias), computed mod 2^32 like the int32 accumulator, so
 * acc = bias + sum(filter * input) with raw int8 inputs. Integer arithmetic is exact, so this equals
 * TFLM's sum(filter * (input + input_offset)) + bias as long as padded taps contribute
 * filter * input_zero_point: the kernels pad with `in_zero_point`, never skip a tap.
 * The int32 accumulator is requantized with mr_requant_prepare_rshift_m1 / mr_requant_apply (equal to
 * mr_requantize): out_mult holds the int32 multipliers, out_rshift_m1 the shifts as int8 -1 - shift (TFLM's
 * shifts are in [-31, 30]), one byte per output channel instead of four and no negation per channel.
 *
 * Two implementations of each kernel, giving identical bytes:
 *  - portable C99 (the reference path; built where __ARM_FEATURE_DSP is absent or MR_PORTABLE is
 *    defined): loops shaped so that gcc -O2 vectorises them (int8 x int16 dot products whose trip
 *    count is a multiple of 16), input rows widened to int16 in scratch;
 *  - Arm DSP extension (Cortex-M4/M7/M33/M55 with __ARM_FEATURE_DSP, -O1 and up): the two pixels' rows
 *    widened to int16 once, in scratch, interleaved in SXTB16's order (conv_fast.c, MR_DSP_AT); an assembly
 *    core reads four values of both pixels with one LDM, widens the filter words (SXTB16) and runs eight SMLAD
 *    per 16 multiply-accumulates, over all output channel pairs; the accumulators are requantized in a
 *    separate loop, 32 channels at a time;
 *  - x86-64 SSE2 (the host build, mr_x86.h).
 * The blocking is 2 pixels x 2 output channels (SSE2: 4 x 2).
 *
 * Scratch (int8_t *scratch, 4-byte aligned, in the arena) sizes are given by the MR_*_SCRATCH_BYTES
 * macros below; the generator asks the planner for exactly these (codegen.kernel_scratch_bytes).
 */
#ifndef MR_FAST_H_
#define MR_FAST_H_

#include <stddef.h>
#include <stdint.h>

#include "mr_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The GEMM core reads MR_GEMM_ROW(k) values (a multiple of 16: the portable dot products then need no
 * scalar tail) of each input row, which the kernels zero-pad from k = k_h*k_w*in_c, and of each filter row.
 * Filter rows are stored MR_GEMM_STRIDE(k) bytes apart (k values, zeros up to a word: each row starts on a
 * word), and MR_GEMM_ROW(k) - MR_GEMM_STRIDE(k) zero bytes follow the last row: the values a row read
 * runs into past its own (the next row's) multiply zero inputs.
 * Two input rows as the GEMM core reads them (int16 on the portable path). */
#define MR_GEMM_ROW(k) ((((int32_t)(k)) + 15) & ~(int32_t)15)
#define MR_ALIGN4(n) ((((int32_t)(n)) + 3) & ~(int32_t)3)
#define MR_GEMM_STRIDE(k) MR_ALIGN4(k)
#define MR_GEMM_ROWS_BYTES(k) (4 * MR_GEMM_ROW(k))

/* Bytes of scratch each kernel needs. */
#define MR_CONV1X1_SCRATCH_BYTES(in_c) MR_GEMM_ROWS_BYTES(in_c)
#define MR_CONV_SCRATCH_BYTES(k_h, k_w, in_c) MR_GEMM_ROWS_BYTES((int32_t)(k_h) * (k_w) * (in_c))
#define MR_CONV_ROWS_SCRATCH_BYTES(k_h, k_w, in_c, out_w, out_c) \
  (MR_ALIGN4((int32_t)(out_w) * (out_c)) + MR_CONV_SCRATCH_BYTES(k_h, k_w, in_c))
#define MR_CONV_ADD_SCRATCH_BYTES(k_h, k_w, in_c, out_c) \
  (MR_ALIGN4(2 * (int32_t)(out_c)) + MR_CONV_SCRATCH_BYTES(k_h, k_w, in_c))

/* 1x1 stride-1 conv as a GEMM: in [rows][in_c], filter [out_c] rows MR_GEMM_STRIDE(in_c) apart, folded bias
 * (not NULL). */
void mr_conv1x1_fast_s8(const int8_t *in, int rows, int in_c, const int8_t *filter, const int32_t *bias,
                        int out_c, int8_t *out, int8_t *scratch, int32_t out_offset,
                        const int32_t *out_mult, const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max);

/* The same with the output over the input (tflite_patch/passes.py mark_inplace): buf holds
 * rows * max(in_c, out_c) bytes; forward when out_c <= in_c (pixel p's output ends at or before pixel
 * p+1's input), else from the last pixel backwards. Two pixels at a time are copied into scratch
 * before their outputs are written. */
void mr_conv1x1_inplace_fast_s8(int8_t *buf, int rows, int in_c, const int8_t *filter, const int32_t *bias,
                                int out_c, int8_t *scratch, int32_t out_offset, const int32_t *out_mult,
                                const int8_t *out_rshift_m1, int32_t act_min, int32_t act_max);

/* CONV_2D (any kernel, stride, explicit padding; dilation 1) as im2col of two output pixels at a
 * time + the GEMM core; filter OHWI, output channel rows MR_GEMM_STRIDE(k_h*k_w*in_c) apart.
 * Padded taps read in_zero_point. */
void mr_conv2d_fast_s8(const int8_t *in, int in_h, int in_w, int in_c,
                       const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                       int stride_h, int stride_w, int pad_top, int pad_left,
                       int8_t *out, int out_h, int out_w, int8_t *scratch, int32_t in_zero_point,
                       int32_t out_offset, const int32_t *out_mult, const int8_t *out_rshift_m1,
                       int32_t act_min, int32_t act_max);

/* CONV_2D one output row at a time: each row into scratch, then copied to `out`, which may overlap
 * `in` as long as rows 0..y of the output only cover input rows no later output row reads
 * (passes.rows_inplace_offset). */
void mr_conv2d_rows_fast_s8(const int8_t *in, int in_h, int in_w, int in_c,
                            const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                            int stride_h, int stride_w, int pad_top, int pad_left,
                            int8_t *out, int out_h, int out_w, int8_t *scratch, int32_t in_zero_point,
                            int32_t out_offset, const int32_t *out_mult, const int8_t *out_rshift_m1,
                            int32_t act_min, int32_t act_max);

/* CONV_2D fused with ADD(conv, skip) (passes.fuse_conv_add): two output pixels at a time are computed
 * into scratch with the conv's requantization and clamp, then added to the skip pixels with the ADD's
 * parameters (mr_add_s8) and written to `out`, which may equal `skip`. conv_is_input1: whether the
 * conv's result is the ADD's first input. */
void mr_conv2d_add_fast_s8(const int8_t *in, int in_h, int in_w, int in_c,
                           const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                           int stride_h, int stride_w, int pad_top, int pad_left,
                           const int8_t *skip, int8_t *out, int out_h, int out_w,
                           int32_t in_zero_point, int32_t conv_out_offset, const int32_t *out_mult,
                           const int8_t *out_rshift_m1, int32_t conv_act_min, int32_t conv_act_max,
                           int8_t *scratch, int conv_is_input1,
                           int32_t input1_offset, int32_t input2_offset, int32_t left_shift,
                           int32_t input1_multiplier, int32_t input1_shift,
                           int32_t input2_multiplier, int32_t input2_shift,
                           int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                           int32_t act_min, int32_t act_max);

/* FULLY_CONNECTED with folded bias (filter zero point 0): in [batches][in_n], filter [out_n][in_n].
 * out_mult/out_rshift_m1: arrays of out_n (per channel), or of 1 when per_channel is 0. No scratch. */
void mr_fully_connected_fast_s8(const int8_t *in, int batches, int in_n, const int8_t *filter,
                                const int32_t *bias, int out_n, int8_t *out, int32_t out_offset,
                                const int32_t *out_mult, const int8_t *out_rshift_m1, int per_channel,
                                int32_t act_min, int32_t act_max);

/* The same for a layer without bias: no folded bias (an int32 per output the model does not have), in_offset
 * is added to the inputs as they are widened instead (free on the DSP path: SXTAB16 for SXTB16). */
void mr_fully_connected_nobias_fast_s8(const int8_t *in, int batches, int in_n, const int8_t *filter, int out_n,
                                       int8_t *out, int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                       const int8_t *out_rshift_m1, int per_channel, int32_t act_min, int32_t act_max);

#ifdef __cplusplus
}
#endif

#endif /* MR_FAST_H_ */
