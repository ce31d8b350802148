/* CONV_2D int8, per-channel requantization.
 * Mirrors tensorflow/lite/kernels/internal/reference/integer_ops/conv.h
 * (ConvPerChannel): acc = sum filter * (input + input_offset) over in-image
 * taps, + bias, requantize per output channel, + output_offset, clamp. */
#include "mr_kernels.h"

void mr_conv2d_dilated_s8(const int8_t *in, int in_h, int in_w, int in_c,
                          const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                          int stride_h, int stride_w, int dilation_h, int dilation_w,
                          int pad_top, int pad_left,
                          int8_t *out, int out_h, int out_w,
                          int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                          const int32_t *out_shift, int32_t act_min, int32_t act_max) {
  int out_y, out_x, oc, ky, kx, ic;
  for (out_y = 0; out_y < out_h; ++out_y) {
    const int in_y_origin = out_y * stride_h - pad_top;
    for (out_x = 0; out_x < out_w; ++out_x) {
      const int in_x_origin = out_x * stride_w - pad_left;
      int8_t *out_pixel = out + ((size_t)out_y * out_w + out_x) * out_c;
      for (oc = 0; oc < out_c; ++oc) {
        const int8_t *filter_oc = filter + (size_t)oc * k_h * k_w * in_c;
        int32_t acc = 0;
        for (ky = 0; ky < k_h; ++ky) {
          const int in_y = in_y_origin + dilation_h * ky;
          if (in_y < 0 || in_y >= in_h) continue;
          for (kx = 0; kx < k_w; ++kx) {
            const int in_x = in_x_origin + dilation_w * kx;
            const int8_t *in_pixel;
            const int8_t *filter_tap;
            if (in_x < 0 || in_x >= in_w) continue;
            in_pixel = in + ((size_t)in_y * in_w + in_x) * in_c;
            filter_tap = filter_oc + ((size_t)ky * k_w + kx) * in_c;
            for (ic = 0; ic < in_c; ++ic) {
              acc += (int32_t)filter_tap[ic] * ((int32_t)in_pixel[ic] + in_offset);
            }
          }
        }
        if (bias) acc += bias[oc];
        acc = mr_requantize(acc, out_mult[oc], out_shift[oc]);
        acc += out_offset;
        out_pixel[oc] = (int8_t)mr_clamp_i32(acc, act_min, act_max);
      }
    }
  }
}

void mr_conv2d_s8(const int8_t *in, int in_h, int in_w, int in_c,
                  const int8_t *filter, const int32_t *bias, int out_c, int k_h, int k_w,
                  int stride_h, int stride_w, int pad_top, int pad_left,
                  int8_t *out, int out_h, int out_w,
                  int32_t in_offset, int32_t out_offset, const int32_t *out_mult, const int32_t *out_shift,
                  int32_t act_min, int32_t act_max) {
  mr_conv2d_dilated_s8(in, in_h, in_w, in_c, filter, bias, out_c, k_h, k_w, stride_h, stride_w, 1, 1,
                       pad_top, pad_left, out, out_h, out_w, in_offset, out_offset, out_mult, out_shift,
                       act_min, act_max);
}

void mr_conv1x1_s8(const int8_t *in, int rows, int in_c, const int8_t *filter, const int32_t *bias,
                   int out_c, int8_t *out, int32_t in_offset, int32_t out_offset,
                   const int32_t *out_mult, const int32_t *out_shift, int32_t act_min, int32_t act_max) {
  int r, oc, ic;
  for (r = 0; r < rows; ++r) {
    const int8_t *in_row = in + (size_t)r * in_c;
    int8_t *out_row = out + (size_t)r * out_c;
    for (oc = 0; oc < out_c; ++oc) {
      const int8_t *filter_row = filter + (size_t)oc * in_c;
      int32_t acc = 0;
      for (ic = 0; ic < in_c; ++ic) {
        acc += (int32_t)filter_row[ic] * ((int32_t)in_row[ic] + in_offset);
      }
      if (bias) acc += bias[oc];
      acc = mr_requantize(acc, out_mult[oc], out_shift[oc]);
      acc += out_offset;
      out_row[oc] = (int8_t)mr_clamp_i32(acc, act_min, act_max);
    }
  }
}
