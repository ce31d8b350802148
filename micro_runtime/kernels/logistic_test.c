/* LOGISTIC int8 golden test against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/logistic_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < LOGISTIC_GOLDEN_COUNT; ++i) {
    const mr_logistic_golden_case *t = &logistic_golden_cases[i];
    const mr_logistic_params params = {t->input_zero_point, t->input_range_radius, t->input_multiplier,
                                       t->input_left_shift};
    memset(out_buf, 0x55, (size_t)t->n);
    mr_logistic_s8(&params, t->input, t->n, out_buf);
    mr_check_bytes("logistic", t->name, out_buf, t->expected, (size_t)t->n);
  }
  return mr_summary("logistic_test");
}
