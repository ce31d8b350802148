/* mr_fast_internal.h - what the files of the CONV_2D and FULLY_CONNECTED fast kernels (mr_fast.h) share; not
 * for generated code. conv_fast.c / fully_connected_fast.c hold the set-up, what every ISA shares and the
 * portable path; conv_fast_dsp.c / fully_connected_fast_dsp.c the Arm DSP path (MR_DSP), conv_fast_x86.c /
 * fully_connected_fast_x86.c the SSE2 path (MR_SSE2), conv_fast_mve.c the Helium path (MR_MVE: on an MVE core it
 * takes the convolutions from the DSP path, MR_CONV_DSP). Each function below is defined once in every build. */
#ifndef MR_FAST_INTERNAL_H_
#define MR_FAST_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

#include "mr_dsp.h"
#include "mr_fast.h"
#include "mr_mve.h"
#include "mr_x86.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CONV_2D */

/* The convolutions' DSP path: not on an MVE core, whose vector path takes them. */
#if defined(MR_DSP) && !defined(MR_MVE)
#define MR_CONV_DSP 1
#endif

/* The GEMM rows: int16 (portable: gcc vectorises int8 x int16 dot products; DSP: the MR_DSP_AT layout) or int8
 * (the SSE2 cores widen int8 themselves, the MVE ones multiply int8). MR_PIXEL_ROW: where pixel p's row starts in
 * the scratch of two. */
#if defined(MR_CONV_DSP)
typedef int16_t mr_row_t;
/* DSP rows: the GEMM rows of two pixels, widened to int16 and interleaved in the order SXTB16 gives. For each
 * four values v0..v3 of a row: the words (v0, v2) and (v1, v3) of pixel 0, then those of pixel 1; pixel p's row
 * starts 4*p halfwords in. The core then reads four values of both pixels with one LDM and widens only the
 * filter (SXTB16 of a filter word gives (w0, w2), with ROR 8 (w1, w3): the same pairing). Value i of a pixel's
 * row sits at halfword: */
#define MR_DSP_AT(i) ((((i) >> 2) << 3) | (((i) & 1) << 1) | (((i) >> 1) & 1))
#define MR_PIXEL_ROW(rows, p, k) ((rows) + 4 * (p))
#elif defined(MR_SSE2) || defined(MR_MVE)
typedef int8_t mr_row_t;
#define MR_PIXEL_ROW(rows, p, k) ((rows) + (p) * MR_GEMM_ROW(k))
#else
typedef int16_t mr_row_t;
#define MR_PIXEL_ROW(rows, p, k) ((rows) + (p) * MR_GEMM_ROW(k))
#endif

/* Output stage of one layer: requantization, output offset, activation clamp. */
typedef struct {
  int32_t out_offset;
  const MR_CONST int32_t *mult;
  const MR_CONST int8_t *rshift_m1; /* -1 - shift (mr_requant_prepare_rshift_m1) */
  int32_t act_min, act_max;
  int doubled; /* every channel may requantize by mr_requantize_doubled (the DSP GEMM's output stage does) */
} mr_out_params;

/* One conv call: its parameters, input, GEMM row length k = k_h * k_w * in_c and output stage. */
typedef struct {
  const MR_CONST mr_conv_params *p;
  const int8_t *in;
  int32_t k;
  mr_out_params q;
} mr_conv_job;

/* Row loaders (conv_fast.c: linear rows, portable, SSE2 and MVE; conv_fast_dsp.c): values [pos, pos + n) of a GEMM
 * row from n int8 values, or n copies of one value; mr_conv_row_pad zero-fills a row from k to the length the
 * core reads (DSP: a multiple of 4, else MR_GEMM_ROW(k)). */
void mr_conv_row_load(mr_row_t *row, int pos, const int8_t *src, int n);
void mr_conv_row_fill(mr_row_t *row, int pos, int32_t value, int n);
void mr_conv_row_pad(mr_row_t *row, int k);

/* The im2col row of output pixel (out_y, out_x) (conv_fast.c). */
void mr_conv_im2col(mr_row_t *row, const mr_conv_job *c, int out_y, int out_x);

/* The two-pixel GEMM (conv_fast.c portable, conv_fast_dsp.c; not SSE2): y0[oc], y1[oc] (pixels 0 and 1 of
 * `rows`, MR_PIXEL_ROW) for every output channel, acc = bias[oc] + sum_i filter[oc][i] * x[i], requantized.
 * y1 may equal y0 (one pixel loaded twice). */
