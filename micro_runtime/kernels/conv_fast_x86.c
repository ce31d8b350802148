/* CONV_2D int8, the x86 SSE2 path (see mr_fast.h, mr_fast_internal.h): GEMM cores over int8 rows widened in
 * registers, four pixels x two output channels per pass (eight x one for rows of at most eight values), and the
 * pixel loops that feed them (1x1 convs from their input rows, im2col from conv_fast.c). */
#include "mr_fast_internal.h"

#ifdef MR_SSE2
/* The SSE2 core: four rows (pixels) x two output channels per pass, int8 rows and filter rows widened to
 * int16 in registers (even and odd bytes sign-extended apart: their two _mm_madd_epi16 add the same products),
 * _mm_madd_epi16 over MR_GEMM_ROW(k) values (k <= 8: eight): the rows are zero from k on, so the filter values
 * read past a row's k, the next row's, add nothing. The four accumulators of one channel reduce to one vector
 * with the pixels as lanes, so each channel is requantized once for four pixels (mr_requant_apply_x4).
 * y[p][oc] = output of row x[p]; rows may repeat (fewer than four pixels), their outputs are then written twice,
 * alike. NPIX 2: rows 0 and 1 only (the fused conv + add keeps two pixels' outputs in scratch when it builds
 * im2col rows there). k: the row length the loops take (8 or 16 for the specialised short rows); stride:
 * MR_GEMM_STRIDE of the filter's true row length (filter rows are that far apart; values read past a row
 * multiply zero inputs). */
static inline __attribute__((always_inline)) void mr_gemm4_k(const mr_row_t *const *x, int k, int stride,
                                                              const int8_t *filter, const int32_t *bias, int out_c,
                                                              int8_t *const *y, const mr_out_params *params,
                                                              const int NPIX) {
  const mr_out_params copy = *params, *const q = &copy;
  const int k_row = (int)MR_GEMM_ROW(k);
  const __m128i out_offset = _mm_set1_epi32(q->out_offset), act_min = _mm_set1_epi16((int16_t)q->act_min);
  const __m128i act_max = _mm_set1_epi16((int16_t)q->act_max);
  const mr_row_t *const x0 = x[0], *const x1 = x[1], *const x2 = x[NPIX - 2], *const x3 = x[NPIX - 1];
  int oc;
  for (oc = 0; oc < out_c; oc += 2) {
    const int second = oc + 1 < out_c ? oc + 1 : oc; /* an odd last channel: computed twice, written once */
    const int8_t *w0 = filter + (size_t)oc * (size_t)stride, *w1 = filter + (size_t)second * (size_t)stride;
    __m128i a00 = _mm_setzero_si128(), a10 = a00, a20 = a00, a30 = a00; /* a<pixel><channel> */
    __m128i a01 = a00, a11 = a00, a21 = a00, a31 = a00;
    mr_requant_x4 r0, r1;
    int i, p;
    for (i = 0; i < k_row; i += 16) {
      /* k <= 8: the first eight values only (the rest is padding), one int16 vector each */
      const __m128i f0 = k <= 8 ? _mm_loadl_epi64((const __m128i *)(const void *)(w0 + i))
                                : _mm_loadu_si128((const __m128i *)(const void *)(w0 + i));
      const __m128i f1 = k <= 8 ? _mm_loadl_epi64((const __m128i *)(const void *)(w1 + i))
                                : _mm_loadu_si128((const __m128i *)(const void *)(w1 + i));
      const __m128i f0l = k <= 8 ? mr_widen8(f0) : mr_even_s16(f0), f0h = mr_odd_s16(f0);
      const __m128i f1l = k <= 8 ? mr_widen8(f1) : mr_even_s16(f1), f1h = mr_odd_s16(f1);
#define MR_GEMM_PIXEL(xp, a0, a1)                                                                        \
  do {                                                                                                   \
    if (k <= 8) {                                                                                        \
      const __m128i vl = mr_widen8(_mm_loadl_epi64((const __m128i *)(const void *)((xp) + i)));          \
      a0 = _mm_add_epi32(a0, _mm_madd_epi16(vl, f0l));                                                   \
      a1 = _mm_add_epi32(a1, _mm_madd_epi16(vl, f1l));                                                   \
    } else {                                                                                             \
      const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)((xp) + i));                      \
      const __m128i vl = mr_even_s16(v), vh = mr_odd_s16(v);                                             \
      a0 = _mm_add_epi32(a0, _mm_add_epi32(_mm_madd_epi16(vl, f0l), _mm_madd_epi16(vh, f0h)));           \
      a1 = _mm_add_epi32(a1, _mm_add_epi32(_mm_madd_epi16(vl, f1l), _mm_madd_epi16(vh, f1h)));           \
    }                                                                                                    \
  } while (0)
      MR_GEMM_PIXEL(x0, a00, a01);
      MR_GEMM_PIXEL(x1, a10, a11);
      if (NPIX == 4) {
        MR_GEMM_PIXEL(x2, a20, a21);
        MR_GEMM_PIXEL(x3, a30, a31);
      }
#undef MR_GEMM_PIXEL
    }
    r0 = mr_requant_prepare_x4(q->mult[oc], -1 - q->rshift_m1[oc]);
    r1 = mr_requant_prepare_x4(q->mult[second], -1 - q->rshift_m1[second]);
    a00 = _mm_add_epi32(mr_sum_x4(a00, a10, a20, a30), _mm_set1_epi32(bias[oc]));
    a01 = _mm_add_epi32(mr_sum_x4(a01, a11, a21, a31), _mm_set1_epi32(bias[second]));
    a00 = _mm_add_epi32(mr_requant_apply_x4(a00, &r0), out_offset);
    a01 = _mm_add_epi32(mr_requant_apply_x4(a01, &r1), out_offset);
    a00 = _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(a00, a01), act_min), act_max);
    {
      /* bytes: channel oc of pixels 0..3, then channel `second`; stored as they come (an odd last channel:
       * `second` = oc, its byte written twice) */
      uint32_t first = (uint32_t)_mm_cvtsi128_si32(_mm_packs_epi16(a00, a00));
      uint32_t next = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(_mm_packs_epi16(a00, a00), 4));
      for (p = 0; p < NPIX; ++p, first >>= 8, next >>= 8) {
        y[p][oc] = (int8_t)(uint8_t)first;
        y[p][second] = (int8_t)(uint8_t)next;
      }
    }
  }
}

