/* DEPTHWISE_CONV_2D int8, per-channel requantization.
 * Mirrors reference/integer_ops/depthwise_conv.h (DepthwiseConvPerChannel):
 * output channel oc = ic * depth_mult + m reads input channel ic and filter
 * column oc of the [1][k_h][k_w][in_c*depth_mult] filter. */
#include "mr_kernels.h"

/* Output channel oc (of input channel ic) at output pixel (out_y, out_x): the
 * taps within the input (TFLM skips the others), requantized. */
static int8_t mr_depthwise_output_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int out_y, int out_x, int ic,
                                     int oc, int dilation_h, int dilation_w) {
  const MR_CONST mr_window *w = &p->window;
  const int in_h = p->input.h, in_w = p->input.w, in_c = p->input.c, out_c = p->output.c;
  const int in_y_origin = out_y * w->stride_h - w->pad_top;
  const int in_x_origin = out_x * w->stride_w - w->pad_left;
  int32_t acc = 0;
  int ky, kx;
  for (ky = 0; ky < w->k_h; ++ky) {
    const int in_y = in_y_origin + dilation_h * ky;
    if (in_y < 0 || in_y >= in_h) continue;
    for (kx = 0; kx < w->k_w; ++kx) {
      const int in_x = in_x_origin + dilation_w * kx;
      int32_t input_val, filter_val;
      if (in_x < 0 || in_x >= in_w) continue;
      input_val = in[((size_t)in_y * in_w + in_x) * in_c + ic];
      filter_val = p->filter[((size_t)ky * w->k_w + kx) * out_c + oc];
      acc += filter_val * (input_val + p->input_offset);
    }
  }
  if (p->bias) acc += p->bias[oc];
  acc = mr_requantize(acc, p->quant.multiplier[oc], p->quant.shift[oc]);
  acc += p->output_offset;
  return (int8_t)mr_clamp_i32(acc, p->activation.min, p->activation.max);
}

/* Any dilation (dilation_h, dilation_w; p->window's are not read). */
static void mr_depthwise_conv2d_window_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out,
                                          int dilation_h, int dilation_w) {
  const int out_w = p->output.w, out_c = p->output.c, depth_mult = p->depth_multiplier;
  int out_y, out_x, ic, m;
  for (out_y = 0; out_y < p->output.h; ++out_y) {
    for (out_x = 0; out_x < out_w; ++out_x) {
      int8_t *out_pixel = out + ((size_t)out_y * out_w + out_x) * out_c;
      for (ic = 0; ic < p->input.c; ++ic) {
        for (m = 0; m < depth_mult; ++m) {
          const int oc = ic * depth_mult + m;
          out_pixel[oc] = mr_depthwise_output_s8(p, in, out_y, out_x, ic, oc, dilation_h, dilation_w);
        }
      }
    }
  }
}

void mr_depthwise_conv2d_dilated_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  mr_depthwise_conv2d_window_s8(p, in, out, p->window.dilation_h, p->window.dilation_w);
}

void mr_depthwise_conv2d_s8(const MR_CONST mr_conv_params *p, const int8_t *in, int8_t *out) {
  MR_CHECK(out, mr_checked_elements(&p->output));
  mr_depthwise_conv2d_window_s8(p, in, out, 1, 1);
}

/* In place, channel by channel: channel c is computed from the (still
 * intact) input channel c into scratch, then scattered to output positions
 * i*c_stride + c, i < out_h*out_w. Those bytes belong to input channel c at
 * pixels i < out_h*out_w <= in_h*in_w, i.e. to the channel just consumed, so
 * no later channel's input is overwritten. */
void mr_depthwise_conv2d_inplace_s8(const MR_CONST mr_conv_params *p, int8_t *inout, int8_t *scratch) {
  MR_CHECK(inout, mr_checked_elements(&p->output));
  MR_CHECK(scratch, (int64_t)p->output.h * p->output.w);
  const int c = p->input.c, out_h = p->output.h, out_w = p->output.w;
  const int out_pixels = out_h * out_w;
  int ch, out_y, out_x, i;
  for (ch = 0; ch < c; ++ch) {
    for (out_y = 0; out_y < out_h; ++out_y) {
      for (out_x = 0; out_x < out_w; ++out_x) {
        scratch[out_y * out_w + out_x] = mr_depthwise_output_s8(p, inout, out_y, out_x, ch, ch, 1, 1);
      }
    }
    for (i = 0; i < out_pixels; ++i) inout[(size_t)i * c + ch] = scratch[i];
  }
}
