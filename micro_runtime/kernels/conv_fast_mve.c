/* CONV_2D int8, the Helium (MVE) path (see mr_fast.h, mr_fast_internal.h): a GEMM core over int8 rows, four
 * pixels x one output channel per pass, VMLADAVA (sixteen multiply-accumulates into a scalar) per row and 16
 * values, the four accumulators then one vector requantized together (mr_requant_clamp_mve); and the pixel loops
 * that feed it (1x1 convs from their input rows, im2col from conv_fast.c). */
#include "mr_fast_internal.h"

#ifdef MR_MVE
/* y[p][oc] = output of row x[p] for every output channel, over MR_GEMM_ROW(k) values: the rows are zero from k on,
 * so the filter values read past a row's k (the next row's) add nothing. K16: k <= 16, the four rows loaded once
 * for all channels. Rows may repeat (fewer than four pixels): their outputs are then written twice, alike. */
static inline __attribute__((always_inline)) void mr_gemm4_mve_k(const mr_row_t *const *x, int k,
                                                                  const int8_t *filter, const int32_t *bias,
                                                                  int out_c, int8_t *const *y,
                                                                  const mr_out_params *params, const int K16) {
  const mr_out_params copy = *params, *const q = &copy;
  const int k_row = K16 ? 16 : (int)MR_GEMM_ROW(k), stride = (int)MR_GEMM_STRIDE(k);
  const mr_row_t *const x0 = x[0], *const x1 = x[1], *const x2 = x[2], *const x3 = x[3];
  /* the four outputs of a channel by one scatter store: byte offsets of y[p] from y[0] (32-bit addresses wrap) */
  const uint32x4_t at = {0, (uint32_t)(y[1] - y[0]), (uint32_t)(y[2] - y[0]), (uint32_t)(y[3] - y[0])};
  const int8x16_t zero = vdupq_n_s8(0);
  const int8x16_t r0 = K16 ? vldrbq_s8(x0) : zero, r1 = K16 ? vldrbq_s8(x1) : zero;
  const int8x16_t r2 = K16 ? vldrbq_s8(x2) : zero, r3 = K16 ? vldrbq_s8(x3) : zero;
  int8_t *const y0 = y[0];
  int oc, i;
  for (oc = 0; oc < out_c; ++oc) {
    const int8_t *w = filter + (size_t)oc * (size_t)stride;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32x4_t v;
    if (K16) {
      const int8x16_t f = vldrbq_s8(w);
      a0 = vmladavq_s8(r0, f);
      a1 = vmladavq_s8(r1, f);
      a2 = vmladavq_s8(r2, f);
      a3 = vmladavq_s8(r3, f);
    } else {
      for (i = 0; i < k_row; i += 16) {
        const int8x16_t f = vldrbq_s8(w + i);
        a0 = vmladavaq_s8(a0, vldrbq_s8(x0 + i), f);
        a1 = vmladavaq_s8(a1, vldrbq_s8(x1 + i), f);
        a2 = vmladavaq_s8(a2, vldrbq_s8(x2 + i), f);
        a3 = vmladavaq_s8(a3, vldrbq_s8(x3 + i), f);
      }
    }
    v = vsetq_lane_s32(a3, vsetq_lane_s32(a2, vsetq_lane_s32(a1, vdupq_n_s32(a0), 1), 2), 3);
    v = mr_requant_clamp_mve(vaddq_n_s32(v, bias[oc]), q->mult[oc], q->rshift_m1[oc], q->out_offset, q->act_min,
                             q->act_max);
    vstrbq_scatter_offset_s32(y0 + oc, at, v);
  }
}

void mr_conv_gemm4(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                         int8_t *const *y, const mr_out_params *params) {
  if (k <= 16) mr_gemm4_mve_k(x, k, filter, bias, out_c, y, params, 1);
  else mr_gemm4_mve_k(x, k, filter, bias, out_c, y, params, 0);
}

/* The four int8 rows of scratch the core reads, zero-padded from k, into x. */
static void mr_rows_mve(mr_row_t *scratch, int k, const mr_row_t **x) {
  int j;
  for (j = 0; j < 4; ++j) {
    x[j] = scratch + j * MR_GEMM_ROW(k);
    mr_conv_row_pad(scratch + j * MR_GEMM_ROW(k), k);
  }
}

void mr_conv_pixels(const mr_conv_job *c, int32_t first, int32_t count, int8_t *out, mr_row_t *rows) {
  /* four im2col rows (int8) in the scratch of two int16 ones */
  const int k = c->k, out_c = c->p->output.c, out_w = c->p->output.w;
  const mr_row_t *x[4];
  int8_t *y[4];
  int32_t j;
  int i;
  mr_rows_mve(rows, k, x);
  for (j = 0; j < count; j += 4) {
    for (i = 0; i < 4; ++i) {
      const int32_t n = j + i < count ? j + i : count - 1; /* past the last pixel: the last pixel again */
      const int32_t p = first + n;
      x[i] = rows + i * MR_GEMM_ROW(k);
      if (j + i < count) mr_conv_im2col(rows + i * MR_GEMM_ROW(k), c, (int)(p / out_w), (int)(p % out_w));
      else x[i] = x[i - 1];
      y[i] = out + (size_t)n * out_c;
    }
    mr_conv_gemm4(x, k, c->p->filter, c->p->bias, out_c, y, &c->q);
  }
}

void mr_conv1x1_pixels(const mr_conv_job *c, int8_t *out, mr_row_t *scratch, int inplace) {
  /* in place: four pixels at a time, all copied before any output is written (the same argument as for two in
   * conv_fast.c); else whole GEMM rows (in_c a multiple of 16) are read where they are */
  const int in_c = c->p->input.c, out_c = c->p->output.c, backward = inplace && out_c > in_c;
  const int32_t rows = c->p->input.n * c->p->input.h * c->p->input.w;
  const int direct = !inplace && in_c == MR_GEMM_ROW(in_c);
  const mr_row_t *x[4];
  int8_t *y[4];
  int32_t i;
  int j;
  mr_rows_mve(scratch, in_c, x);
  for (i = 0; i < rows; i += 4) {
    for (j = 0; j < 4; ++j) {
      const int32_t n = i + j < rows ? i + j : rows - 1; /* past the last pixel: the last pixel again */
      const int32_t r = backward ? rows - 1 - n : n;
      if (direct) x[j] = c->in + (size_t)r * in_c;
      else mr_conv_row_load(scratch + j * MR_GEMM_ROW(in_c), 0, c->in + (size_t)r * in_c, in_c);
      y[j] = out + (size_t)r * out_c;
    }
    mr_conv_gemm4(x, in_c, c->p->filter, c->p->bias, out_c, y, &c->q);
  }
}
#endif /* MR_MVE */
