/* CONV_2D golden test: mr_conv2d_s8 / mr_conv2d_dilated_s8 (and mr_conv1x1_s8
 * on the pointwise stride-1 cases) must reproduce TF Lite Micro's bytes. */
#include "golden_check.h"
#include "micro_runtime/golden/conv_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 16];

static mr_conv_params conv_params(const mr_conv_golden_case *t) {
  const mr_conv_params p = {
      .input = {1, t->in_h, t->in_w, t->in_c},
      .output = {1, t->out_h, t->out_w, t->out_c},
      .window = {t->k_h, t->k_w, t->stride_h, t->stride_w, t->pad_top, t->pad_left, t->dilation_h, t->dilation_w},
      .depth_multiplier = 1,
      .input_offset = t->in_offset,
      .output_offset = t->out_offset,
      .activation = {t->act_min, t->act_max},
      .filter = t->filter,
      .bias = t->bias,
      .quant = {.multiplier = t->out_mult, .shift = t->out_shift},
  };
  return p;
}

int main(void) {
  int i;
  for (i = 0; i < CONV_GOLDEN_COUNT; ++i) {
    const mr_conv_golden_case *t = &conv_golden_cases[i];
    const mr_conv_params p = conv_params(t);
    const size_t n = (size_t)t->out_h * t->out_w * t->out_c;
    memset(out_buf, 0x55, n);
    if (t->dilation_h == 1 && t->dilation_w == 1) mr_conv2d_s8(&p, t->input, out_buf);
    else mr_conv2d_dilated_s8(&p, t->input, out_buf);
    mr_check_bytes("conv2d", t->name, out_buf, t->expected, n);
    if (t->k_h == 1 && t->k_w == 1 && t->stride_h == 1 && t->stride_w == 1 && t->pad_top == 0 &&
        t->pad_left == 0) {
      memset(out_buf, 0x55, n);
      mr_conv1x1_s8(&p, t->input, out_buf);
      mr_check_bytes("conv1x1", t->name, out_buf, t->expected, n);
    }
  }
  return mr_summary("conv_test");
}
