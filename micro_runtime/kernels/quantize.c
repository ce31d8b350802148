/* QUANTIZE: float32 -> int8/uint8 (reference_ops::AffineQuantize) and
 * int8/uint8 -> int8/uint8 requantization (reference_ops::Requantize). */
#include <math.h>

#include "mr_kernels.h"

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
  int i;
  for (i = 0; i < n; ++i) out[i] = (int8_t)mr_clamp_i32(affine_quantize(in[i], scale, zero_point), -128, 127);
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
