/* MIRROR_PAD (TFLM's mirror_pad.cc, REFLECT and SYMMETRIC): output element (i0..i4) is input element
 * (map[0][i0], ..., map[4][i4]); the generator computes each dimension's index map (GetInputIndex) once. */
#include "mr_kernels.h"

void mr_mirror_pad(const MR_CONST void *in, void *out, const MR_CONST mr_mirror_pad_params *p) {
  MR_CHECK(out, mr_checked_product(p->shape, 5) * p->elem_bytes);
  const MR_CONST uint8_t *src = (const MR_CONST uint8_t *)in;
  uint8_t *dst = (uint8_t *)out;
  const MR_CONST int32_t *const MR_CONST *m = &p->map[0];
  const MR_CONST int32_t *s = &p->in_stride[0];
  int32_t i0, i1, i2, i3, i4, b;
  for (i0 = 0; i0 < p->shape[0]; ++i0)
    for (i1 = 0; i1 < p->shape[1]; ++i1)
      for (i2 = 0; i2 < p->shape[2]; ++i2)
        for (i3 = 0; i3 < p->shape[3]; ++i3) {
          const MR_CONST uint8_t *row = src + m[0][i0] * s[0] + m[1][i1] * s[1] + m[2][i2] * s[2] + m[3][i3] * s[3];
          for (i4 = 0; i4 < p->shape[4]; ++i4) {
            const MR_CONST uint8_t *e = row + m[4][i4] * s[4];
            for (b = 0; b < p->elem_bytes; ++b) *dst++ = e[b];
          }
        }
}
