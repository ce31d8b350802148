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
  MR_CHECK(out, n);
  int i = 0;
#ifdef MR_SSE2
  i = mr_quantize_f32_s8_x86(in, n, out, scale, zero_point);
#endif
  for (; i < n; ++i) out[i] = (int8_t)mr_clamp_i32(affine_quantize(in[i], scale, zero_point), -128, 127);
}

void mr_quantize_f32_u8(const float *in, int n, uint8_t *out, float scale, int32_t zero_point) {
  MR_CHECK(out, n);
  int i;
  for (i = 0; i < n; ++i) out[i] = (uint8_t)mr_clamp_i32(affine_quantize(in[i], scale, zero_point), 0, 255);
}

/* Requantize's value before the clamp to the output type. */
static inline int32_t requantize(const MR_CONST mr_requantize_params *params, int32_t input_value) {
  return mr_requantize(input_value - params->input_zero_point, params->multiplier, params->shift) +
         params->output_zero_point;
}

void mr_requantize_s8_s8(const MR_CONST mr_requantize_params *params, const int8_t *input, int32_t size,
                         int8_t *output) {
  MR_CHECK(output, size);
  const mr_requantize_params p = *params;
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (int8_t)mr_clamp_i32(requantize(&p, input[i]), -128, 127);
}

void mr_requantize_u8_s8(const MR_CONST mr_requantize_params *params, const uint8_t *input, int32_t size,
                         int8_t *output) {
  MR_CHECK(output, size);
  const mr_requantize_params p = *params;
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (int8_t)mr_clamp_i32(requantize(&p, input[i]), -128, 127);
}

void mr_requantize_s8_u8(const MR_CONST mr_requantize_params *params, const int8_t *input, int32_t size,
                         uint8_t *output) {
  MR_CHECK(output, size);
  const mr_requantize_params p = *params;
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (uint8_t)mr_clamp_i32(requantize(&p, input[i]), 0, 255);
}
