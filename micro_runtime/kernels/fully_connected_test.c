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
    const mr_fully_connected_params p = {
        .batches = t->batches,
        .input_depth = t->in_n,
        .output_depth = t->out_n,
        .input_offset = t->in_offset,
        .filter_offset = t->filter_offset,
        .output_offset = t->out_offset,
        .per_channel = t->per_channel,
        .activation = {t->act_min, t->act_max},
        .filter = t->filter,
        .bias = t->bias,
        .quant = {.multiplier = t->out_mult, .shift = t->out_shift},
    };
    memset(out_buf, 0x55, n);
    if (t->per_channel) mr_fully_connected_per_channel_s8(&p, t->input, out_buf);
    else mr_fully_connected_s8(&p, t->input, out_buf);
    mr_check_bytes("fully_connected", t->name, out_buf, t->expected, n);
  }
  return mr_summary("fully_connected_test");
}
