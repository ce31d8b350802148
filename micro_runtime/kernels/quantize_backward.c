/* QUANTIZE float32 -> int8/uint8 backwards, into the tail of its own input (see mr_streaming.h). */
#include "mr_streaming.h"

void mr_quantize_f32_s8_backward(const float *in, int32_t n, int8_t *out, float scale, int32_t zero_point) {
  int32_t i;
  for (i = n - 1; i >= 0; --i) mr_quantize_f32_s8(in + i, 1, out + i, scale, zero_point);
}

void mr_quantize_f32_u8_backward(const float *in, int32_t n, uint8_t *out, float scale, int32_t zero_point) {
  int32_t i;
  for (i = n - 1; i >= 0; --i) mr_quantize_f32_u8(in + i, 1, out + i, scale, zero_point);
}
