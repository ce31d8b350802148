/* CONV_2D and DEPTHWISE_CONV_2D 16x8: int16 input and output, int8 per-channel filter, int32 or int64 bias.
 * Mirror reference_integer_ops::ConvPerChannel and DepthwiseConvPerChannel for int16: no input or output
 * offset (int16 zero points are 0), acc = sum filter * input over in-image taps (dilated), + bias,
 * MultiplyByQuantizedMultiplier of the bias's type per output channel, clamp. */
#include "mr_kernels.h"
#include "mr_s16.h"

/* One output value: `taps_c` input channels from `first_c` (all of them for CONV_2D, one for depthwise) of
 * every in-image tap under output pixel (out_y, out_x), times the filter's taps for output channel oc.
 * ACC32: the sum is taken in int32, exact when the window has at most MR_S16_EXACT_INT32_TAPS products. */
static inline __attribute__((always_inline)) int16_t conv_output_s16(const MR_CONST mr_conv_s16_params *p,
                                                                     const int16_t *in, int out_y, int out_x,
                                                                     int oc, int first_c, int taps_c,
                                                                     int depthwise, const int ACC32) {
  const MR_CONST mr_conv_params *c = &p->conv;
  const MR_CONST mr_window *w = &c->window;
  const int in_y0 = out_y * w->stride_h - w->pad_top, in_x0 = out_x * w->stride_w - w->pad_left;
  int64_t acc = 0;
  int32_t acc32 = 0;
  int ky, kx, ic;
  for (ky = 0; ky < w->k_h; ++ky) {
    const int in_y = in_y0 + w->dilation_h * ky;
    for (kx = 0; kx < w->k_w; ++kx) {
      const int in_x = in_x0 + w->dilation_w * kx;
      const int16_t *in_pixel = in + ((size_t)in_y * c->input.w + in_x) * c->input.c + first_c;
      const size_t tap = (size_t)ky * w->k_w + kx;
      if (in_y < 0 || in_y >= c->input.h || in_x < 0 || in_x >= c->input.w) continue;
      for (ic = 0; ic < taps_c; ++ic) {
        const int8_t weight = depthwise ? c->filter[tap * c->output.c + oc]
                                        : c->filter[((size_t)oc * w->k_h * w->k_w + tap) * c->input.c + ic];
        if (ACC32) acc32 += (int32_t)weight * (int32_t)in_pixel[ic];
        else acc += (int32_t)weight * (int32_t)in_pixel[ic];
      }
    }
  }
  if (ACC32) acc = acc32;
  acc = mr_requantize_acc_s16(acc, c->bias, p->bias64, oc, c->quant.multiplier[oc], c->quant.shift[oc]);
  return (int16_t)mr_clamp_i32((int32_t)acc, c->activation.min, c->activation.max);
}

/* Every output of the layer, CONV_2D (taps_c: all input channels) or depthwise (one). */
static inline __attribute__((always_inline)) void conv_layer_s16(const MR_CONST mr_conv_s16_params *p,
                                                                 const int16_t *in, int16_t *out, int depthwise,
                                                                 const int ACC32) {
  const MR_CONST mr_conv_params *c = &p->conv;
  const int taps_c = depthwise ? 1 : c->input.c;
  int y, x, oc;
  for (y = 0; y < c->output.h; ++y)
    for (x = 0; x < c->output.w; ++x)
      for (oc = 0; oc < c->output.c; ++oc)
        *out++ = conv_output_s16(p, in, y, x, oc, depthwise ? oc / c->depth_multiplier : 0, taps_c, depthwise, ACC32);
}

static int int32_is_exact(const MR_CONST mr_conv_params *c, int depthwise) {
  return c->window.k_h * c->window.k_w * (depthwise ? 1 : c->input.c) <= MR_S16_EXACT_INT32_TAPS;
}

void mr_conv2d_s16(const MR_CONST mr_conv_s16_params *p, const int16_t *in, int16_t *out) {
  if (int32_is_exact(&p->conv, 0)) conv_layer_s16(p, in, out, 0, 1);
  else conv_layer_s16(p, in, out, 0, 0);
}

void mr_depthwise_conv2d_s16(const MR_CONST mr_conv_s16_params *p, const int16_t *in, int16_t *out) {
  if (int32_is_exact(&p->conv, 1)) conv_layer_s16(p, in, out, 1, 1);
  else conv_layer_s16(p, in, out, 1, 0);
}
