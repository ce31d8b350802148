/* BATCH_MATMUL int8 (TFLM batch_matmul.cc EvalInt8, reference_ops::BatchMatMul<int8_t, int32_t>):
 * out[b][i][j] = requantize(sum_k (lhs[b][i][k] + lhs_offset) * (rhs[b][k][j] + rhs_offset)) + output_offset,
 * over the three broadcast batch dimensions of TFLM's 5-D extended shapes. Like TFLM, the kernel multiplies LHS
 * rows by RHS columns that each run contiguously along the depth: an operand that does not (LHS with adj_x, an
 * activation RHS without adj_y; a constant RHS is stored transposed) is copied so into `scratch` first, matrix by
 * matrix. The sums are FULLY_CONNECTED's dot products (mr_fc_dot2, the Arm DSP path on Cortex-M4 and up):
 * sum (l + lo) * r, plus rhs_offset * sum (l + lo) once per row. */
#include "mr_fast_internal.h"

static int8_t output_value(const MR_CONST mr_batch_matmul_params *p, const mr_requant *r, int32_t total) {
  return (int8_t)mr_clamp_i32(mr_requant_apply(total, r) + p->output_offset, MR_INT8_MIN, MR_INT8_MAX);
}

static void matmul_contiguous(const MR_CONST mr_batch_matmul_params *p, const MR_CONST int8_t *lhs,
                              const MR_CONST int8_t *rhs, int8_t *out) {
  const mr_requant r = mr_requant_prepare(p->output_multiplier, p->output_shift);
  const int32_t depth = p->depth;
  int32_t i, j, k;
  for (i = 0; i < p->rows; ++i, out += p->cols) {
    const MR_CONST int8_t *lhs_row = lhs + (size_t)i * depth;
    int32_t row_sum = 0;
    for (k = 0; k < depth; ++k) row_sum += lhs_row[k] + p->lhs_offset;
    for (j = 0; j < p->cols; j += 2) {
      const MR_CONST int8_t *col = rhs + (size_t)j * depth;
      const int second = j + 1 < p->cols;
      int32_t acc[2];
      acc[0] = acc[1] = p->rhs_offset * row_sum;
      mr_fc_dot2(lhs_row, depth, col, second ? col + depth : col, p->lhs_offset, acc);
      out[j] = output_value(p, &r, acc[0]);
      if (second) out[j + 1] = output_value(p, &r, acc[1]);
    }
  }
}

/* Whether n vectors of `depth` values (vector i, value k at i * n_stride + k * depth_stride) lie one after the
 * other. */
static int is_contiguous(int32_t n, int32_t depth, int32_t n_stride, int32_t depth_stride) {
  return (depth_stride == 1 || depth == 1) && (n_stride == depth || n == 1);
}

/* Those vectors at src, contiguous: src itself where they are, else their copy at dst. */
static const MR_CONST int8_t *contiguous(const MR_CONST int8_t *src, int32_t n, int32_t depth, int32_t n_stride,
                                         int32_t depth_stride, int8_t *dst) {
  int32_t i, k;
  if (is_contiguous(n, depth, n_stride, depth_stride)) return src;
  for (i = 0; i < n; ++i)
    for (k = 0; k < depth; ++k) dst[(size_t)i * depth + k] = src[(size_t)i * n_stride + (size_t)k * depth_stride];
  return dst;
}

void mr_batch_matmul_s8(const MR_CONST mr_batch_matmul_params *p, const MR_CONST int8_t *lhs,
                        const MR_CONST int8_t *rhs, int8_t *out, int8_t *scratch) {
  const size_t matrix = (size_t)p->rows * p->cols, matrix_lhs = (size_t)p->rows * p->depth;
  int32_t b0, b1, b2;
  for (b0 = 0; b0 < p->batch[0]; ++b0)
    for (b1 = 0; b1 < p->batch[1]; ++b1)
      for (b2 = 0; b2 < p->batch[2]; ++b2) {
        const size_t lhs_at = (size_t)b0 * p->lhs_batch_stride[0] + (size_t)b1 * p->lhs_batch_stride[1] +
                              (size_t)b2 * p->lhs_batch_stride[2];
        const size_t rhs_at = (size_t)b0 * p->rhs_batch_stride[0] + (size_t)b1 * p->rhs_batch_stride[1] +
                              (size_t)b2 * p->rhs_batch_stride[2];
        const MR_CONST int8_t *l = contiguous(lhs + lhs_at, p->rows, p->depth, p->lhs_row_stride,
                                              p->lhs_depth_stride, scratch);
        const MR_CONST int8_t *r =
            contiguous(rhs + rhs_at, p->cols, p->depth, p->rhs_col_stride, p->rhs_depth_stride,
                       l == (const MR_CONST int8_t *)scratch ? scratch + matrix_lhs : scratch);
        matmul_contiguous(p, l, r, out);
        out += matrix;
      }
}

int32_t mr_batch_matmul_s8_scratch_bytes(const MR_CONST mr_batch_matmul_params *p) {
  const int lhs_copy = !is_contiguous(p->rows, p->depth, p->lhs_row_stride, p->lhs_depth_stride);
  const int rhs_copy = !is_contiguous(p->cols, p->depth, p->rhs_col_stride, p->rhs_depth_stride);
  return (lhs_copy ? p->rows * p->depth : 0) + (rhs_copy ? p->depth * p->cols : 0);
}
