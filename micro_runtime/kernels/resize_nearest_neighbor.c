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

void mr_resize_nearest_neighbor_s8(const MR_CONST mr_resize_params *params, const int8_t *input, int8_t *output) {
  MR_CHECK(output, mr_checked_elements(&params->output));
  const mr_dims in = params->input, out = params->output;
  const int align_corners = params->align_corners, half_pixel_centers = params->half_pixel_centers;
  int b, y, x, ch;
  for (b = 0; b < in.n; ++b) {
    for (y = 0; y < out.h; ++y) {
      const int32_t in_y = get_nearest_neighbor(y, in.h, out.h, align_corners, half_pixel_centers);
      for (x = 0; x < out.w; ++x) {
        const int32_t in_x = get_nearest_neighbor(x, in.w, out.w, align_corners, half_pixel_centers);
        const int8_t *src = input + (((size_t)b * in.h + in_y) * in.w + in_x) * in.c;
        for (ch = 0; ch < in.c; ++ch) *output++ = src[ch];
      }
    }
  }
}
