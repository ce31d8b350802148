/* CONV_2D int8 with folded zero points (see mr_fast.h): one GEMM core, fed by row loaders (a 1x1 conv reads its
 * input pixels, other convs build an im2col row per output pixel, padded with the input zero point).
 * Here: the kernels and their set-up, im2col, the linear rows (portable, SSE2, MVE), the portable GEMM and the loops
 * that take two pixels at a time (portable and Arm DSP), the fused ADD's pixels of the four-pixel cores (SSE2 and
 * MVE); conv_fast_dsp.c, conv_fast_x86.c and conv_fast_mve.c hold the other ISAs' parts (mr_fast_internal.h). */
#include <string.h>

#include "mr_fast_internal.h"
#include "mr_kernels.h"

/* ---- set-up */

/* Whether a layer's every output may take mr_requantize_doubled: each channel a right shift by 1..21 and every
 * accumulator |acc| < 2^30, which |bias| + k * 2^14 < 2^30 guarantees (the products of int8 inputs, padding
 * included, and int8 filters are at most 2^14). Checked once per layer call. */
static int mr_doubled_exact(const MR_CONST int32_t *bias, int out_c, int k, const MR_CONST int8_t *rshift_m1) {
  const int32_t room = k < ((int32_t)1 << 15) ? ((int32_t)1 << 30) - (int32_t)k * (1 << 14) : 0;
  int c;
  for (c = 0; c < out_c; ++c) {
    if (!mr_requant_doubled_allows(rshift_m1[c]) || bias[c] >= room || bias[c] <= -room) return 0;
  }
  return 1;
}

static mr_conv_job mr_conv_job_of(const MR_CONST mr_conv_params *p, const int8_t *in) {
  mr_conv_job c;
  c.p = p;
  c.in = in;
  c.k = p->window.k_h * p->window.k_w * p->input.c;
  c.q.out_offset = p->output_offset;
  c.q.mult = p->quant.multiplier;
  c.q.rshift_m1 = p->quant.rshift_m1;
  c.q.act_min = p->activation.min;
  c.q.act_max = p->activation.max;
  c.q.doubled = mr_doubled_exact(p->bias, p->output.c, c.k, p->quant.rshift_m1);
  return c;
}

int32_t mr_conv1x1_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p) {
  return MR_CONV1X1_SCRATCH_BYTES(p->input.c);
}

int32_t mr_conv2d_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p) {
  return MR_CONV_SCRATCH_BYTES(p->window.k_h, p->window.k_w, p->input.c);
}

int32_t mr_conv2d_rows_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p) {
  return MR_CONV_ROWS_SCRATCH_BYTES(p->window.k_h, p->window.k_w, p->input.c, p->output.w, p->output.c);
}

int32_t mr_conv2d_add_fast_s8_scratch_bytes(const MR_CONST mr_conv_params *p) {
  return MR_CONV_ADD_SCRATCH_BYTES(p->window.k_h, p->window.k_w, p->input.c, p->output.c);
}

/* ---- im2col */

/* memcpy for the few bytes of a first layer's kernel row (9 for 3x3x3), without the library call's set-up (the
 * empty asm keeps gcc from turning the loops back into one). */
static inline void mr_copy_short(int8_t *restrict dst, const int8_t *restrict src, int n) {
  for (; n >= 4; n -= 4, dst += 4, src += 4) {
    memcpy(dst, src, 4); /* one LDR and one STR (unaligned is fine) */
    __asm__ volatile("" ::: "memory");
  }
  for (; n > 0; --n) {
    *dst++ = *src++;
    __asm__ volatile("" ::: "memory");
  }
}

/* The im2col row of output pixel (out_y, out_x): k_h*k_w*in_c values in filter (OHWI) order, into a GEMM row
 * (NARROW 0) or plain int8 values (NARROW 1). The taps of one kernel row that fall inside the input are
 * contiguous in it (NHWC): one load each. Padded taps read the input zero point. */
