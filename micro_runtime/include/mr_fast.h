/* mr_fast.h - the kernels generated code calls for CONV_2D and FULLY_CONNECTED: same bytes as the
 * reference kernels of mr_kernels.h (and so as TFLM), computed faster. Parameters: mr_conv_params and
 * mr_fully_connected_params (mr_types.h), which the generator emits as `static const` structs.
 *
 * Zero-point folding (CONV_2D): the generator passes `bias` = bias + input_offset * sum(filter of that output
 * channel) (micro_runtime/lowering/conv_common.py, folded_bias), computed mod 2^32 like the int32 accumulator, so
 * acc = bias + sum(filter * input) with raw int8 inputs. Integer arithmetic is exact, so this equals
 * TFLM's sum(filter * (input + input_offset)) + bias as long as padded taps contribute
 * filter * input_zero_point: the kernels pad with the zero point (-input_offset), never skip a tap.
 * The int32 accumulator is requantized with mr_requant_prepare_rshift_m1 / mr_requant_apply (equal to
 * mr_requantize): quant.multiplier holds the int32 multipliers, quant.rshift_m1 the shifts as int8 -1 - shift
 * (TFLM's shifts are in [-31, 30]), one byte per output channel instead of four and no negation per channel.
 *
 * Three implementations of each kernel, giving identical bytes, one file each (conv_fast.c holds what they
 * share: set-up, im2col, the two-pixel loops; mr_fast_internal.h the interface between the files):
 *  - portable C99 (the reference path; built where neither of the others is, or with MR_PORTABLE; conv_fast.c,
 *    fully_connected_fast.c): loops shaped so that gcc -O2 vectorises them (int8 x int16 dot products whose
 *    trip count is a multiple of 16), input rows widened to int16 in scratch;
 *  - Arm DSP extension (Cortex-M4/M7/M33/M55 with __ARM_FEATURE_DSP, -O1 and up, mr_dsp.h; conv_fast_dsp.c,
 *    fully_connected_fast_dsp.c): the two pixels' rows widened to int16 once, in scratch, interleaved in
 *    SXTB16's order (MR_DSP_AT); an assembly core reads four values of both pixels with one LDM, widens the
 *    filter words (SXTB16) and runs eight SMLAD per 16 multiply-accumulates, over all output channel pairs; the
 *    accumulators are requantized in a separate loop, 32 channels at a time;
 *  - x86-64 SSE2 (the host build, mr_x86.h; conv_fast_x86.c, fully_connected_fast_x86.c).
 * The blocking is 2 pixels x 2 output channels (SSE2: 4 x 2).
 *
 * Scratch (int8_t *scratch, 4-byte aligned, in the arena): the *_scratch_bytes functions below; the generator
 * asks the planner for exactly these (micro_runtime/lowering/conv.py).
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

/* Scratch each kernel needs, in bytes (the MR_*_SCRATCH_BYTES above; the generator asks for the same,
 * tests/test_conv_scratch_sizes.py checks it). mr_conv1x1_fast_s8_scratch_bytes also holds for the in-place 1x1. */
int32_t mr_conv1x1_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p);
int32_t mr_conv2d_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p);
int32_t mr_conv2d_rows_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p);
int32_t mr_conv2d_add_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p);

/* The CONV_2D kernels read of `p` (mr_types.h): input and output dims (input.n * input.h * input.w pixels for
 * the 1x1 kernels, one batch for the others), the window (dilation 1), input_offset (-input zero point: padded
 * taps read the zero point), output_offset, activation, filter (OHWI, output channel rows
 * MR_GEMM_STRIDE(k_h * k_w * in_c) apart, gemm filter layout above), bias (folded, not NULL),
 * quant.multiplier and quant.rshift_m1. */

/* 1x1 stride-1 unpadded conv as a GEMM: in [pixels][in_c]. */
void mr_conv1x1_fast_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out, int8_t *scratch);

/* The same with the output over the input (tflite_patch/passes.py mark_inplace): buf holds
 * pixels * max(in_c, out_c) bytes; forward when out_c <= in_c (pixel p's output ends at or before pixel
 * p+1's input), else from the last pixel backwards. Two pixels at a time are copied into scratch
 * before their outputs are written. */
void mr_conv1x1_inplace_fast_s8(const MR_CONST mr_conv_params *p, int8_t *buf, int8_t *scratch);

/* CONV_2D (any kernel, stride, explicit padding; dilation 1) as im2col of two output pixels at a
 * time + the GEMM core. */
void mr_conv2d_fast_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out, int8_t *scratch);

/* CONV_2D one output row at a time: each row into scratch, then copied to `out`, which may overlap
 * `in` as long as rows 0..y of the output only cover input rows no later output row reads
 * (passes.rows_inplace_offset). */
void mr_conv2d_rows_fast_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out, int8_t *scratch);

/* CONV_2D fused with ADD(conv, skip) (passes.fuse_conv_add): output pixels are computed into scratch with the
 * conv's requantization and clamp, then added to the skip pixels with the ADD's parameters (mr_add_s8), the
 * conv's result as input 1 (the generator swaps the ADD's inputs 1 and 2 where the model has the conv second:
 * the sum is the same), and written to `out`, which may equal `skip`. */
void mr_conv2d_add_fast_s8(const MR_CONST mr_conv_params *conv, const MR_CONST mr_add_params *add, const int8_t *in,
                           const int8_t *skip, int8_t *out, int8_t *scratch);

/* FULLY_CONNECTED with folded bias (filter zero point 0): in [batches][input_depth], filter
 * [output_depth][input_depth]; quant.multiplier / quant.rshift_m1 hold output_depth values (per_channel) or one.
 * input_offset is not read (it is in the bias). No scratch. */
void mr_fully_connected_fast_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out);

/* The same for a layer without bias (p->bias not read): no folded bias (an int32 per output the model does not
 * have), input_offset is added to the inputs as they are widened instead (free on the DSP path: SXTAB16 for
 * SXTB16). */
void mr_fully_connected_nobias_fast_s8(const MR_CONST mr_fully_connected_params *p, const int8_t *in, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MR_FAST_H_ */
