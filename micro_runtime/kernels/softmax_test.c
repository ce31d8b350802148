/* SOFTMAX int8 golden test against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/softmax_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < SOFTMAX_GOLDEN_COUNT; ++i) {
    const mr_softmax_golden_case *t = &softmax_golden_cases[i];
    const size_t n = (size_t)t->rows * t->depth;
    const mr_softmax_params params = {t->rows, t->depth, t->input_multiplier, t->input_left_shift, t->diff_min};
    memset(out_buf, 0x55, n);
    mr_softmax_s8(&params, t->input, out_buf);
    mr_check_bytes("softmax", t->name, out_buf, t->expected, n);
  }
  return mr_summary("softmax_test");
}
