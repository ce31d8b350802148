/* TRANSPOSE int8 golden test against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/transpose_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 12];

int main(void) {
  int i, d;
  for (i = 0; i < TRANSPOSE_GOLDEN_COUNT; ++i) {
    const mr_transpose_golden_case *t = &transpose_golden_cases[i];
    size_t n = 1;
    for (d = 0; d < t->num_dims; ++d) n *= (size_t)t->in_shape[d];
    memset(out_buf, 0x55, n);
    mr_transpose_s8(t->input, t->num_dims, t->in_shape, t->perm, out_buf);
    mr_check_bytes("transpose", t->name, out_buf, t->expected, n);
  }
  return mr_summary("transpose_test");
}
