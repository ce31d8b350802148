/* QUANTIZE: float32 -> int8/uint8 (reference_ops::AffineQuantize) and
 * int8/uint8 -> int8/uint8 requantization (reference_ops::Requantize). */
#include <math.h>

#include "mr_kernels.h"
#include "mr_x86.h"

static int32_t affine_quantize(float value, float scale, int32_t zero_point) {
  /* TfLiteRound(val / static_cast<float>(scale)): float division, round half
   * away from zero. Clamp in float first so the int conversion is defined
   * (the result saturates identically for every representable input). */
  float q = roundf(value / scale);
  if (q > 65536.0f) q = 65536.0f;
  if (q < -65536.0f) q = -65536.0f;
  return (int32_t)q + zero_point;
}

void mr_quantize_f32_s8(const float *in, int n, int8_t *out, float scale, int32_t zero_point) {
  int i = 0;
#ifdef MR_SSE2
  /* x86: affine_quantize on sixteen values per step (a model's float input: a 144x144x3 image is 62k values,
   * libm's roundf call on each costs more than the rest of a small model). The same float division; clamped
   * to +-65536 first (round commutes with that clamp: its bounds are integers); then round half away from
   * zero from the truncation and the exact remainder; the saturating packs clamp to int8. `out` may be `in`
   * (in place): each step loads its sixteen floats before it stores their sixteen bytes. */
  const __m128 divisor = _mm_set1_ps(scale), lo = _mm_set1_ps(-65536.0f), hi = _mm_set1_ps(65536.0f);
  const __m128 half = _mm_set1_ps(0.5f), minus_half = _mm_set1_ps(-0.5f);
  const __m128i zp = _mm_set1_epi32(zero_point);
  for (; i + 16 <= n; i += 16) {
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
#endif
  for (; i < n; ++i) out[i] = (int8_t)mr_clamp_i32(affine_quantize(in[i], scale, zero_point), -128, 127);
}

void mr_quantize_f32_u8(const float *in, int n, uint8_t *out, float scale, int32_t zero_point) {
  int i;
  for (i = 0; i < n; ++i) out[i] = (uint8_t)mr_clamp_i32(affine_quantize(in[i], scale, zero_point), 0, 255);
}

void mr_requantize_s8_s8(const int8_t *in, int n, int8_t *out, int32_t input_zero_point,
                         int32_t output_zero_point, int32_t multiplier, int32_t shift) {
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t input = (int32_t)in[i] - input_zero_point;
    const int32_t output = mr_requantize(input, multiplier, shift) + output_zero_point;
    out[i] = (int8_t)mr_clamp_i32(output, -128, 127);
  }
}

void mr_requantize_u8_s8(const uint8_t *in, int n, int8_t *out, int32_t input_zero_point,
                         int32_t output_zero_point, int32_t multiplier, int32_t shift) {
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t input = (int32_t)in[i] - input_zero_point;
    const int32_t output = mr_requantize(input, multiplier, shift) + output_zero_point;
    out[i] = (int8_t)mr_clamp_i32(output, -128, 127);
  }
}

void mr_requantize_s8_u8(const int8_t *in, int n, uint8_t *out, int32_t input_zero_point,
                         int32_t output_zero_point, int32_t multiplier, int32_t shift) {
  int i;
  for (i = 0; i < n; ++i) {
    const int32_t input = (int32_t)in[i] - input_zero_point;
    const int32_t output = mr_requantize(input, multiplier, shift) + output_zero_point;
    out[i] = (uint8_t)mr_clamp_i32(output, 0, 255);
  }
}
