/* RESIZE_BILINEAR int8 (reference_ops::ResizeBilinearInteger): positions and weights in 10-bit fixed point,
 * the four-tap sum in 20 bits, rounded half away from zero (half up with MR_SINGLE_ROUNDING, as
 * TFLITE_SINGLE_ROUNDING). Raw int8 values: TFLM reads no quantization. */
#include "mr_kernels.h"

/* ComputeInterpolationValuesInteger: the source position (10 fractional bits) and the two rows/columns
 * around it. */
static void interpolation_values(int32_t value, int32_t scale_10, int half_pixel_centers, int32_t input_size,
                                 int32_t *scaled_value, int32_t *lower_bound, int32_t *upper_bound) {
  *scaled_value = half_pixel_centers ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  *lower_bound = mr_max_i32(*scaled_value / (1 << 10), 0);
  *upper_bound = mr_min_i32((*scaled_value + (1 << 10) - 1) / (1 << 10), input_size - 1);
}

static int32_t scale_10(int32_t input_size, int32_t output_size, int align_corners) {
  if (align_corners && output_size > 1)
    return ((1 << 10) * (input_size - 1) + (output_size - 1) / 2) / (output_size - 1);
  return ((1 << 10) * input_size + output_size / 2) / output_size;
}

static int8_t round_20(int64_t output_20) {
  const int64_t half = (int64_t)1 << 19; /* int64_t: 16-bit int on AVR */
#ifdef MR_SINGLE_ROUNDING
  return (int8_t)((output_20 + half) >> 20);
#else
  return (int8_t)((output_20 + (output_20 > 0 ? half : -half)) / (2 * half));
#endif
}

void mr_resize_bilinear_s8(const MR_CONST mr_resize_params *params, const int8_t *input, int8_t *output) {
  const mr_dims in = params->input, out = params->output;
  const int32_t height_scale_10 = scale_10(in.h, out.h, params->align_corners);
  const int32_t width_scale_10 = scale_10(in.w, out.w, params->align_corners);
  int32_t b, y, x, c;
  for (b = 0; b < in.n; ++b) {
    const int8_t *image = input + (size_t)b * in.h * in.w * in.c;
    for (y = 0; y < out.h; ++y) {
      int32_t input_y, y0, y1;
      interpolation_values(y, height_scale_10, params->half_pixel_centers, in.h, &input_y, &y0, &y1);
      for (x = 0; x < out.w; ++x) {
        int32_t input_x, x0, x1;
        const int8_t *p00, *p10, *p01, *p11;
        int64_t dy, dx;
        interpolation_values(x, width_scale_10, params->half_pixel_centers, in.w, &input_x, &x0, &x1);
        dy = input_y - (1 << 10) * y0;
        dx = input_x - (1 << 10) * x0;
        p00 = image + ((size_t)y0 * in.w + x0) * in.c;
        p10 = image + ((size_t)y1 * in.w + x0) * in.c;
        p01 = image + ((size_t)y0 * in.w + x1) * in.c;
        p11 = image + ((size_t)y1 * in.w + x1) * in.c;
        for (c = 0; c < in.c; ++c) {
          const int64_t output_20 = (int64_t)p00[c] * ((1 << 10) - dy) * ((1 << 10) - dx) +
                                    (int64_t)p10[c] * dy * ((1 << 10) - dx) +
                                    (int64_t)p01[c] * ((1 << 10) - dy) * dx + (int64_t)p11[c] * dy * dx;
          *output++ = round_20(output_20);
        }
      }
    }
  }
}
