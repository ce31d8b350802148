/* FULLY_CONNECTED int8, the x86 SSE2 path (see fully_connected_fast.c): outputs in blocks of four, a row's
 * sixteen inputs at a time against four filter rows; one requantization for the four when per tensor. */
#include <string.h>

#include "mr_fast_internal.h"

#ifdef MR_SSE2
/* x86: four output neurons per pass. Sixteen int8 values split into their even and odd bytes, each
 * sign-extended to int16 (shift left then arithmetic right, or arithmetic right alone): _mm_madd_epi16 of the
 * even and of the odd halves adds the same products as the dot product. */
static inline __m128i mr_dot16(__m128i x_even, __m128i x_odd, const int8_t *w) {
  const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
  return _mm_add_epi32(_mm_madd_epi16(x_even, mr_even_s16(v)), _mm_madd_epi16(x_odd, mr_odd_s16(v)));
}

/* Outputs [o, o + 4) of one batch row x: their accumulators (bias included; NULL: none) as the four lanes,
 * in_offset added to every input (0 with a folded bias), the dot products over the first in_n & ~15 inputs
 * vectorised, the rest scalar. */
static __m128i mr_fc_dot4(const int8_t *x, int in_n, const int8_t *w, const int32_t *bias, int32_t in_offset) {
  const __m128i offset = _mm_set1_epi16((int16_t)in_offset);
  const int n16 = (int)((unsigned)in_n & ~15u);
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  union {
    __m128i v;
    int32_t i[4];
  } sum;
  int i, j;
  for (i = 0; i < n16; i += 16) {
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(x + i));
    const __m128i x_even = _mm_add_epi16(mr_even_s16(v), offset), x_odd = _mm_add_epi16(mr_odd_s16(v), offset);
    a0 = _mm_add_epi32(a0, mr_dot16(x_even, x_odd, w + i));
    a1 = _mm_add_epi32(a1, mr_dot16(x_even, x_odd, w + (size_t)in_n + i));
    a2 = _mm_add_epi32(a2, mr_dot16(x_even, x_odd, w + (size_t)2 * in_n + i));
    a3 = _mm_add_epi32(a3, mr_dot16(x_even, x_odd, w + (size_t)3 * in_n + i));
  }
  sum.v = mr_sum_x4(a0, a1, a2, a3);
  if (bias) sum.v = _mm_add_epi32(sum.v, _mm_loadu_si128((const __m128i *)(const void *)bias));
  for (j = 0; j < 4 && n16 < in_n; ++j) {
    const int8_t *wj = w + (size_t)j * in_n;
    for (i = n16; i < in_n; ++i) sum.i[j] += (int32_t)wj[i] * (x[i] + in_offset);
  }
  return sum.v;
}

int mr_fc_outputs_x86(const MR_CONST mr_fully_connected_params *p, const int8_t *x, int8_t *y,
                      const MR_CONST int32_t *bias, int32_t in_offset) {
  const int in_n = p->input_depth, out_n = p->output_depth, per_channel = p->per_channel;
  const int32_t *mult = p->quant.multiplier;
  const int8_t *rshift_m1 = p->quant.rshift_m1;
  const int32_t out_offset = p->output_offset, act_min = p->activation.min, act_max = p->activation.max;
  /* one multiplier and shift (per tensor): four outputs requantized at once */
  const mr_requant_x4 r = mr_requant_prepare_x4(mult[0], -1 - rshift_m1[0]);
  const __m128i offset = _mm_set1_epi32(out_offset), lo = _mm_set1_epi16((int16_t)act_min);
  const __m128i hi = _mm_set1_epi16((int16_t)act_max);
  int o;
  for (o = 0; o + 4 <= out_n; o += 4) {
    union {
      __m128i v;
      int32_t i[4];
    } acc;
    int j;
    acc.v = mr_fc_dot4(x, in_n, p->filter + (size_t)o * (size_t)in_n, bias ? bias + o : NULL, in_offset);
    if (!per_channel) {
      const int32_t bytes = _mm_cvtsi128_si32(mr_requant_clamp_x4(acc.v, &r, offset, lo, hi));
      memcpy(y + o, &bytes, 4);
      continue;
    }
    for (j = 0; j < 4; ++j) {
      y[o + j] = (int8_t)mr_clamp_i32(
          mr_requantize_fast_rshift_m1(acc.i[j], mult[o + j], rshift_m1[o + j]) + out_offset, act_min, act_max);
    }
  }
  return o;
}
#endif /* MR_SSE2 */
