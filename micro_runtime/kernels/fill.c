/* FILL and ZEROS_LIKE int8 (TFLM fill.cc, zeros_like.cc): every output byte is *value. */
#include "mr_kernels.h"

void mr_fill_s8(const MR_CONST int8_t *value, int32_t n, int8_t *out) {
  MR_CHECK(out, n);
  const int8_t v = *value;
  int32_t i;
  for (i = 0; i < n; ++i) out[i] = v;
}
