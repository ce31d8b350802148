/* TRANSPOSE int8, 1 to 4 dims (reference_ops::Transpose): output dim k has
 * extent in_shape[perm[k]]; shapes are extended to 4-D with leading 1s. */
#include "mr_kernels.h"

void mr_transpose_s8(const int8_t *in, int num_dims, const int32_t *in_shape, const int32_t *perm,
                     int8_t *out) {
  MR_CHECK(out, mr_checked_product(in_shape, num_dims));
  int32_t shape4[4], perm4[4], in_strides[4], out_shape[4], out_stride_in[4];
  int32_t i0, i1, i2, i3;
  int k;
  const int extra = 4 - num_dims;
  for (k = 0; k < 4; ++k) {
    shape4[k] = k < extra ? 1 : in_shape[k - extra];
    perm4[k] = k < extra ? k : perm[k - extra] + extra;
  }
  in_strides[3] = 1;
  for (k = 2; k >= 0; --k) in_strides[k] = in_strides[k + 1] * shape4[k + 1];
  for (k = 0; k < 4; ++k) {
    out_shape[k] = shape4[perm4[k]];
    out_stride_in[k] = in_strides[perm4[k]];
  }
  for (i0 = 0; i0 < out_shape[0]; ++i0) {
    for (i1 = 0; i1 < out_shape[1]; ++i1) {
      for (i2 = 0; i2 < out_shape[2]; ++i2) {
        const int8_t *src =
            in + i0 * out_stride_in[0] + i1 * out_stride_in[1] + i2 * out_stride_in[2];
        for (i3 = 0; i3 < out_shape[3]; ++i3) *out++ = src[i3 * out_stride_in[3]];
      }
    }
  }
}
