/* MUL golden test (elementwise and broadcast) against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/mul_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 14];

int main(void) {
  int i, d;
  for (i = 0; i < MUL_GOLDEN_COUNT; ++i) {
    const mr_mul_golden_case *t = &mul_golden_cases[i];
    size_t n = 1;
    for (d = 0; d < 4; ++d) n *= (size_t)(t->shape1[d] > t->shape2[d] ? t->shape1[d] : t->shape2[d]);
    memset(out_buf, 0x55, n);
    const mr_mul_params params = {t->input1_offset,     t->input2_offset, t->output_offset,
                                  t->output_multiplier, t->output_shift,  {t->act_min, t->act_max}};
    const mr_dims shape1 = mr_golden_dims(t->shape1), shape2 = mr_golden_dims(t->shape2);
    mr_mul_s8(&params, t->input1, &shape1, t->input2, &shape2, out_buf);
    mr_check_bytes("mul", t->name, out_buf, t->expected, n);
  }
  return mr_summary("mul_test");
}
