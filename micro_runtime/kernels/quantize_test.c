/* QUANTIZE golden test against TF Lite Micro: float32->int8 (kind 0),
 * uint8->int8 (1), int8->uint8 (2), int8->int8 (3). */
#include "golden_check.h"
#include "micro_runtime/golden/quantize_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < QUANTIZE_GOLDEN_COUNT; ++i) {
    const mr_quantize_golden_case *t = &quantize_golden_cases[i];
    const mr_requantize_params params = {t->input_zero_point, t->output_zero_point, t->multiplier, t->shift};
    memset(out_buf, 0x55, (size_t)t->n);
    switch (t->kind) {
      case 0:
        mr_quantize_f32_s8(t->input_f32, t->n, out_buf, t->scale, t->output_zero_point);
        break;
      case 1:
        mr_requantize_u8_s8(&params, (const uint8_t *)t->input_q, t->n, out_buf);
        break;
      case 2:
        mr_requantize_s8_u8(&params, t->input_q, t->n, (uint8_t *)out_buf);
        break;
      default:
        mr_requantize_s8_s8(&params, t->input_q, t->n, out_buf);
        break;
    }
    mr_check_bytes("quantize", t->name, out_buf, t->expected, (size_t)t->n);
  }
  return mr_summary("quantize_test");
}
