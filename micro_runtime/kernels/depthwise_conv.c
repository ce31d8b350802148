/* DEPTHWISE_CONV_2D int8, per-channel requantization.
 * Mirrors reference/integer_ops/depthwise_conv.h (DepthwiseConvPerChannel):
 * output channel oc = ic * depth_mult + m reads input channel ic and filter
 * column oc of the [1][k_h][k_w][in_c*depth_mult] filter. */
#include "mr_kernels.h"

void mr_depthwise_conv2d_dilated_s8(const int8_t *in, int in_h, int in_w, int in_c, int depth_mult,
                                    const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                    int stride_h, int stride_w, int dilation_h, int dilation_w,
                                    int pad_top, int pad_left,
                                    int8_t *out, int out_h, int out_w,
                                    int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                    const int32_t *out_shift, int32_t act_min, int32_t act_max) {
  const int out_c = in_c * depth_mult;
  int out_y, out_x, ic, m, ky, kx;
  for (out_y = 0; out_y < out_h; ++out_y) {
    const int in_y_origin = out_y * stride_h - pad_top;
    for (out_x = 0; out_x < out_w; ++out_x) {
      const int in_x_origin = out_x * stride_w - pad_left;
      int8_t *out_pixel = out + ((size_t)out_y * out_w + out_x) * out_c;
      for (ic = 0; ic < in_c; ++ic) {
        for (m = 0; m < depth_mult; ++m) {
          const int oc = ic * depth_mult + m;
          int32_t acc = 0;
          for (ky = 0; ky < k_h; ++ky) {
            const int in_y = in_y_origin + dilation_h * ky;
            if (in_y < 0 || in_y >= in_h) continue;
            for (kx = 0; kx < k_w; ++kx) {
              const int in_x = in_x_origin + dilation_w * kx;
              int32_t input_val, filter_val;
              if (in_x < 0 || in_x >= in_w) continue;
              input_val = in[((size_t)in_y * in_w + in_x) * in_c + ic];
              filter_val = filter[((size_t)ky * k_w + kx) * out_c + oc];
              acc += filter_val * (input_val + in_offset);
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
}

void mr_depthwise_conv2d_s8(const int8_t *in, int in_h, int in_w, int in_c, int depth_mult,
                            const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                            int stride_h, int stride_w, int pad_top, int pad_left,
                            int8_t *out, int out_h, int out_w,
                            int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                            const int32_t *out_shift, int32_t act_min, int32_t act_max) {
  mr_depthwise_conv2d_dilated_s8(in, in_h, in_w, in_c, depth_mult, filter, bias, k_h, k_w, stride_h,
                                 stride_w, 1, 1, pad_top, pad_left, out, out_h, out_w, in_offset,
                                 out_offset, out_mult, out_shift, act_min, act_max);
}

/* In place, channel by channel: channel c is computed from the (still
 * intact) input channel c into scratch, then scattered to output positions
 * p*c_stride + c, p < out_h*out_w. Those bytes belong to input channel c at
 * pixels p < out_h*out_w <= in_h*in_w, i.e. to the channel just consumed, so
 * no later channel's input is overwritten. */
void mr_depthwise_conv2d_inplace_s8(int8_t *inout, int in_h, int in_w, int c,
                                    const int8_t *filter, const int32_t *bias, int k_h, int k_w,
                                    int stride_h, int stride_w, int pad_top, int pad_left,
                                    int out_h, int out_w, int8_t *scratch,
                                    int32_t in_offset, int32_t out_offset, const int32_t *out_mult,
                                    const int32_t *out_shift, int32_t act_min, int32_t act_max) {
  int ch, out_y, out_x, ky, kx;
  const int out_pixels = out_h * out_w;
  int p;
  for (ch = 0; ch < c; ++ch) {
    for (out_y = 0; out_y < out_h; ++out_y) {
      const int in_y_origin = out_y * stride_h - pad_top;
      for (out_x = 0; out_x < out_w; ++out_x) {
        const int in_x_origin = out_x * stride_w - pad_left;
        int32_t acc = 0;
        for (ky = 0; ky < k_h; ++ky) {
          const int in_y = in_y_origin + ky;
          if (in_y < 0 || in_y >= in_h) continue;
          for (kx = 0; kx < k_w; ++kx) {
            const int in_x = in_x_origin + kx;
            int32_t input_val, filter_val;
            if (in_x < 0 || in_x >= in_w) continue;
            input_val = inout[((size_t)in_y * in_w + in_x) * c + ch];
            filter_val = filter[((size_t)ky * k_w + kx) * c + ch];
            acc += filter_val * (input_val + in_offset);
          }
        }
        if (bias) acc += bias[ch];
        acc = mr_requantize(acc, out_mult[ch], out_shift[ch]);
        acc += out_offset;
        scratch[out_y * out_w + out_x] = (int8_t)mr_clamp_i32(acc, act_min, act_max);
      }
    }
    for (p = 0; p < out_pixels; ++p) inout[(size_t)p * c + ch] = scratch[p];
  }
}
