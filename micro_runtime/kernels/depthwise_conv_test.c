/* DEPTHWISE_CONV_2D golden test: mr_depthwise_conv2d_s8 on every case, and
 * mr_depthwise_conv2d_inplace_s8 on the depth_mult 1 cases, against TF Lite
 * Micro's bytes. */
#include "golden_check.h"
#include "micro_runtime/golden/depthwise_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 16];
static int8_t inout_buf[1 << 16];
static int8_t scratch_buf[1 << 12];

static mr_conv_params params_of(const mr_depthwise_golden_case *t) {
  const mr_conv_params p = {
      {1, t->in_h, t->in_w, t->in_c},
      {1, t->out_h, t->out_w, t->in_c * t->depth_mult},
      {t->k_h, t->k_w, t->stride_h, t->stride_w, t->pad_top, t->pad_left, 1, 1},
      t->depth_mult, t->in_offset, t->out_offset, {t->act_min, t->act_max}, t->filter, t->bias,
      {t->out_mult, t->out_shift, NULL}};
  return p;
}

int main(void) {
  int i;
  for (i = 0; i < DEPTHWISE_GOLDEN_COUNT; ++i) {
    const mr_depthwise_golden_case *t = &depthwise_golden_cases[i];
    const mr_conv_params p = params_of(t);
    const size_t n = (size_t)t->out_h * t->out_w * p.output.c;
    memset(out_buf, 0x55, n);
    mr_depthwise_conv2d_s8(&p, t->input, out_buf);
    mr_check_bytes("depthwise", t->name, out_buf, t->expected, n);
    memset(out_buf, 0x55, n);
    mr_depthwise_conv2d_dilated_s8(&p, t->input, out_buf);
    mr_check_bytes("depthwise_dilated", t->name, out_buf, t->expected, n);
    if (t->depth_mult == 1 && t->out_h <= t->in_h && t->out_w <= t->in_w) {
      const size_t in_n = (size_t)t->in_h * t->in_w * t->in_c;
      memcpy(inout_buf, t->input, in_n);
      mr_depthwise_conv2d_inplace_s8(&p, inout_buf, scratch_buf);
      mr_check_bytes("depthwise_inplace", t->name, inout_buf, t->expected, n);
    }
  }
  return mr_summary("depthwise_conv_test");
}
