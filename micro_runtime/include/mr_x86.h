/* mr_x86.h - the few SSE2 helpers the fast kernels share on x86 (SSE2 is part of x86-64; empty elsewhere,
 * with MR_PORTABLE, or with MR_SINGLE_ROUNDING, where the kernels take their portable C path).
 * Defines MR_SSE2 when the SSE2 path is built. Only SSE2 intrinsics: the default host flags
 * (-std=c99 -O2, no -march) give nothing more. */
#ifndef MR_X86_H_
#define MR_X86_H_

#include <stdint.h>

#include "mr_common.h"

#if defined(__SSE2__) && !defined(MR_PORTABLE) && !defined(MR_SINGLE_ROUNDING)
#define MR_SSE2 1
#include <emmintrin.h>

/* mr_requant_apply of four accumulators with one (multiplier, shift): the same 64-bit sums, built from the
 * unsigned 32x32 -> 64 products SSE2 has (_mm_mul_epu32). With m >= 0, acc*m = (uint32)acc*m - [acc < 0]*m*2^32,
 * so both cases are u + round - [x < 0]*correction (mod 2^64): right shift (shift < 0) takes the high word
 * (correction m*2^32 + 2^31, the [acc < 0]*(-2^31) term of mr_requant_apply_right) shifted right by -shift - 1;
 * left shift (shift >= 0) takes bits 31..62 of the sum for x = acc << shift (correction m*2^32). */
typedef struct {
  __m128i multiplier; /* m in every lane */
  __m128i round;      /* mr_requant.round in both 64-bit lanes */
  __m128i correction; /* in both 64-bit lanes */
  __m128i shift;      /* left shift, or right shift - 1 (a count for _mm_sll_epi32 / _mm_sra_epi32) */
  int right;          /* shift < 0 */
} mr_requant_x4;

static inline mr_requant_x4 mr_requant_prepare_x4(int32_t multiplier, int32_t shift) {
  mr_requant_x4 v;
  const int64_t high = (int64_t)((uint64_t)(uint32_t)multiplier << 32);
  v.right = shift < 0;
  v.multiplier = _mm_set1_epi32(multiplier);
  v.round = _mm_set1_epi64x(((int64_t)1 << 30) + (v.right ? (int64_t)1 << (30 - shift) : 0));
  v.correction = _mm_set1_epi64x(v.right ? high + ((int64_t)1 << 31) : high);
  v.shift = _mm_cvtsi32_si128(v.right ? -shift - 1 : shift);
  return v;
}

static inline __m128i mr_requant_apply_x4(__m128i acc, const mr_requant_x4 *r) {
  const __m128i high_words = _mm_set_epi32(-1, 0, -1, 0);
  const __m128i x = r->right ? acc : _mm_sll_epi32(acc, r->shift);
  const __m128i negative = _mm_srai_epi32(x, 31);
  const __m128i x_odd = _mm_srli_epi64(x, 32);
  /* lanes 0, 2 (even) and 1, 3 (odd) as 64-bit sums */
  __m128i even = _mm_add_epi64(_mm_mul_epu32(x, r->multiplier), r->round);
  __m128i odd = _mm_add_epi64(_mm_mul_epu32(x_odd, r->multiplier), r->round);
  even = _mm_sub_epi64(even, _mm_and_si128(_mm_shuffle_epi32(negative, _MM_SHUFFLE(2, 2, 0, 0)), r->correction));
  odd = _mm_sub_epi64(odd, _mm_and_si128(_mm_shuffle_epi32(negative, _MM_SHUFFLE(3, 3, 1, 1)), r->correction));
  if (r->right) {
    const __m128i high = _mm_or_si128(_mm_srli_epi64(even, 32), _mm_and_si128(odd, high_words));
    return _mm_sra_epi32(high, r->shift);
  }
  return _mm_or_si128(_mm_andnot_si128(high_words, _mm_srli_epi64(even, 31)),
                      _mm_and_si128(_mm_slli_epi64(odd, 1), high_words));
}

/* Eight requantized accumulators (lo: 0..3, hi: 4..7) + out_offset, clamped to [act_min, act_max], as int8 in
 * the low 8 bytes (the int16 saturation of _mm_packs_epi32 keeps every value's clamp: act_min/act_max are int8). */
static inline __m128i mr_requant_clamp_x8(__m128i lo, __m128i hi, const mr_requant_x4 *r, __m128i out_offset,
                                          __m128i act_min, __m128i act_max) {
  const __m128i a = _mm_add_epi32(mr_requant_apply_x4(lo, r), out_offset);
  const __m128i b = _mm_add_epi32(mr_requant_apply_x4(hi, r), out_offset);
  const __m128i v = _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(a, b), act_min), act_max);
  return _mm_packs_epi16(v, v);
}

/* The same for four accumulators (bytes 0..3). */
static inline __m128i mr_requant_clamp_x4(__m128i acc, const mr_requant_x4 *r, __m128i out_offset, __m128i act_min,
                                          __m128i act_max) {
  const __m128i a = _mm_add_epi32(mr_requant_apply_x4(acc, r), out_offset);
  const __m128i v = _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(a, a), act_min), act_max);
  return _mm_packs_epi16(v, v);
}

/* int8 -> int16: the low 8 bytes of v sign-extended (mr_widen8); or all sixteen as their even and their odd
 * bytes apart (mr_even_s16, mr_odd_s16: a _mm_madd_epi16 of each with the same split of the other operand adds
 * the same products as the whole dot product). */
static inline __m128i mr_widen8(__m128i v) { return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8); }
static inline __m128i mr_even_s16(__m128i v) { return _mm_srai_epi16(_mm_slli_epi16(v, 8), 8); }
static inline __m128i mr_odd_s16(__m128i v) { return _mm_srai_epi16(v, 8); }

/* The sums of a, b, c, d as the four lanes of one vector. */
static inline __m128i mr_sum_x4(__m128i a, __m128i b, __m128i c, __m128i d) {
  const __m128i ab = _mm_add_epi32(_mm_unpacklo_epi32(a, b), _mm_unpackhi_epi32(a, b));
  const __m128i cd = _mm_add_epi32(_mm_unpacklo_epi32(c, d), _mm_unpackhi_epi32(c, d));
  return _mm_add_epi32(_mm_unpacklo_epi64(ab, cd), _mm_unpackhi_epi64(ab, cd));
}

/* Byte i (i < n, n <= 8) of v at out[i * stride], through general registers (not a store and byte reloads,
 * which wait for store forwarding). */
static inline void mr_store_bytes_strided(int8_t *out, size_t stride, __m128i v, int n) {
  uint32_t lo = (uint32_t)_mm_cvtsi128_si32(v), hi = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(v, 4));
  int i;
  for (i = 0; i < n && i < 4; ++i, lo >>= 8) out[(size_t)i * stride] = (int8_t)(uint8_t)lo;
  for (; i < n; ++i, hi >>= 8) out[(size_t)i * stride] = (int8_t)(uint8_t)hi;
}
#endif

#endif /* MR_X86_H_ */
