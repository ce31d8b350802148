/* CONV_2D row by row over its own input, at the distance the planner chose (see mr_streaming.h). */
#include <string.h>

#include "mr_streaming.h"

void mr_conv2d_rows_s8(const int8_t *in, int in_h, int in_w, int in_c,
                       const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                       int stride_h, int stride_w, int pad_top, int pad_left,
                       int8_t *out, int out_h, int out_w, int8_t *scratch,
                       int32_t in_offset, int32_t out_offset, const int32_t *out_mult, const int32_t *out_shift,
                       int32_t act_min, int32_t act_max) {
  const size_t row_bytes = (size_t)out_w * (size_t)out_c;
  int y;
  for (y = 0; y < out_h; ++y) {
    /* Row y alone: moving the window origin down by y strides is a smaller top padding. */
    mr_conv2d_s8(in, in_h, in_w, in_c, filter, bias, out_c, k_h, k_w, stride_h, stride_w,
                 pad_top - y * stride_h, pad_left, scratch, 1, out_w, in_offset, out_offset, out_mult,
                 out_shift, act_min, act_max);
    memcpy(out + (size_t)y * row_bytes, scratch, row_bytes);
  }
}

