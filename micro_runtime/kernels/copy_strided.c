/* The data movement of the shape ops (STRIDED_SLICE, SLICE, PACK, UNPACK, SPLIT, SPLIT_V,
 * SPACE_TO_DEPTH, DEPTH_TO_SPACE, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND, ...): a block of up to
 * MR_COPY_DIMS dimensions read and written with constant byte strides. The generator computes the
 * strides and offsets of each op at generation time (micro_runtime/lowering/strided.py). */
#include "mr_kernels.h"

void mr_copy_strided(const MR_CONST void *in, void *out, const MR_CONST mr_copy_params *p) {
  const MR_CONST uint8_t *src0 = (const MR_CONST uint8_t *)in + p->in_offset;
  uint8_t *dst0 = (uint8_t *)out + p->out_offset;
  const MR_CONST int32_t *n = &p->shape[0], *is = &p->in_stride[0], *os = &p->out_stride[0];
  const int32_t elem = p->elem_bytes;
  const int contiguous = is[5] == elem && os[5] == elem;
  int32_t i0, i1, i2, i3, i4, i5;
#ifdef MR_CHECKED
  { /* the bytes written: from dst0 plus every negative reach to dst0 plus every positive one, one element on */
    int64_t low = 0, high = elem;
    int k;
    for (k = 0; k < MR_COPY_DIMS && high > low; ++k) {
      const int64_t reach = (int64_t)(n[k] - 1) * os[k];
      if (n[k] <= 0) {
        low = high = 0; /* an empty copy writes nothing */
      } else if (reach < 0) {
        low += reach;
      } else {
        high += reach;
      }
    }
    MR_CHECK(dst0 + low, high - low);
  }
#endif
  for (i0 = 0; i0 < n[0]; ++i0) {
    for (i1 = 0; i1 < n[1]; ++i1) {
      for (i2 = 0; i2 < n[2]; ++i2) {
        for (i3 = 0; i3 < n[3]; ++i3) {
          for (i4 = 0; i4 < n[4]; ++i4) {
            const MR_CONST uint8_t *src = src0 + i0 * is[0] + i1 * is[1] + i2 * is[2] + i3 * is[3] + i4 * is[4];
            uint8_t *dst = dst0 + i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3] + i4 * os[4];
            if (contiguous) {
              mr_copy_const(dst, src, (size_t)(n[5] * elem));
            } else if (elem == 1) {
              for (i5 = 0; i5 < n[5]; ++i5) dst[i5 * os[5]] = src[i5 * is[5]];
            } else {
              for (i5 = 0; i5 < n[5]; ++i5) mr_copy_const(dst + i5 * os[5], src + i5 * is[5], (size_t)elem);
            }
          }
        }
      }
    }
  }
}
