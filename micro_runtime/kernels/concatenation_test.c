/* CONCATENATION golden test against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/concatenation_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 14];

int main(void) {
  int i, k;
  for (i = 0; i < CONCATENATION_GOLDEN_COUNT; ++i) {
    const mr_concatenation_golden_case *t = &concatenation_golden_cases[i];
    const mr_concatenation_params params = {t->num_inputs,    t->axis_dims,   t->outer,  t->inner,
                                            t->input_offsets, t->multipliers, t->shifts, t->output_offset};
    const int8_t *inputs[8];
    size_t offset = 0, n = 0;
    for (k = 0; k < t->num_inputs; ++k) {
      const size_t size = (size_t)t->outer * t->axis_dims[k] * t->inner;
      inputs[k] = t->inputs + offset;
      offset += size;
    }
    n = offset;
    memset(out_buf, 0x55, n);
    mr_concatenation_s8(&params, inputs, out_buf);
    mr_check_bytes("concatenation", t->name, out_buf, t->expected, n);
  }
  return mr_summary("concatenation_test");
}
