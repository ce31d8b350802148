/* DEPTHWISE_CONV_2D fast kernels (depthwise_fast.c, the path this machine builds: portable C on the
 * host) against TF Lite Micro's bytes, on the depth_mult 1 golden cases: mr_depthwise_conv2d_fast_s8, and
 * the in-place kernel in each of its modes (int16 and int8 ring, rows, channel), chosen through the scratch it is given.
 * The ring mode is allowed on every output size here (MR_DW_RING_MIN_PIXELS 1) so the small golden
 * cases reach it. */
#define MR_DW_RING_MIN_PIXELS 1
#include "depthwise_fast.c"

#include "golden_check.h"
#include "micro_runtime/golden/depthwise_golden.h"

static int8_t out_buf[1 << 16];
static int8_t inout_buf[1 << 16];
static int32_t scratch_buf[1 << 12]; /* 4-byte aligned, as the arena gives it */
static int8_t rshift_m1[1 << 12];     /* the golden case's shifts as the fast kernels take them: -1 - shift */

int main(void) {
  int i, mode;
  for (i = 0; i < DEPTHWISE_GOLDEN_COUNT; ++i) {
    const mr_depthwise_golden_case *t = &depthwise_golden_cases[i];
    const size_t n = (size_t)t->out_h * t->out_w * t->in_c, in_n = (size_t)t->in_h * t->in_w * t->in_c;
    const int32_t pixels = t->out_h * t->out_w;
    const int32_t rows = mr_depthwise_inplace_row_delay(t->in_h, t->in_w, t->in_c, t->stride_h, t->pad_top,
                                                        t->out_h, t->out_w) * t->out_w * t->in_c;
    const int32_t ring = mr_depthwise_ring_bytes(t->k_h, t->stride_w, t->out_w, 0);
    const int32_t narrow = mr_depthwise_ring_bytes(t->k_h, t->stride_w, t->out_w, 1);
    /* scratch sizes: channel mode (out_h*out_w), rows mode (when no ring fits it), int8 ring, int16 ring */
    const int32_t sizes[4] = {pixels < narrow ? pixels : narrow - 1, rows < narrow ? rows : narrow - 1, narrow, ring};
    int ch;
    if (t->depth_mult != 1) continue;
    for (ch = 0; ch < t->in_c; ++ch) rshift_m1[ch] = (int8_t)(-1 - t->out_shift[ch]);
    memset(out_buf, 0x55, n);
    mr_depthwise_conv2d_fast_s8(t->input, t->in_h, t->in_w, t->in_c, t->filter, t->bias, t->k_h, t->k_w,
                                t->stride_h, t->stride_w, t->pad_top, t->pad_left, out_buf, t->out_h, t->out_w,
                                t->in_offset, t->out_offset, t->out_mult, rshift_m1, t->act_min, t->act_max);
    mr_check_bytes("depthwise_fast", t->name, out_buf, t->expected, n);
    if (t->out_h > t->in_h || t->out_w > t->in_w) continue;
    for (mode = 0; mode < 4; ++mode) {
      if (sizes[mode] < pixels && sizes[mode] < rows) continue; /* too small for any mode */
      memcpy(inout_buf, t->input, in_n);
      mr_depthwise_conv2d_inplace_fast_s8(inout_buf, t->in_h, t->in_w, t->in_c, t->filter, t->bias, t->k_h, t->k_w,
                                          t->stride_h, t->stride_w, t->pad_top, t->pad_left, t->out_h, t->out_w,
                                          (int8_t *)scratch_buf, sizes[mode], t->in_offset, t->out_offset,
                                          t->out_mult, rshift_m1, t->act_min, t->act_max);
      {
        static const char *const names[4] = {"depthwise_inplace_channel", "depthwise_inplace_rows",
                                              "depthwise_inplace_ring_int8", "depthwise_inplace_ring_int16"};
        mr_check_bytes(names[mode], t->name, inout_buf, t->expected, n);
      }
    }
  }
  return mr_summary("depthwise_fast_test");
}
