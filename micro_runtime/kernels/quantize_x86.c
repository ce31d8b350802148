/* The SSE2 part of QUANTIZE float32 -> int8 (mr_quantize_f32_s8): affine_quantize on sixteen values per step.
 * On x86 it runs on a model's float input (a 144x144x3 image is 62k values), where libm's roundf call on each
 * costs more than the rest of a small model. */
#include "mr_kernels.h"
#include "mr_x86.h"

#ifdef MR_SSE2
/* The same float division; clamped to +-65536 first (round commutes with that clamp: its bounds are integers);
 * then round half away from zero from the truncation and the exact remainder; the saturating packs clamp to
 * int8. `out` may be `in` (in place): each step loads its sixteen floats before it stores their sixteen bytes. */
int32_t mr_quantize_f32_s8_x86(const float *in, int32_t n, int8_t *out, float scale, int32_t zero_point) {
  const __m128 divisor = _mm_set1_ps(scale), lo = _mm_set1_ps(-65536.0f), hi = _mm_set1_ps(65536.0f);
  const __m128 half = _mm_set1_ps(0.5f), minus_half = _mm_set1_ps(-0.5f);
  const __m128i zp = _mm_set1_epi32(zero_point);
  int32_t i;
  for (i = 0; i + 16 <= n; i += 16) {
    __m128i q[4];
    int j;
    for (j = 0; j < 4; ++j) {
      const __m128 v = _mm_min_ps(_mm_max_ps(_mm_div_ps(_mm_loadu_ps(in + i + 4 * j), divisor), lo), hi);
      const __m128i t = _mm_cvttps_epi32(v);
      const __m128 frac = _mm_sub_ps(v, _mm_cvtepi32_ps(t));
      const __m128i up = _mm_castps_si128(_mm_cmpge_ps(frac, half));          /* -1 where t + 1 */
      const __m128i down = _mm_castps_si128(_mm_cmple_ps(frac, minus_half)); /* -1 where t - 1 */
      q[j] = _mm_add_epi32(_mm_add_epi32(_mm_sub_epi32(t, up), down), zp);
    }
    _mm_storeu_si128((__m128i *)(void *)(out + i),
                     _mm_packs_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3])));
  }
  return i;
}
#endif
