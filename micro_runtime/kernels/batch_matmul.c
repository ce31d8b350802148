/* BATCH_MATMUL int8 (TFLM batch_matmul.cc EvalInt8, reference_ops::BatchMatMul<int8_t, int32_t>):
 * out[b][i][j] = requantize(sum_k (lhs[b][i][k] + lhs_offset) * (rhs[b][k][j] + rhs_offset)) + output_offset,
 * over the three broadcast batch dimensions of TFLM's 5-D extended shapes. adj_x / adj_y (and a constant RHS
 * stored transposed) are element strides: no transposed copies. */
#include "mr_kernels.h"

static void matmul(const mr_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *out) {
  int32_t i, j, k;
  for (i = 0; i < p->rows; ++i) {
    const int8_t *lhs_row = lhs + (size_t)i * p->lhs_row_stride;
    for (j = 0; j < p->cols; ++j) {
      const int8_t *rhs_col = rhs + (size_t)j * p->rhs_col_stride;
      int32_t total = 0, scaled;
      for (k = 0; k < p->depth; ++k)
        total += ((int32_t)lhs_row[(size_t)k * p->lhs_depth_stride] + p->lhs_offset) *
                 ((int32_t)rhs_col[(size_t)k * p->rhs_depth_stride] + p->rhs_offset);
      scaled = mr_requantize(total, p->output_multiplier, p->output_shift) + p->output_offset;
      *out++ = (int8_t)mr_clamp_i32(scaled, MR_INT8_MIN, MR_INT8_MAX);
    }
  }
}

void mr_batch_matmul_s8(const mr_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *out) {
  const size_t matrix = (size_t)p->rows * p->cols;
  int32_t b0, b1, b2;
  for (b0 = 0; b0 < p->batch[0]; ++b0)
    for (b1 = 0; b1 < p->batch[1]; ++b1)
      for (b2 = 0; b2 < p->batch[2]; ++b2) {
        const size_t lhs_at = (size_t)b0 * p->lhs_batch_stride[0] + (size_t)b1 * p->lhs_batch_stride[1] +
                              (size_t)b2 * p->lhs_batch_stride[2];
        const size_t rhs_at = (size_t)b0 * p->rhs_batch_stride[0] + (size_t)b1 * p->rhs_batch_stride[1] +
                              (size_t)b2 * p->rhs_batch_stride[2];
        matmul(p, lhs + lhs_at, rhs + rhs_at, out);
        out += matrix;
      }
}
