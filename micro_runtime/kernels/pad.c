/* PAD / PADV2 int8, up to 4-D (reference/pad.h PadImpl). */
#include "mr_kernels.h"

void mr_pad_s8(const int8_t *in, const int32_t in_shape[4], const int32_t pad_before[4],
               const int32_t pad_after[4], int8_t *out, int8_t pad_value) {
  int32_t out_shape[4];
  int32_t b, y, x, c;
  int d;
  for (d = 0; d < 4; ++d) out_shape[d] = pad_before[d] + in_shape[d] + pad_after[d];
  for (b = 0; b < out_shape[0]; ++b) {
    const int b_in = b >= pad_before[0] && b < pad_before[0] + in_shape[0];
    for (y = 0; y < out_shape[1]; ++y) {
      const int y_in = b_in && y >= pad_before[1] && y < pad_before[1] + in_shape[1];
      for (x = 0; x < out_shape[2]; ++x) {
        const int x_in = y_in && x >= pad_before[2] && x < pad_before[2] + in_shape[2];
        for (c = 0; c < out_shape[3]; ++c) {
          if (x_in && c >= pad_before[3] && c < pad_before[3] + in_shape[3]) {
            *out++ = *in++; /* in-image elements come in input order */
          } else {
            *out++ = pad_value;
          }
        }
      }
    }
  }
}