void mr_conv_gemm2(const mr_row_t *rows, int k, const MR_CONST int8_t *filter, const MR_CONST int32_t *bias, int out_c,
                   int8_t *y0, int8_t *y1, const mr_out_params *q);

/* The pixel loops (conv_fast.c two pixels at a time, portable and DSP; conv_fast_x86.c four or eight;
 * conv_fast_mve.c four; mr_conv_add_pixels of SSE2 and MVE in conv_fast.c):
 * mr_conv_pixels: output pixels [first, first + count) (flat index y * out_w + x), pixel j written at
 * out + j * out_c, GEMM rows in `rows`; mr_conv1x1_pixels: all pixels of a 1x1 conv, rows in scratch,
 * `inplace`: out is the input (mr_conv1x1_inplace_fast_s8);
 * mr_conv_add_pixels: the conv outputs of the next pixels from `first` (at most `left`) into scratch, for the
 * fused ADD (scratch as mr_conv2d_add_fast_s8 has it); returns how many. */
void mr_conv_pixels(const mr_conv_job *c, int32_t first, int32_t count, int8_t *out, mr_row_t *rows);
void mr_conv1x1_pixels(const mr_conv_job *c, int8_t *out, mr_row_t *scratch, int inplace);
int32_t mr_conv_add_pixels(const mr_conv_job *c, int32_t first, int32_t left, int8_t *scratch);

/* The four-pixel core of the int8-row ISAs (conv_fast_x86.c, conv_fast_mve.c): y[p][oc] for rows x[0..3] (rows may
 * repeat: their outputs are then written twice, alike), MR_GEMM_ROW(k) values each (zero from k on). */
#if defined(MR_SSE2) || defined(MR_MVE)
void mr_conv_gemm4(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                   int8_t *const *y, const mr_out_params *params);
#endif

/* ---- FULLY_CONNECTED */

/* The output stage of a layer, copied out of its parameters once: the int8 stores into y may alias the
 * parameter struct, which would make the compiler reload its fields for every output. */
typedef struct {
  const MR_CONST int32_t *mult;
  const MR_CONST int8_t *rshift_m1;
  int32_t out_offset, act_min, act_max;
  int per_channel;
} mr_fc_out;

static inline mr_fc_out mr_fc_out_of(const MR_CONST mr_fully_connected_params *p) {
  const mr_fc_out q = {p->quant.multiplier, p->quant.rshift_m1, p->output_offset, p->activation.min,
                       p->activation.max, p->per_channel};
  return q;
}

/* Output o of one input row: acc (bias and dot product) requantized, offset and clamped into y[o]. */
static inline void mr_fc_store(const mr_fc_out *q, int8_t *y, int o, int32_t acc) {
  const int c = q->per_channel ? o : 0;
  const mr_requant r = mr_requant_prepare_rshift_m1(q->mult[c], q->rshift_m1[c]);
  y[o] = (int8_t)mr_clamp_i32(mr_requant_apply(acc, &r) + q->out_offset, q->act_min, q->act_max);
}

/* The dot products of one input row x (n values) with filter rows w0 and w1, in_offset added to every input,
 * added to acc[0] and acc[1] (fully_connected_fast.c portable, fully_connected_fast_dsp.c; BATCH_MATMUL's
 * sums too). */
void mr_fc_dot2(const MR_CONST int8_t *x, int n, const MR_CONST int8_t *w0, const MR_CONST int8_t *w1,
                int32_t in_offset, int32_t acc[2]);

/* The outputs of one input row x that an ISA's file computes (fully_connected_fast_dsp.c: pairs;
 * fully_connected_fast_x86.c: blocks of four), from output 0 on; bias NULL (then in_offset is added to the
 * inputs) or the folded bias. Returns how many it wrote; fully_connected_fast.c computes the rest. */
#ifdef MR_DSP
int mr_fc_outputs_dsp(const MR_CONST mr_fully_connected_params *p, const int8_t *x, int8_t *y,
                      const MR_CONST int32_t *bias, int32_t in_offset);
#endif
#ifdef MR_SSE2
int mr_fc_outputs_x86(const MR_CONST mr_fully_connected_params *p, const int8_t *x, int8_t *y,
                      const MR_CONST int32_t *bias, int32_t in_offset);
#endif

#ifdef __cplusplus
}
#endif

#endif /* MR_FAST_INTERNAL_H_ */
