/* DEPTHWISE_CONV_2D golden test: mr_depthwise_conv2d_s8 on every case, and
 * mr_depthwise_conv2d_inplace_s8 on the depth_mult 1 cases, against TF Lite
 * Micro's bytes. */
#include "golden_check.h"
#include "micro_runtime/golden/depthwise_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 16];
static int8_t inout_buf[1 << 16];
static int8_t scratch_buf[1 << 12];

int main(void) {
  int i;
  for (i = 0; i < DEPTHWISE_GOLDEN_COUNT; ++i) {
    const mr_depthwise_golden_case *t = &depthwise_golden_cases[i];
    const int out_c = t->in_c * t->depth_mult;
    const size_t n = (size_t)t->out_h * t->out_w * out_c;
    memset(out_buf, 0x55, n);
    mr_depthwise_conv2d_s8(t->input, t->in_h, t->in_w, t->in_c, t->depth_mult, t->filter, t->bias,
                           t->k_h, t->k_w, t->stride_h, t->stride_w, t->pad_top, t->pad_left, out_buf,
                           t->out_h, t->out_w, t->in_offset, t->out_offset, t->out_mult, t->out_shift,
                           t->act_min, t->act_max);
    mr_check_bytes("depthwise", t->name, out_buf, t->expected, n);
    if (t->depth_mult == 1 && t->out_h <= t->in_h && t->out_w <= t->in_w) {
      const size_t in_n = (size_t)t->in_h * t->in_w * t->in_c;
      memcpy(inout_buf, t->input, in_n);
      mr_depthwise_conv2d_inplace_s8(inout_buf, t->in_h, t->in_w, t->in_c, t->filter, t->bias, t->k_h,
                                     t->k_w, t->stride_h, t->stride_w, t->pad_top, t->pad_left, t->out_h,
                                     t->out_w, scratch_buf, t->in_offset, t->out_offset, t->out_mult,
                                     t->out_shift, t->act_min, t->act_max);
      mr_check_bytes("depthwise_inplace", t->name, inout_buf, t->expected, n);
    }
  }
  return mr_summary("depthwise_conv_test");
}
