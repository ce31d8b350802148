/* A 256-entry table lookup on int8: the whole of an int8 unary op whose output depends on the input byte alone
 * (ELU as TFLM's EvalUsingLookupTable; ABS and RSQRT with TFLM's integer arithmetic evaluated per input value by
 * the generator, micro_runtime/quant.py). table[(uint8_t)x] is the output for input x. */
#include "mr_kernels.h"

void mr_lut_s8(const int8_t *in, int32_t n, int8_t *out, const MR_CONST int8_t *table) {
  MR_CHECK(out, n);
  int32_t i;
  for (i = 0; i < n; ++i) out[i] = table[(uint8_t)in[i]];
}