/* mr_gemm4_k with the row length a constant for the short rows of expansion 1x1 convs. */
void mr_conv_gemm4(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                     int8_t *const *y, const mr_out_params *params) {
  const int stride = (int)MR_GEMM_STRIDE(k);
  if (k <= 8) mr_gemm4_k(x, 8, stride, filter, bias, out_c, y, params, 4);
  else if (k <= 16) mr_gemm4_k(x, 16, stride, filter, bias, out_c, y, params, 4);
  else mr_gemm4_k(x, k, stride, filter, bias, out_c, y, params, 4);
}

/* k <= 8 (expansion 1x1 convs from few channels): eight pixels x one output channel per pass, the eight rows
 * widened once for all channels, one requantization set-up per channel for the eight. */
static void mr_gemm8_k8(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                        int8_t *const *y, const mr_out_params *params) {
  const size_t stride = (size_t)MR_GEMM_STRIDE(k); /* eight values read from each row: past k they multiply zeros */
  const mr_out_params copy = *params, *const q = &copy;
  const __m128i out_offset = _mm_set1_epi32(q->out_offset), act_min = _mm_set1_epi16((int16_t)q->act_min);
  const __m128i act_max = _mm_set1_epi16((int16_t)q->act_max);
  __m128i v[8];
  int oc, p;
  for (p = 0; p < 8; ++p) v[p] = mr_widen8(_mm_loadl_epi64((const __m128i *)(const void *)x[p]));
  for (oc = 0; oc < out_c; ++oc) {
    const __m128i f = mr_widen8(_mm_loadl_epi64((const __m128i *)(const void *)(filter + (size_t)oc * stride)));
    const __m128i b = _mm_set1_epi32(bias[oc]);
    const mr_requant_x4 r = mr_requant_prepare_x4(q->mult[oc], -1 - q->rshift_m1[oc]);
    const __m128i lo = _mm_add_epi32(mr_sum_x4(_mm_madd_epi16(v[0], f), _mm_madd_epi16(v[1], f),
                                               _mm_madd_epi16(v[2], f), _mm_madd_epi16(v[3], f)), b);
    const __m128i hi = _mm_add_epi32(mr_sum_x4(_mm_madd_epi16(v[4], f), _mm_madd_epi16(v[5], f),
                                               _mm_madd_epi16(v[6], f), _mm_madd_epi16(v[7], f)), b);
    const __m128i bytes = mr_requant_clamp_x8(lo, hi, &r, out_offset, act_min, act_max);
    uint32_t b03 = (uint32_t)_mm_cvtsi128_si32(bytes), b47 = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(bytes, 4));
    for (p = 0; p < 4; ++p, b03 >>= 8, b47 >>= 8) {
      y[p][oc] = (int8_t)(uint8_t)b03;
      y[p + 4][oc] = (int8_t)(uint8_t)b47;
    }
  }
}

