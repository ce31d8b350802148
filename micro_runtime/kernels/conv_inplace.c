/* In-place 1x1 conv and conv+ADD, built from the reference kernels one pixel at a time. */
#include <string.h>

#include "mr_inplace.h"

void mr_conv1x1_inplace_s8(int8_t *buf, int rows, int in_c, const int8_t *filter, const int32_t *bias,
                           int out_c, int8_t *scratch, int32_t in_offset, int32_t out_offset,
                           const int32_t *out_mult, const int32_t *out_shift, int32_t act_min,
                           int32_t act_max) {
  const int forward = out_c <= in_c;
  int i;
  for (i = 0; i < rows; ++i) {
    const int r = forward ? i : rows - 1 - i;
    memcpy(scratch, buf + (size_t)r * in_c, (size_t)in_c);
    mr_conv1x1_s8(scratch, 1, in_c, filter, bias, out_c, buf + (size_t)r * out_c, in_offset, out_offset,
                  out_mult, out_shift, act_min, act_max);
  }
}

void mr_conv2d_add_s8(const int8_t *in, int in_h, int in_w, int in_c,
                      const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                      int stride_h, int stride_w, int pad_top, int pad_left,
                      const int8_t *skip, int8_t *out, int out_h, int out_w,
                      int32_t in_offset, int32_t conv_out_offset, const int32_t *out_mult,
                      const int32_t *out_shift, int32_t conv_act_min, int32_t conv_act_max,
                      int8_t *scratch, int conv_is_input1,
                      int32_t input1_offset, int32_t input2_offset, int32_t left_shift,
                      int32_t input1_multiplier, int32_t input1_shift,
                      int32_t input2_multiplier, int32_t input2_shift,
                      int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                      int32_t act_min, int32_t act_max) {
  const int32_t pixel_shape[4] = {1, 1, 1, out_c};
  int y, x;
  for (y = 0; y < out_h; ++y) {
    for (x = 0; x < out_w; ++x) {
      const size_t p = ((size_t)y * out_w + x) * out_c;
      /* One output pixel: the window origin moves by shifting the padding. */
      mr_conv2d_s8(in, in_h, in_w, in_c, filter, bias, out_c, k_h, k_w, stride_h, stride_w,
                   pad_top - y * stride_h, pad_left - x * stride_w, scratch, 1, 1, in_offset,
                   conv_out_offset, out_mult, out_shift, conv_act_min, conv_act_max);
      if (conv_is_input1) {
        mr_add_s8(scratch, pixel_shape, skip + p, pixel_shape, out + p, input1_offset, input2_offset,
                  left_shift, input1_multiplier, input1_shift, input2_multiplier, input2_shift,
                  output_offset, output_multiplier, output_shift, act_min, act_max);
      } else {
        mr_add_s8(skip + p, pixel_shape, scratch, pixel_shape, out + p, input1_offset, input2_offset,
                  left_shift, input1_multiplier, input1_shift, input2_multiplier, input2_shift,
                  output_offset, output_multiplier, output_shift, act_min, act_max);
      }
    }
  }
}