static inline __attribute__((always_inline)) void mr_im2col_k(void *row, const mr_conv_job *job, int out_y,
                                                               int out_x, const int NARROW) {
  const MR_CONST mr_conv_params *g = job->p;
  const int in_y0 = out_y * g->window.stride_h - g->window.pad_top;
  const int in_x0 = out_x * g->window.stride_w - g->window.pad_left;
  const int kx0 = in_x0 < 0 ? -in_x0 : 0;
  const int kx1 = in_x0 + g->window.k_w > g->input.w ? g->input.w - in_x0 : g->window.k_w;
  const int c = g->input.c, row_len = g->window.k_w * c;
  int ky, pos = 0;
  if (kx0 == 0 && kx1 == g->window.k_w && in_y0 >= 0 && in_y0 + g->window.k_h <= g->input.h) { /* no padding */
    const int8_t *src = job->in + ((size_t)in_y0 * g->input.w + in_x0) * c;
    const size_t in_row = (size_t)g->input.w * c;
    for (ky = 0; ky < g->window.k_h; ++ky, pos += row_len, src += in_row) {
      if (NARROW) mr_copy_short((int8_t *)row + pos, src, row_len);
      else mr_conv_row_load((mr_row_t *)row, pos, src, row_len);
    }
    return;
  }
#define MR_FILL(at, n)                                                                     \
  do {                                                                                     \
    if (NARROW) memset((int8_t *)row + (at), (int8_t)-g->input_offset, (size_t)(n));       \
    else mr_conv_row_fill((mr_row_t *)row, at, -g->input_offset, n);                       \
  } while (0)
  for (ky = 0; ky < g->window.k_h; ++ky, pos += row_len) {
    const int in_y = in_y0 + ky;
    const int8_t *src;
    if (in_y < 0 || in_y >= g->input.h || kx1 <= kx0) {
      MR_FILL(pos, row_len);
      continue;
    }
    src = job->in + ((size_t)in_y * g->input.w + in_x0 + kx0) * c; /* inside the input: formed only here */
    if (kx0 > 0) MR_FILL(pos, kx0 * c);
    if (NARROW) mr_copy_short((int8_t *)row + pos + kx0 * c, src, (kx1 - kx0) * c);
    else mr_conv_row_load((mr_row_t *)row, pos + kx0 * c, src, (kx1 - kx0) * c);
    if (kx1 < g->window.k_w) MR_FILL(pos + kx1 * c, (g->window.k_w - kx1) * c);
  }
#undef MR_FILL
}

/* The longest im2col row built in int8 first (mr_conv_im2col): 3 input channels up to 7x7 kernels. */
#define MR_IM2COL_S8_MAX 160

void mr_conv_im2col(mr_row_t *row, const mr_conv_job *c, int out_y, int out_x) {
  /* in_c not a multiple of 4 (first layers: 3 channels): the taps straddle the groups of four, which the DSP row
   * loader would fill value by value; build the row in int8 first, then load it whole */
  const int k = c->k;
  if ((c->p->input.c & 3) != 0 && k <= MR_IM2COL_S8_MAX) {
    int32_t narrow[MR_IM2COL_S8_MAX / 4]; /* int32: word-aligned for the widening loads */
    narrow[(k - 1) >> 2] = 0;             /* the values from k to a multiple of 4 (their filter values are 0) */
    mr_im2col_k(narrow, c, out_y, out_x, 1);
    mr_conv_row_load(row, 0, (const int8_t *)narrow, MR_ALIGN4(k));
    return;
  }
  mr_im2col_k(row, c, out_y, out_x, 0);
}

#ifndef MR_CONV_DSP
/* ---- linear rows (portable: int16, SSE2 and MVE: int8): value i of a pixel's row at row[i] */

void mr_conv_row_load(mr_row_t *restrict row, int pos, const int8_t *restrict src, int n) {
  mr_row_t *restrict dst = row + pos;
  const int n16 = (int)((unsigned)n & ~15u);
  int i;
  if (sizeof(mr_row_t) == 1) { /* int8 rows: a copy */
    memcpy(dst, src, (size_t)n);
    return;
  }
  for (i = 0; i < n16; ++i) dst[i] = src[i];
  for (i = n16; i < n; ++i) dst[i] = src[i];
}

void mr_conv_row_fill(mr_row_t *row, int pos, int32_t value, int n) {
  int i;
  for (i = 0; i < n; ++i) row[pos + i] = (mr_row_t)value;
}

