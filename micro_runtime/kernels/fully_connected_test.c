/* FULLY_CONNECTED golden test (per-tensor and per-channel) against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/fully_connected_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < FULLY_CONNECTED_GOLDEN_COUNT; ++i) {
    const mr_fully_connected_golden_case *t = &fully_connected_golden_cases[i];
    const size_t n = (size_t)t->batches * t->out_n;
    memset(out_buf, 0x55, n);
    if (t->per_channel) {
      mr_fully_connected_per_channel_s8(t->input, t->batches, t->in_n, t->filter, t->bias, t->out_n, out_buf,
                                        t->in_offset, t->out_offset, t->out_mult, t->out_shift, t->act_min,
                                        t->act_max);
    } else {
      mr_fully_connected_s8(t->input, t->batches, t->in_n, t->filter, t->bias, t->out_n, out_buf,
                            t->in_offset, t->filter_offset, t->out_offset, t->out_mult[0], t->out_shift[0],
                            t->act_min, t->act_max);
    }
    mr_check_bytes("fully_connected", t->name, out_buf, t->expected, n);
  }
  return mr_summary("fully_connected_test");
}
