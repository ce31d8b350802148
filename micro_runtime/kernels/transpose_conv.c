/* TRANSPOSE_CONV int8, per-channel requantization (reference_integer_ops::TransposeConv): every input pixel
 * scatters filter * (input + input_offset) into the int32 accumulators of the outputs its window covers
 * (`scratch`, one per output value, as TFLM's scratch buffer), then bias, requantization, output offset and
 * clamp per output. The dot product runs over input channels (contiguous in input and OHWI filter); integer
 * sums in another order are the same sums. */
#include <string.h>

#include "mr_kernels.h"

static void scatter(const mr_conv_params *p, const int8_t *in_pixel, int32_t out_y0, int32_t out_x0,
                    int32_t *acc) {
  const int32_t k_h = p->window.k_h, k_w = p->window.k_w, in_c = p->input.c, out_c = p->output.c;
  int32_t fy, fx, oc, ic;
  for (fy = 0; fy < k_h; ++fy) {
    const int32_t out_y = out_y0 + fy;
    if (out_y < 0 || out_y >= p->output.h) continue;
    for (fx = 0; fx < k_w; ++fx) {
      const int32_t out_x = out_x0 + fx;
      int32_t *acc_pixel;
      if (out_x < 0 || out_x >= p->output.w) continue;
      acc_pixel = acc + ((size_t)out_y * p->output.w + out_x) * out_c;
      for (oc = 0; oc < out_c; ++oc) {
        const int8_t *filter_tap = p->filter + (((size_t)oc * k_h + fy) * k_w + fx) * in_c;
        int32_t sum = 0;
        for (ic = 0; ic < in_c; ++ic) sum += ((int32_t)in_pixel[ic] + p->input_offset) * filter_tap[ic];
        acc_pixel[oc] += sum;
      }
    }
  }
}

void mr_transpose_conv_s8(const mr_conv_params *p, const int8_t *input, int8_t *output, int32_t *scratch) {
  const size_t in_image = (size_t)p->input.h * p->input.w * p->input.c;
  const size_t out_pixels = (size_t)p->output.h * p->output.w;
  const int32_t out_c = p->output.c;
  int32_t b, in_y, in_x, oc;
  size_t i;
  for (b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + b * in_image;
    memset(scratch, 0, out_pixels * out_c * sizeof(int32_t));
    for (in_y = 0; in_y < p->input.h; ++in_y)
      for (in_x = 0; in_x < p->input.w; ++in_x)
        scatter(p, image + ((size_t)in_y * p->input.w + in_x) * p->input.c,
                in_y * p->window.stride_h - p->window.pad_top, in_x * p->window.stride_w - p->window.pad_left,
                scratch);
    for (i = 0; i < out_pixels; ++i) {
      for (oc = 0; oc < out_c; ++oc) {
        int32_t acc = scratch[i * out_c + oc] + (p->bias ? p->bias[oc] : 0);
        acc = mr_requantize(acc, p->quant.multiplier[oc], p->quant.shift[oc]) + p->output_offset;
        *output++ = (int8_t)mr_clamp_i32(acc, p->activation.min, p->activation.max);
      }
    }
  }
}
