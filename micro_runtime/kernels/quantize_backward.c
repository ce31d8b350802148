/* QUANTIZE float32 -> int8/uint8 backwards, into the tail of its own input (see mr_streaming.h). */
#include "mr_streaming.h"
#include "mr_x86.h"

void mr_quantize_f32_s8_backward(const float *in, int32_t n, int8_t *out, float scale, int32_t zero_point) {
  MR_CHECK(out, n);
  int32_t i = n;
#ifdef MR_SSE2
  /* Blocks of sixteen from the end (mr_quantize_f32_s8_x86 loads a block's floats before it
   * stores its bytes, and the bytes of block i only cover floats of blocks >= i), after the n % 16 last. */
  while (i % 16) {
    --i;
    mr_quantize_f32_s8(in + i, 1, out + i, scale, zero_point);
  }
  for (i -= 16; i >= 0; i -= 16) mr_quantize_f32_s8(in + i, 16, out + i, scale, zero_point);
#else
  for (--i; i >= 0; --i) mr_quantize_f32_s8(in + i, 1, out + i, scale, zero_point);
#endif
}

void mr_quantize_f32_u8_backward(const float *in, int32_t n, uint8_t *out, float scale, int32_t zero_point) {
  MR_CHECK(out, n);
  int32_t i;
  for (i = n - 1; i >= 0; --i) mr_quantize_f32_u8(in + i, 1, out + i, scale, zero_point);
}
