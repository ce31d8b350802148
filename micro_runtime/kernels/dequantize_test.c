/* DEQUANTIZE int8->float32 golden test: bit-identical floats to TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/dequantize_golden.h"
#include "mr_kernels.h"

static float out_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < DEQUANTIZE_GOLDEN_COUNT; ++i) {
    const mr_dequantize_golden_case *t = &dequantize_golden_cases[i];
    memset(out_buf, 0x55, sizeof(float) * (size_t)t->n);
    mr_dequantize_s8_f32(t->input, t->n, out_buf, t->scale, t->zero_point);
    mr_check_bytes("dequantize", t->name, out_buf, t->expected, sizeof(float) * (size_t)t->n);
  }
  return mr_summary("dequantize_test");
}
