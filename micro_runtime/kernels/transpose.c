/* TRANSPOSE int8, 1 to 5 dims (reference_ops::Transpose, TFLM takes up to 5): output dim k has
 * extent in_shape[perm[k]]; shapes are extended to 5-D with leading 1s. */
#include "mr_kernels.h"

enum { kMaxDims = 5 };

void mr_transpose_s8(const int8_t *in, int num_dims, const MR_CONST int32_t *in_shape,
                     const MR_CONST int32_t *perm, int8_t *out) {
  int32_t shape5[kMaxDims], perm5[kMaxDims], in_strides[kMaxDims], out_shape[kMaxDims], out_stride_in[kMaxDims];
  int32_t i0, i1, i2, i3, i4;
  int k;
  MR_CHECK(out, mr_checked_product(in_shape, num_dims));
  const int extra = kMaxDims - num_dims;
  for (k = 0; k < kMaxDims; ++k) {
    shape5[k] = k < extra ? 1 : in_shape[k - extra];
    perm5[k] = k < extra ? k : perm[k - extra] + extra;
  }
  in_strides[kMaxDims - 1] = 1;
  for (k = kMaxDims - 2; k >= 0; --k) in_strides[k] = in_strides[k + 1] * shape5[k + 1];
  for (k = 0; k < kMaxDims; ++k) {
    out_shape[k] = shape5[perm5[k]];
    out_stride_in[k] = in_strides[perm5[k]];
  }
  for (i0 = 0; i0 < out_shape[0]; ++i0) {
    for (i1 = 0; i1 < out_shape[1]; ++i1) {
      for (i2 = 0; i2 < out_shape[2]; ++i2) {
        for (i3 = 0; i3 < out_shape[3]; ++i3) {
          const int8_t *src =
              in + i0 * out_stride_in[0] + i1 * out_stride_in[1] + i2 * out_stride_in[2] + i3 * out_stride_in[3];
          for (i4 = 0; i4 < out_shape[4]; ++i4) *out++ = src[i4 * out_stride_in[4]];
        }
      }
    }
  }
}
