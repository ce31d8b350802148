/* The math kernels (div.c, l2norm.c, log_softmax.c) against TF Lite Micro: golden/math_golden.h, written by
 * golden/make_golden_math.py. L2_NORMALIZATION's params: its input zero point, outer size and depth. */
#include "golden_check.h"
#include "mr_kernels.h"
#include "micro_runtime/golden/math_golden.h"

static int8_t out_buf[1 << 12];

static void run(const mr_math_golden_case *t) {
  if (strcmp(t->kind, "DIV") == 0) {
    mr_div_s8((const mr_arithmetic_params *)t->params, t->input1, t->input2, out_buf);
  } else if (strcmp(t->kind, "L2_NORMALIZATION") == 0) {
    const int32_t *p = (const int32_t *)t->params;
    mr_l2_normalization_s8(p[0], p[1], p[2], t->input1, out_buf);
  } else {
    mr_log_softmax_s8((const mr_log_softmax_params *)t->params, t->input1, out_buf);
  }
}

int main(void) {
  int i;
  for (i = 0; i < MATH_GOLDEN_COUNT; ++i) {
    const mr_math_golden_case *t = &math_golden_cases[i];
    memset(out_buf, 0x55, (size_t)t->n);
    run(t);
    mr_check_bytes("math", t->name, out_buf, t->expected, (size_t)t->n);
  }
  return mr_summary("math_test");
}
