/* MEAN (over H,W) golden test against TF Lite Micro, both the
 * equal-quantization integer path and the rescaling path. */
#include "golden_check.h"
#include "micro_runtime/golden/mean_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < MEAN_GOLDEN_COUNT; ++i) {
    const mr_mean_golden_case *t = &mean_golden_cases[i];
    const size_t n = (size_t)t->outer * t->inner;
    const mr_mean_params params = {t->outer,           t->reduce,           t->inner,       t->input_zero_point,
                                   t->output_zero_point, t->output_multiplier, t->output_shift};
    memset(out_buf, 0x55, n);
    mr_mean_s8(&params, t->input, out_buf);
    mr_check_bytes("mean", t->name, out_buf, t->expected, n);
  }
  return mr_summary("mean_test");
}
