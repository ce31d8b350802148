/* PAD / PADV2 golden test against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/pad_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 14];

int main(void) {
  int i, d;
  for (i = 0; i < PAD_GOLDEN_COUNT; ++i) {
    const mr_pad_golden_case *t = &pad_golden_cases[i];
    size_t n = 1;
    for (d = 0; d < 4; ++d) n *= (size_t)(t->pad_before[d] + t->in_shape[d] + t->pad_after[d]);
    const mr_pad_params params = {mr_golden_dims(t->in_shape), mr_golden_dims(t->pad_before),
                                  mr_golden_dims(t->pad_after), t->pad_value};
    memset(out_buf, 0x55, n);
    mr_pad_s8(&params, t->input, out_buf);
    mr_check_bytes("pad", t->name, out_buf, t->expected, n);
  }
  return mr_summary("pad_test");
}
