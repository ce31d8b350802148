/* RESIZE_NEAREST_NEIGHBOR golden test (align_corners / half_pixel_centers)
 * against TF Lite Micro. */
#include "golden_check.h"
#include "micro_runtime/golden/resize_nearest_neighbor_golden.h"
#include "mr_kernels.h"

static int8_t out_buf[1 << 14];

int main(void) {
  int i;
  for (i = 0; i < RESIZE_NEAREST_NEIGHBOR_GOLDEN_COUNT; ++i) {
    const mr_resize_nearest_neighbor_golden_case *t = &resize_nearest_neighbor_golden_cases[i];
    const size_t n = (size_t)t->batches * t->out_h * t->out_w * t->c;
    const mr_resize_params params = {{t->batches, t->in_h, t->in_w, t->c},
                                     {t->batches, t->out_h, t->out_w, t->c},
                                     t->align_corners,
                                     t->half_pixel_centers};
    memset(out_buf, 0x55, n);
    mr_resize_nearest_neighbor_s8(&params, t->input, out_buf);
    mr_check_bytes("resize_nearest_neighbor", t->name, out_buf, t->expected, n);
  }
  return mr_summary("resize_nearest_neighbor_test");
}
