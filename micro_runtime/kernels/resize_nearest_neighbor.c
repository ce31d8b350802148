/* RESIZE_NEAREST_NEIGHBOR int8 (reference_ops::ResizeNearestNeighbor,
 * GetNearestNeighbor with float arithmetic exactly as TFLM). */
#include <math.h>

#include "mr_kernels.h"

static int32_t get_nearest_neighbor(int input_value, int32_t input_size, int32_t output_size,
                                    int align_corners, int half_pixel_centers) {
  const float scale = (align_corners && output_size > 1)
                          ? (float)(input_size - 1) / (float)(output_size - 1)
                          : (float)input_size / (float)output_size;
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  int32_t output_value = align_corners ? (int32_t)roundf(((float)input_value + offset) * scale)
                                       : (int32_t)floorf(((float)input_value + offset) * scale);
  if (output_value > input_size - 1) output_value = input_size - 1;
  if (half_pixel_centers && output_value < 0) output_value = 0;
  return output_value;
}

void mr_resize_nearest_neighbor_s8(const int8_t *in, int batches, int in_h, int in_w, int c,
                                   int8_t *out, int out_h, int out_w,
                                   int align_corners, int half_pixel_centers) {
  int b, y, x, ch;
  for (b = 0; b < batches; ++b) {
    for (y = 0; y < out_h; ++y) {
      const int32_t in_y = get_nearest_neighbor(y, in_h, out_h, align_corners, half_pixel_centers);
      for (x = 0; x < out_w; ++x) {
        const int32_t in_x = get_nearest_neighbor(x, in_w, out_w, align_corners, half_pixel_centers);
        const int8_t *src = in + (((size_t)b * in_h + in_y) * in_w + in_x) * c;
        for (ch = 0; ch < c; ++ch) *out++ = src[ch];
      }
    }
  }
}