/* Pixels per pass of the SSE2 1x1 convs: eight rows of eight values when k <= 8 (mr_gemm8_k8), else four rows
 * of MR_GEMM_ROW(k) (mr_conv_gemm4): the scratch of two int16 rows holds either. */
static int mr_pixels_x86(int k) { return k <= 8 ? 8 : 4; }

/* The `pixels` int8 rows of scratch the SSE2 cores read, zero-padded from k, into x; returns their length. */
static int mr_rows_x86(mr_row_t *scratch, int k, int pixels, const mr_row_t **x) {
  const int row = pixels == 8 ? 8 : (int)MR_GEMM_ROW(k);
  int j;
  for (j = 0; j < pixels; ++j) {
    x[j] = scratch + j * row;
    if (pixels == 8) mr_conv_row_fill(scratch + j * row, k, 0, row - k);
    else mr_conv_row_pad(scratch + j * row, k);
  }
  return row;
}

static void mr_gemm_x86(const mr_row_t *const *x, int pixels, int k, const int8_t *filter, const int32_t *bias,
                        int out_c, int8_t *const *y, const mr_out_params *params) {
  if (pixels == 8) mr_gemm8_k8(x, k, filter, bias, out_c, y, params);
  else mr_conv_gemm4(x, k, filter, bias, out_c, y, params);
}

static void mr_gemm2_x86(const mr_row_t *const *x, int k, const int8_t *filter, const int32_t *bias, int out_c,
                         int8_t *const *y, const mr_out_params *params) {
  mr_gemm4_k(x, k, (int)MR_GEMM_STRIDE(k), filter, bias, out_c, y, params, 2);
}

void mr_conv_pixels(const mr_conv_job *c, int32_t first, int32_t count, int8_t *out, mr_row_t *rows) {
  /* four im2col rows (int8) in the scratch of two int16 ones */
  const int k = c->k, out_c = c->p->output.c, out_w = c->p->output.w;
  const int32_t k_row = MR_GEMM_ROW(k);
  const mr_row_t *x[4];
  int8_t *y[4];
  int32_t j;
  int i;
  mr_rows_x86(rows, k, 4, x);
  for (j = 0; j < count; j += 4) {
    for (i = 0; i < 4; ++i) {
      const int32_t n = j + i < count ? j + i : count - 1; /* past the last pixel: the last pixel again */
      const int32_t p = first + n;
      if (j + i < count) mr_conv_im2col(rows + i * k_row, c, (int)(p / out_w), (int)(p % out_w));
      else x[i] = x[i - 1];
      y[i] = out + (size_t)n * out_c;
    }
    if (count - j <= 2) mr_gemm2_x86(x, k, c->p->filter, c->p->bias, out_c, y, &c->q);
    else mr_conv_gemm4(x, k, c->p->filter, c->p->bias, out_c, y, &c->q);
  }
}

void mr_conv1x1_pixels(const mr_conv_job *c, int8_t *out, mr_row_t *scratch, int inplace) {
  /* in place: four or eight pixels at a time, all copied before any output is written (the same argument as for
   * two in conv_fast.c); else whole GEMM rows (in_c a multiple of 16) are read where they are */
  const int in_c = c->p->input.c, out_c = c->p->output.c, backward = inplace && out_c > in_c;
  const int32_t rows = c->p->input.n * c->p->input.h * c->p->input.w;
  const int pixels = mr_pixels_x86(in_c), direct = !inplace && in_c == MR_GEMM_ROW(in_c);
  const mr_row_t *x[8];
  int8_t *y[8];
  const int row = mr_rows_x86(scratch, in_c, pixels, x);
  int32_t i;
  int j;
  for (i = 0; i < rows; i += pixels) {
    for (j = 0; j < pixels; ++j) {
      const int32_t n = i + j < rows ? i + j : rows - 1; /* past the last pixel: the last pixel again */
      const int32_t r = backward ? rows - 1 - n : n;
      if (direct) x[j] = c->in + (size_t)r * in_c;
      else mr_conv_row_load(scratch + j * row, 0, c->in + (size_t)r * in_c, in_c);
      y[j] = out + (size_t)r * out_c;
    }
    mr_gemm_x86(x, pixels, in_c, c->p->filter, c->p->bias, out_c, y, &c->q);
  }
}
#endif /* MR_SSE2 */
