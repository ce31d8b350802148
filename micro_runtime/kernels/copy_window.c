/* Window copy for patch-based inference (MCUNetV2): `rows` rows of `row_bytes`
 * bytes from `src` (rows `src_stride` bytes apart) to `dst` (rows `dst_stride`
 * bytes apart). Loads a patch's input window out of a whole tensor, crops a
 * sub-window of a patch buffer, and stores a patch's output into its slice of
 * the split tensor. */
#include <string.h>

#include "mr_kernels.h"

void mr_copy_window(const void *src, int src_stride, void *dst, int dst_stride, int rows, int row_bytes) {
  MR_CHECK(dst, rows > 0 ? (int64_t)(rows - 1) * dst_stride + row_bytes : 0);
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  int y;
  for (y = 0; y < rows; ++y) {
    memmove(d, s, (size_t)row_bytes); /* a crop may move rows within one buffer */
    s += src_stride;
    d += dst_stride;
  }
}
