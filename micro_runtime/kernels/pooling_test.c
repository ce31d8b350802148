/* AVERAGE_POOL_2D / MAX_POOL_2D golden test against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/pooling_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 14];

int main(void) {
  int i;
  for (i = 0; i < POOLING_GOLDEN_COUNT; ++i) {
    const mr_pooling_golden_case *t = &pooling_golden_cases[i];
    const size_t n = (size_t)t->out_h * t->out_w * t->c;
    const mr_pool_params params = {
        {1, t->in_h, t->in_w, t->c},
        {1, t->out_h, t->out_w, t->c},
        {t->filter_h, t->filter_w, t->stride_h, t->stride_w, t->pad_top, t->pad_left, 1, 1},
        {t->act_min, t->act_max}};
    memset(out_buf, 0x55, n);
    if (t->is_max) {
      mr_max_pool_s8(&params, t->input, out_buf);
    } else {
      mr_avg_pool_s8(&params, t->input, out_buf);
    }
    mr_check_bytes(t->is_max ? "max_pool" : "avg_pool", t->name, out_buf, t->expected, n);
  }
  return mr_summary("pooling_test");
}
