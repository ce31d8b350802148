/* CONV_2D int8, per-channel requantization.
 * Mirrors tensorflow/lite/kernels/internal/reference/integer_ops/conv.h
 * (ConvPerChannel): acc = sum filter * (input + input_offset) over in-image
 * taps, + bias, requantize per output channel, + output_offset, clamp. */
#include "mr_kernels.h"

void mr_conv2d_dilated_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  const int in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
  const int out_h = p->output.h, out_w = p->output.w, out_c = p->output.c;
  const int k_h = p->window.k_h, k_w = p->window.k_w;
  const int32_t in_offset = p->input_offset, out_offset = p->output_offset;
  const int32_t act_min = p->activation.min, act_max = p->activation.max;
  const MR_CONST int8_t *filter = p->filter;
  const MR_CONST int32_t *bias = p->bias, *out_mult = p->quant.multiplier, *out_shift = p->quant.shift;
  int out_y, out_x, oc, ky, kx, ic;
  for (out_y = 0; out_y < out_h; ++out_y) {
    const int in_y_origin = out_y * p->window.stride_h - p->window.pad_top;
    for (out_x = 0; out_x < out_w; ++out_x) {
      const int in_x_origin = out_x * p->window.stride_w - p->window.pad_left;
      int8_t *out_pixel = out + ((size_t)out_y * out_w + out_x) * out_c;
      for (oc = 0; oc < out_c; ++oc) {
        const MR_CONST int8_t *filter_oc = filter + (size_t)oc * k_h * k_w * in_c;
        int32_t acc = 0;
        for (ky = 0; ky < k_h; ++ky) {
          const int in_y = in_y_origin + p->window.dilation_h * ky;
          if (in_y < 0 || in_y >= in_h) continue;
          for (kx = 0; kx < k_w; ++kx) {
            const int in_x = in_x_origin + p->window.dilation_w * kx;
            const int8_t *in_pixel;
            const MR_CONST int8_t *filter_tap;
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

void mr_conv2d_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  mr_conv_params undilated = *p;
  undilated.window.dilation_h = undilated.window.dilation_w = 1;
  mr_conv2d_dilated_s8(&undilated, in, out);
}

void mr_conv1x1_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  const int rows = p->input.n * p->input.h * p->input.w, in_c = p->input.c, out_c = p->output.c;
  const int32_t in_offset = p->input_offset, out_offset = p->output_offset;
  const int32_t act_min = p->activation.min, act_max = p->activation.max;
  const MR_CONST int32_t *bias = p->bias, *out_mult = p->quant.multiplier, *out_shift = p->quant.shift;
  int r, oc, ic;
  for (r = 0; r < rows; ++r) {
    const int8_t *in_row = in + (size_t)r * in_c;
    int8_t *out_row = out + (size_t)r * out_c;
    for (oc = 0; oc < out_c; ++oc) {
      const MR_CONST int8_t *filter_row = p->filter + (size_t)oc * in_c;
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
