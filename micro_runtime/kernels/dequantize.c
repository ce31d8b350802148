/* DEQUANTIZE int8/uint8 -> float32 (reference_ops::Dequantize):
 * (float)(scale * (x - zero_point)). The product of a float scale and a
 * 9-bit integer is exact in double, so double-then-round equals TFLM's
 * result whether it multiplies in float or in double. */
#include "mr_kernels.h"

void mr_dequantize_s8_f32(const int8_t *in, int n, float *out, float scale, int32_t zero_point) {
  MR_CHECK(out, 4 * (int64_t)n);
  int i;
  for (i = 0; i < n; ++i) out[i] = (float)((double)scale * (double)((int32_t)in[i] - zero_point));
}

void mr_dequantize_u8_f32(const uint8_t *in, int n, float *out, float scale, int32_t zero_point) {
  MR_CHECK(out, 4 * (int64_t)n);
  int i;
  for (i = 0; i < n; ++i) out[i] = (float)((double)scale * (double)((int32_t)in[i] - zero_point));
}
