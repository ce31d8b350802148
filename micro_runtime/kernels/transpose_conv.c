/* TRANSPOSE_CONV int8, per-channel requantization (reference_integer_ops::TransposeConv): every input pixel
 * scatters filter * (input + input_offset) into the int32 accumulators of the outputs its window covers
 * (`scratch`, one per output value of a batch, as TFLM's scratch buffer), then bias, requantization, output offset
 * and clamp per output. The products of a pixel and a tap are dot products over input channels, four output
 * channels at a time, on the filter in blocks (mr_kernels.h): mr_transpose_conv_tap, here in portable C,
 * in transpose_conv_dsp.c with the Arm DSP extension. Integer sums in another order are the same sums. */
#include <string.h>

#include "mr_dsp.h"
#include "mr_kernels.h"

#ifndef MR_DSP
void mr_transpose_conv_tap(const int8_t *x, int32_t n, const MR_CONST int8_t *w, size_t block_stride, int32_t blocks,
                           int32_t in_offset, int32_t *acc) {
  int32_t b, i, j;
  for (b = 0; b < blocks; ++b, w += block_stride, acc += 4) {
    for (i = 0; i < n; ++i) {
      const int32_t v = x[i] + in_offset;
      const MR_CONST int8_t *w_i = w + (i >> 2) * 16 + (i & 3);
      for (j = 0; j < 4; ++j) acc[j] += w_i[4 * j] * v;
    }
  }
}
#endif

static void scatter(const MR_CONST mr_conv_params *p, const int8_t *in_pixel, int32_t out_y0, int32_t out_x0,
                    int32_t *acc) {
  const int32_t k_h = p->window.k_h, k_w = p->window.k_w, in_c = p->input.c, out_c = p->output.c;
  const size_t tap_bytes = (size_t)((in_c + 3) >> 2) * 16, block_bytes = (size_t)k_h * k_w * tap_bytes;
  int32_t fy, fx, oc;
  for (fy = 0; fy < k_h; ++fy) {
    const int32_t out_y = out_y0 + fy;
    if (out_y < 0 || out_y >= p->output.h) continue;
    for (fx = 0; fx < k_w; ++fx) {
      const int32_t out_x = out_x0 + fx;
      const MR_CONST int8_t *block = p->filter + ((size_t)fy * k_w + fx) * tap_bytes;
      int32_t *acc_pixel;
      if (out_x < 0 || out_x >= p->output.w) continue;
      acc_pixel = acc + ((size_t)out_y * p->output.w + out_x) * out_c;
      mr_transpose_conv_tap(in_pixel, in_c, block, block_bytes, out_c >> 2, p->input_offset, acc_pixel);
      if (out_c & 3) { /* the last block's rows past out_c are zeros */
        int32_t last[4] = {0, 0, 0, 0}, j;
        oc = out_c & ~3;
        mr_transpose_conv_tap(in_pixel, in_c, block + (size_t)(out_c >> 2) * block_bytes, block_bytes, 1,
                              p->input_offset, last);
        for (j = 0; oc + j < out_c; ++j) acc_pixel[oc + j] += last[j];
      }
    }
  }
}

static void requantize(const MR_CONST mr_conv_params *p, const int32_t *acc, size_t pixels, int8_t *out) {
  const int32_t out_c = p->output.c;
  int32_t oc;
  size_t i;
  for (oc = 0; oc < out_c; ++oc) {
    const mr_requant r = mr_requant_prepare(p->quant.multiplier[oc], p->quant.shift[oc]);
    const int32_t bias = p->bias ? p->bias[oc] : 0;
    for (i = 0; i < pixels; ++i) {
      const int32_t v = mr_requant_apply(acc[i * out_c + oc] + bias, &r) + p->output_offset;
      out[i * out_c + oc] = (int8_t)mr_clamp_i32(v, p->activation.min, p->activation.max);
    }
  }
}

void mr_transpose_conv_s8(const MR_CONST mr_conv_params *p, const int8_t *input, int8_t *output, int32_t *scratch) {
  const size_t in_image = (size_t)p->input.h * p->input.w * p->input.c;
  const size_t out_pixels = (size_t)p->output.h * p->output.w;
  int32_t b, in_y, in_x;
  for (b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + b * in_image;
    memset(scratch, 0, out_pixels * p->output.c * sizeof(int32_t));
    for (in_y = 0; in_y < p->input.h; ++in_y)
      for (in_x = 0; in_x < p->input.w; ++in_x)
        scatter(p, image + ((size_t)in_y * p->input.w + in_x) * p->input.c,
                in_y * p->window.stride_h - p->window.pad_top, in_x * p->window.stride_w - p->window.pad_left,
                scratch);
    requantize(p, scratch, out_pixels, output + b * out_pixels * p->output.c);
  }
}

int32_t mr_transpose_conv_s8_scratch_bytes(const MR_CONST mr_conv_params *p) {
  return (int32_t)sizeof(int32_t) * p->output.h * p->output.w * p->output.c;
}
