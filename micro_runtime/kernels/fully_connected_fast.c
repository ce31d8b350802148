/* FULLY_CONNECTED int8 (see mr_fast.h): two output neurons per pass over the input row; __sxtb16 / __smlad
 * on the Arm DSP path, an int8 x int16 dot product gcc vectorises on the portable path. No scratch.
 * With the folded bias (mr_fully_connected_fast_s8) or, for a layer without bias, none: the input offset
 * is then added as the inputs are widened (__sxtab16), mr_fully_connected_nobias_fast_s8. */
#include <string.h>

#include "mr_fast.h"

#include "mr_dsp.h"
#include "mr_x86.h"

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
#endif

/* bias: the folded bias, or NULL (then has_offset is 1 and in_offset is added to the inputs). */
static inline __attribute__((always_inline)) void mr_fully_connected_body(
    const int8_t *in, int batches, int in_n, const int8_t *filter, const int32_t *bias, int out_n, int8_t *out,
    int has_offset, int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
    const int8_t *out_rshift_m1, int per_channel, int32_t act_min, int32_t act_max) {
#ifdef MR_DSP
  const int32_t offset2 = mr_pack_s16x2(in_offset, in_offset);
#else
  const int n16 = (int)((unsigned)in_n & ~15u); /* a multiple of 16 the vectoriser can see */
  const int16_t offset = (int16_t)(has_offset ? in_offset : 0);
#endif
  int b, o;
  for (b = 0; b < batches; ++b) {
    const int8_t *x = in + (size_t)b * in_n;
    int8_t *y = out + (size_t)b * out_n;
    o = 0;
#ifdef MR_SSE2
    {
      /* one multiplier and shift (per tensor): four outputs requantized at once */
      const mr_requant_x4 r = mr_requant_prepare_x4(out_mult[0], -1 - out_rshift_m1[0]);
      const __m128i offset = _mm_set1_epi32(out_offset), lo = _mm_set1_epi16((int16_t)act_min);
      const __m128i hi = _mm_set1_epi16((int16_t)act_max);
      for (; o + 4 <= out_n; o += 4) {
        union {
          __m128i v;
          int32_t i[4];
        } acc;
        int j;
        acc.v = mr_fc_dot4(x, in_n, filter + (size_t)o * (size_t)in_n, has_offset ? NULL : bias + o,
                           has_offset ? in_offset : 0);
        if (!per_channel) {
          const int32_t bytes = _mm_cvtsi128_si32(mr_requant_clamp_x4(acc.v, &r, offset, lo, hi));
          memcpy(y + o, &bytes, 4);
          continue;
        }
        for (j = 0; j < 4; ++j) {
          y[o + j] = (int8_t)mr_clamp_i32(
              mr_requantize_fast_rshift_m1(acc.i[j], out_mult[o + j], out_rshift_m1[o + j]) + out_offset, act_min,
              act_max);
        }
      }
    }
#endif
    for (; o < out_n; o += 2) {
      const int has_second = o + 1 < out_n;
      const int8_t *w0 = filter + (size_t)o * (size_t)in_n;
      const int8_t *w1 = has_second ? w0 + in_n : w0;
      int32_t acc0 = has_offset ? 0 : bias[o], acc1 = has_offset || !has_second ? 0 : bias[o + 1];
      int i;
#ifdef MR_DSP
      for (i = 0; i + 4 <= in_n; i += 4) {
        const int32_t a = mr_read_s8x4(x + i), u = mr_read_s8x4(w0 + i), v = mr_read_s8x4(w1 + i);
        const int32_t a02 = has_offset ? __sxtab16(offset2, a) : __sxtb16(a);
        const int32_t a13 = has_offset ? mr_sxtab16_ror8(offset2, a) : mr_sxtb16_ror8(a);
        acc0 = __smlad(__sxtb16(u), a02, acc0);
        acc1 = __smlad(__sxtb16(v), a02, acc1);
        acc0 = __smlad(mr_sxtb16_ror8(u), a13, acc0);
        acc1 = __smlad(mr_sxtb16_ror8(v), a13, acc1);
      }
#else
      for (i = 0; i < n16; ++i) {
        acc0 += (int32_t)w0[i] * (int16_t)(x[i] + offset);
        acc1 += (int32_t)w1[i] * (int16_t)(x[i] + offset);
      }
#endif
      for (; i < in_n; ++i) {
        acc0 += (int32_t)w0[i] * (has_offset ? x[i] + in_offset : x[i]);
        acc1 += (int32_t)w1[i] * (has_offset ? x[i] + in_offset : x[i]);
      }
      {
        const int c0 = per_channel ? o : 0, c1 = per_channel ? o + 1 : 0;
        const mr_requant r0 = mr_requant_prepare_rshift_m1(out_mult[c0], out_rshift_m1[c0]);
        int32_t v0 = mr_requant_apply(acc0, &r0) + out_offset;
        y[o] = (int8_t)mr_clamp_i32(v0, act_min, act_max);
        if (has_second) {
          const mr_requant r1 = mr_requant_prepare_rshift_m1(out_mult[c1], out_rshift_m1[c1]);
          int32_t v1 = mr_requant_apply(acc1, &r1) + out_offset;
          y[o + 1] = (int8_t)mr_clamp_i32(v1, act_min, act_max);
        }
      }
    }
  }
}

void mr_fully_connected_fast_s8(const int8_t *in, int batches, int in_n, const int8_t *filter,
                                const int32_t *bias, int out_n, int8_t *out, int32_t out_offset,
                                const int32_t *out_mult, const int8_t *out_rshift_m1, int per_channel,
                                int32_t act_min, int32_t act_max) {
  mr_fully_connected_body(in, batches, in_n, filter, bias, out_n, out, 0, 0, out_offset, out_mult,
                          out_rshift_m1, per_channel, act_min, act_max);
}

void mr_fully_connected_nobias_fast_s8(const int8_t *in, int batches, int in_n, const int8_t *filter, int out_n,
                                       int8_t *out, int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                       const int8_t *out_rshift_m1, int per_channel, int32_t act_min, int32_t act_max) {
  mr_fully_connected_body(in, batches, in_n, filter, NULL, out_n, out, 1, in_offset, out_offset, out_mult,
                          out_rshift_m1, per_channel, act_min, act_max);
}
