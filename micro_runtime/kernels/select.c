/* SELECT_V2 int8 with broadcasting of the condition, x and y.
 * Mirrors reference_ops::Select / BroadcastSelect5DSlow (TFLM select.cc) on shapes extended to 4-D: the raw
 * byte of x where the condition is true, of y elsewhere (no requantization, as TFLM). */
#include "mr_kernels.h"

void mr_select_s8(const MR_CONST mr_select_params *p, const MR_CONST uint8_t *condition, const MR_CONST int8_t *x,
                  const MR_CONST int8_t *y, int8_t *out) {
  MR_CHECK(out, mr_checked_product(p->dims, 4));
  const MR_CONST int32_t *sc = &p->stride_condition[0], *sx = &p->stride_x[0], *sy = &p->stride_y[0];
  int32_t b, h, w, c;
  for (b = 0; b < p->dims[0]; ++b) {
    for (h = 0; h < p->dims[1]; ++h) {
      for (w = 0; w < p->dims[2]; ++w) {
        const MR_CONST uint8_t *cond_row = condition + b * sc[0] + h * sc[1] + w * sc[2];
        const MR_CONST int8_t *x_row = x + b * sx[0] + h * sx[1] + w * sx[2];
        const MR_CONST int8_t *y_row = y + b * sy[0] + h * sy[1] + w * sy[2];
        for (c = 0; c < p->dims[3]; ++c) {
          *out++ = cond_row[c * sc[3]] ? x_row[c * sx[3]] : y_row[c * sy[3]];
        }
      }
    }
  }
}
