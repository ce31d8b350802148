/* mr_copy_window: load, crop and store windows of an NHWC tensor, checked
 * against the element-by-element definition. */
#include "golden_check.h"
#include "mr_kernels.h"

enum { H = 7, W = 9, C = 3 };
static int8_t full[H * W * C];
static int8_t window[H * W * C];
static int8_t want[H * W * C];

int main(void) {
  int i, y, x, c, r0, c0, rows, cols;
  char name[64];
  for (i = 0; i < H * W * C; ++i) full[i] = (int8_t)(i * 37 + 11);
  for (r0 = 0; r0 < H; r0 += 2) {
    for (c0 = 0; c0 < W; c0 += 3) {
      rows = H - r0 < 4 ? H - r0 : 4;
      cols = W - c0 < 5 ? W - c0 : 5;
      /* load: window [r0, r0+rows) x [c0, c0+cols) into a compact buffer */
      for (y = 0; y < rows; ++y)
        for (x = 0; x < cols; ++x)
          for (c = 0; c < C; ++c) want[(y * cols + x) * C + c] = full[((r0 + y) * W + c0 + x) * C + c];
      mr_copy_window(full + (r0 * W + c0) * C, W * C, window, cols * C, rows, cols * C);
      sprintf(name, "load r0=%d c0=%d", r0, c0);
      mr_check_bytes("copy_window", name, window, want, (size_t)(rows * cols * C));
      /* store: the compact buffer back into a zeroed tensor at the same place */
      memset(want, 0, sizeof want);
      for (y = 0; y < rows; ++y)
        for (x = 0; x < cols; ++x)
          for (c = 0; c < C; ++c) want[((r0 + y) * W + c0 + x) * C + c] = full[((r0 + y) * W + c0 + x) * C + c];
      {
        static int8_t out[H * W * C];
        memset(out, 0, sizeof out);
        mr_copy_window(window, cols * C, out + (r0 * W + c0) * C, W * C, rows, cols * C);
        sprintf(name, "store r0=%d c0=%d", r0, c0);
        mr_check_bytes("copy_window", name, out, want, sizeof out);
      }
    }
  }
  /* crop in place: the bottom-right 2x2 window moved to the front of the same buffer */
  memcpy(window, full, sizeof full);
  for (y = 0; y < 2; ++y)
    for (x = 0; x < 2; ++x)
      for (c = 0; c < C; ++c) want[(y * 2 + x) * C + c] = full[((H - 2 + y) * W + W - 2 + x) * C + c];
  mr_copy_window(window + ((H - 2) * W + W - 2) * C, W * C, window, 2 * C, 2, 2 * C);
  mr_check_bytes("copy_window", "crop in place", window, want, 2 * 2 * C);
  return mr_summary("copy_window_test");
}