void mr_conv_row_pad(mr_row_t *row, int k) { mr_conv_row_fill(row, k, 0, MR_GEMM_ROW(k) - k); }
#endif

#if !defined(MR_DSP) && !defined(MR_SSE2) && !defined(MR_MVE)
/* ---- the portable GEMM */

/* Output channel oc of two pixels: one requantization set-up (mr_requant_prepare_rshift_m1) for both. */
static inline void mr_out_pair(int32_t acc_a, int32_t acc_b, int oc, const mr_out_params *q, int8_t *y_a,
                               int8_t *y_b) {
  const mr_requant r = mr_requant_prepare_rshift_m1(q->mult[oc], q->rshift_m1[oc]);
  int32_t a, b;
  if (r.right_shift_m1 >= 0) {
    a = mr_requant_apply_right(acc_a, &r);
    b = mr_requant_apply_right(acc_b, &r);
  } else {
    a = mr_requant_apply_left(acc_a, &r);
    b = mr_requant_apply_left(acc_b, &r);
  }
  *y_a = (int8_t)mr_clamp_i32(a + q->out_offset, q->act_min, q->act_max);
  *y_b = (int8_t)mr_clamp_i32(b + q->out_offset, q->act_min, q->act_max);
}

/* mr_conv_gemm2 on rows x0 and x1. */
static inline __attribute__((always_inline)) void mr_gemm2_k(const mr_row_t *x0, const mr_row_t *x1, int k,
                                                              const MR_CONST int8_t *filter,
                                                              const MR_CONST int32_t *bias, int out_c,
                                                              int8_t *y0, int8_t *y1, const mr_out_params *params) {
  /* a copy: the int8 output stores may alias *params, which would make gcc reload it after each one */
  const mr_out_params copy = *params, *const q = &copy;
  const int stride = (int)MR_GEMM_STRIDE(k);
  const int k16 = (int)((unsigned)MR_GEMM_ROW(k) & ~15u); /* written so the vectoriser sees a multiple of 16 */
  int oc;
  for (oc = 0; oc < out_c; oc += 2) {
    /* an odd last channel is computed twice over (w1 = w0) and written once */
    const int second = oc + 1 < out_c ? oc + 1 : oc;
    const MR_CONST int8_t *w0 = filter + (size_t)oc * (size_t)stride, *w1 = filter + (size_t)second * (size_t)stride;
    int32_t acc00 = bias[oc], acc10 = acc00, acc01 = bias[second], acc11 = acc01;
    int i;
    /* MR_GEMM_ROW(k) values: the scratch rows are zero beyond k (the filter values there, up to the next
     * row's, multiply zeros) */
    for (i = 0; i < k16; ++i) {
      acc00 += (int32_t)w0[i] * x0[i];
      acc01 += (int32_t)w1[i] * x0[i];
      acc10 += (int32_t)w0[i] * x1[i];
      acc11 += (int32_t)w1[i] * x1[i];
    }
    mr_out_pair(acc01, acc11, second, q, y0 + second, y1 + second);
    mr_out_pair(acc00, acc10, oc, q, y0 + oc, y1 + oc);
  }
}

/* The row length a constant for the short rows of expansion 1x1 convs (8 or 16 input channels), where the
 * per-channel overhead outweighs the dot products. */
void mr_conv_gemm2(const mr_row_t *rows, int k, const MR_CONST int8_t *filter, const MR_CONST int32_t *bias, int out_c,
                   int8_t *y0, int8_t *y1, const mr_out_params *q) {
  const mr_row_t *x0 = MR_PIXEL_ROW(rows, 0, k), *x1 = MR_PIXEL_ROW(rows, 1, k);
  if (k == 8) mr_gemm2_k(x0, x1, 8, filter, bias, out_c, y0, y1, q);
  else if (k == 16) mr_gemm2_k(x0, x1, 16, filter, bias, out_c, y0, y1, q);
  else mr_gemm2_k(x0, x1, k, filter, bias, out_c, y0, y1, q);
}
#endif

#if !defined(MR_SSE2) && !defined(MR_MVE)
/* ---- two pixels at a time (portable and Arm DSP) */

