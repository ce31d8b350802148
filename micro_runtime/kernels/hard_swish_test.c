/* HARD_SWISH int8 golden test against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/hard_swish_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < HARD_SWISH_GOLDEN_COUNT; ++i) {
    const mr_hard_swish_golden_case *t = &hard_swish_golden_cases[i];
    const mr_hard_swish_params params = {t->input_zero_point,
                                         t->output_zero_point,
                                         t->reluish_multiplier_fixedpoint_int16,
                                         t->reluish_multiplier_exponent,
                                         t->output_multiplier_fixedpoint_int16,
                                         t->output_multiplier_exponent};
    memset(out_buf, 0x55, (size_t)t->n);
    mr_hard_swish_s8(&params, t->input, t->n, out_buf);
    mr_check_bytes("hard_swish", t->name, out_buf, t->expected, (size_t)t->n);
  }
  return mr_summary("hard_swish_test");
}
