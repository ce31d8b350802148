/* CONV_2D golden test: mr_conv2d_s8 / mr_conv2d_dilated_s8 (and mr_conv1x1_s8
 * on the pointwise stride-1 cases) must reproduce TF Lite Micro's bytes. */
#include "golden_check.h"
#include "micro_runtime/golden/conv_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 16];

int main(void) {
  int i;
  for (i = 0; i < CONV_GOLDEN_COUNT; ++i) {
    const mr_conv_golden_case *t = &conv_golden_cases[i];
    const size_t n = (size_t)t->out_h * t->out_w * t->out_c;
    memset(out_buf, 0x55, n);
    if (t->dilation_h == 1 && t->dilation_w == 1) {
      mr_conv2d_s8(t->input, t->in_h, t->in_w, t->in_c, t->filter, t->bias, t->out_c, t->k_h, t->k_w,
                   t->stride_h, t->stride_w, t->pad_top, t->pad_left, out_buf, t->out_h, t->out_w,
                   t->in_offset, t->out_offset, t->out_mult, t->out_shift, t->act_min, t->act_max);
    } else {
      mr_conv2d_dilated_s8(t->input, t->in_h, t->in_w, t->in_c, t->filter, t->bias, t->out_c, t->k_h,
                           t->k_w, t->stride_h, t->stride_w, t->dilation_h, t->dilation_w, t->pad_top,
                           t->pad_left, out_buf, t->out_h, t->out_w, t->in_offset, t->out_offset,
                           t->out_mult, t->out_shift, t->act_min, t->act_max);
    }
    mr_check_bytes("conv2d", t->name, out_buf, t->expected, n);
    if (t->k_h == 1 && t->k_w == 1 && t->stride_h == 1 && t->stride_w == 1 && t->pad_top == 0 &&
        t->pad_left == 0) {
      memset(out_buf, 0x55, n);
      mr_conv1x1_s8(t->input, t->in_h * t->in_w, t->in_c, t->filter, t->bias, t->out_c, out_buf,
                    t->in_offset, t->out_offset, t->out_mult, t->out_shift, t->act_min, t->act_max);
      mr_check_bytes("conv1x1", t->name, out_buf, t->expected, n);
    }
  }
  return mr_summary("conv_test");
}