/* Zero-pads the two pixels' GEMM rows from k on (the loaders write the values below k). */
static void mr_pad_pixel_rows(mr_row_t *rows, int k) {
  mr_conv_row_pad(MR_PIXEL_ROW(rows, 0, k), k);
  mr_conv_row_pad(MR_PIXEL_ROW(rows, 1, k), k);
}

void mr_conv_pixels(const mr_conv_job *c, int32_t first, int32_t count, int8_t *out, mr_row_t *rows) {
  const int k = c->k, out_c = c->p->output.c, out_w = c->p->output.w;
  const MR_CONST int8_t *filter = c->p->filter;
  const MR_CONST int32_t *bias = c->p->bias;
  int32_t j;
  mr_pad_pixel_rows(rows, k);
  for (j = 0; j < count; j += 2) {
    const int32_t p0 = first + j;
    const int32_t j1 = j + 1 < count ? j + 1 : j; /* one pixel left: loaded into both rows */
    const int32_t p1 = first + j1;
    mr_conv_im2col(MR_PIXEL_ROW(rows, 0, k), c, (int)(p0 / out_w), (int)(p0 % out_w));
    mr_conv_im2col(MR_PIXEL_ROW(rows, 1, k), c, (int)(p1 / out_w), (int)(p1 % out_w));
    mr_conv_gemm2(rows, k, filter, bias, out_c, out + (size_t)j * out_c, out + (size_t)j1 * out_c, &c->q);
  }
}

void mr_conv1x1_pixels(const mr_conv_job *c, int8_t *out, mr_row_t *x, int inplace) {
  /* In place, pixels p and p+1 (forward) or p and p-1 (backwards) are both copied before either output is
   * written: the pair's outputs only reach input bytes of the pair itself or of pixels already done. */
  const int in_c = c->p->input.c, out_c = c->p->output.c, backward = inplace && out_c > in_c;
  const int32_t rows = c->p->input.n * c->p->input.h * c->p->input.w;
  const int8_t *in = c->in;
  const MR_CONST int8_t *filter = c->p->filter;
  const MR_CONST int32_t *bias = c->p->bias;
  mr_row_t *x0 = MR_PIXEL_ROW(x, 0, in_c), *x1 = MR_PIXEL_ROW(x, 1, in_c);
  int32_t i;
  mr_pad_pixel_rows(x, in_c);
  for (i = 0; i < rows; i += 2) {
    const int32_t r0 = backward ? rows - 1 - i : i;
    const int32_t r1 = i + 1 < rows ? (backward ? r0 - 1 : r0 + 1) : r0; /* one pixel left: loaded twice */
    mr_conv_row_load(x0, 0, in + (size_t)r0 * in_c, in_c);
    mr_conv_row_load(x1, 0, in + (size_t)r1 * in_c, in_c);
    mr_conv_gemm2(x, in_c, filter, bias, out_c, out + (size_t)r0 * out_c, out + (size_t)r1 * out_c, &c->q);
  }
}

int32_t mr_conv_add_pixels(const mr_conv_job *c, int32_t first, int32_t left, int8_t *scratch) {
  const int32_t count = left < 2 ? left : 2;
  mr_conv_pixels(c, first, count, scratch, (mr_row_t *)(void *)(scratch + MR_ALIGN4(2 * c->p->output.c)));
  return count;
}
#endif

#if defined(MR_SSE2) || defined(MR_MVE)
int32_t mr_conv_add_pixels(const mr_conv_job *c, int32_t first, int32_t left, int8_t *scratch) {
  /* a 1x1 stride-1 conv on whole GEMM rows (in_c a multiple of 16): the four-pixel core reads the input pixels
   * where they are, so scratch holds the outputs of four pixels instead of two rows */
  const MR_CONST mr_window *w = &c->p->window;
  const int in_c = c->p->input.c, out_c = c->p->output.c;
  const int direct = w->k_h == 1 && w->k_w == 1 && w->stride_h == 1 && w->stride_w == 1 && w->pad_top == 0 &&
                     w->pad_left == 0 && in_c == MR_GEMM_ROW(in_c) &&
                     4 * out_c <= MR_CONV_ADD_SCRATCH_BYTES(1, 1, in_c, out_c);
  const int32_t count = left < (direct ? 4 : 2) ? left : (direct ? 4 : 2);
  const mr_row_t *x[4];
  int8_t *y[4];
  int j;
  if (!direct) {
    mr_conv_pixels(c, first, count, scratch, (mr_row_t *)(void *)(scratch + MR_ALIGN4(2 * out_c)));
    return count;
  }
  for (j = 0; j < 4; ++j) { /* past the last pixel: the last pixel again */
    x[j] = c->in + (size_t)(j < count ? first + j : first + count - 1) * in_c;
    y[j] = scratch + (size_t)(j < count ? j : count - 1) * out_c;
  }
  mr_conv_gemm4(x, in_c, c->p->filter, c->p->bias, out_c, y, &c->q);
  return count;
}
#endif

/* ---- the kernels */

void mr_conv1x1_fast_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  MR_CHECK(scratch, mr_conv1x1_fast_s8_scratch_bytes(p));
  const mr_conv_job c = mr_conv_job_of(p, in);
  mr_conv1x1_pixels(&c, out, (mr_row_t *)(void *)scratch, 0);
}

void mr_conv1x1_inplace_fast_s8(const MR_CONST mr_conv_params *p, int8_t *buf, int8_t *scratch) {
  MR_CHECK(buf, mr_checked_elements(&p->input) > mr_checked_elements(&p->output) ? mr_checked_elements(&p->input)
                                                                                : mr_checked_elements(&p->output));
  MR_CHECK(scratch, mr_conv1x1_fast_s8_scratch_bytes(p));
  const mr_conv_job c = mr_conv_job_of(p, buf);
  mr_conv1x1_pixels(&c, buf, (mr_row_t *)(void *)scratch, 1);
}

void mr_conv2d_fast_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  MR_CHECK(scratch, mr_conv2d_fast_s8_scratch_bytes(p));
  const mr_conv_job c = mr_conv_job_of(p, in);
  mr_conv_pixels(&c, 0, p->output.h * p->output.w, out, (mr_row_t *)(void *)scratch);
}

void mr_conv2d_rows_fast_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  MR_CHECK(scratch, mr_conv2d_rows_fast_s8_scratch_bytes(p));
  const mr_conv_job c = mr_conv_job_of(p, in);
  const int32_t out_h = p->output.h, out_w = p->output.w;
  const size_t row_bytes = (size_t)out_w * (size_t)p->output.c;
  mr_row_t *rows = (mr_row_t *)(void *)(scratch + MR_ALIGN4(row_bytes));
  int32_t y;
  for (y = 0; y < out_h; ++y) {
    mr_conv_pixels(&c, y * out_w, out_w, scratch, rows);
    memcpy(out + (size_t)y * row_bytes, scratch, row_bytes);
  }
}

/* The fused ADD of n values, the conv's as input 1. */
static void mr_add_fused(const MR_CONST mr_add_params *a, const int8_t *conv, const int8_t *skip, int8_t *out,
                         int32_t n) {
  const mr_dims shape = {1, 1, 1, n};
  mr_add_s8(a, conv, &shape, skip, &shape, out);
}

void mr_conv2d_add_fast_s8(const MR_CONST mr_conv_params *conv, const MR_CONST mr_add_params *add, const int8_t *in,
                           const int8_t *skip, int8_t *out, int8_t *scratch) {
  MR_CHECK(out, mr_checked_elements(&conv->output));
  MR_CHECK(scratch, mr_conv2d_add_fast_s8_scratch_bytes(conv));
  const mr_conv_job c = mr_conv_job_of(conv, in);
  const int32_t pixels = conv->output.h * conv->output.w, out_c = conv->output.c;
  int32_t p, n;
  /* The pixels' conv outputs wait in scratch; each skip byte is read just before it is replaced. */
  for (p = 0; p < pixels; p += n) {
    const size_t at = (size_t)p * out_c;
    n = mr_conv_add_pixels(&c, p, pixels - p, scratch);
    mr_add_fused(add, scratch, skip + at, out + at, n * out_c);
  }
}
