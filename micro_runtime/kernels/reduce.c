/* REDUCE_MAX, REDUCE_MIN, SUM (int8) and ARG_MAX, ARG_MIN (int8 in, int32 out): TFLM's reduce_common.cc
 * (ReduceGeneric; QuantizedMeanOrSum with compute_sum: integer requantization) and arg_min_max.cc
 * (strict comparison: the first extreme wins). The generator splits the input's dimensions into kept
 * ones (the output's, in order) and reduced ones, each as up to MR_REDUCE_DIMS extents and element
 * strides. */
#include "mr_kernels.h"

#define MR_REDUCE_FOR_EACH(body)                                                              \
  for (r0 = 0; r0 < p->reduced_shape[0]; ++r0)                                                \
    for (r1 = 0; r1 < p->reduced_shape[1]; ++r1)                                              \
      for (r2 = 0; r2 < p->reduced_shape[2]; ++r2) {                                          \
        const int32_t v = base[r0 * p->reduced_stride[0] + r1 * p->reduced_stride[1] +        \
                               r2 * p->reduced_stride[2]];                                    \
        body;                                                                                 \
        ++index;                                                                              \
      }

void mr_reduce_s8(const MR_CONST int8_t *in, void *out, const MR_CONST mr_reduce_params *p) {
  MR_CHECK(out, mr_checked_product(p->kept_shape, MR_REDUCE_DIMS) * (p->op >= MR_ARG_MAX ? 4 : 1));
  int8_t *out8 = (int8_t *)out;
  int32_t *out32 = (int32_t *)out;
  int32_t k0, k1, k2, r0, r1, r2;
  for (k0 = 0; k0 < p->kept_shape[0]; ++k0) {
    for (k1 = 0; k1 < p->kept_shape[1]; ++k1) {
      for (k2 = 0; k2 < p->kept_shape[2]; ++k2) {
        const MR_CONST int8_t *base = in + k0 * p->kept_stride[0] + k1 * p->kept_stride[1] + k2 * p->kept_stride[2];
        int32_t acc = 0, best = 0, index = 0;
        switch (p->op) {
          case MR_REDUCE_MAX:
            acc = -128;
            MR_REDUCE_FOR_EACH(if (v > acc) acc = v)
            *out8++ = (int8_t)acc;
            break;
          case MR_REDUCE_MIN:
            acc = 127;
            MR_REDUCE_FOR_EACH(if (v < acc) acc = v)
            *out8++ = (int8_t)acc;
            break;
          case MR_REDUCE_SUM: /* QuantizedMeanOrSum, compute_sum: (sum - zero point x count) requantized */
            MR_REDUCE_FOR_EACH(acc += v)
            *out8++ = mr_sat_s8(mr_requantize(acc - p->sum_offset, p->multiplier, p->shift) + p->output_zero_point);
            break;
          case MR_ARG_MAX:
            acc = -129;
            MR_REDUCE_FOR_EACH(if (v > acc) { acc = v; best = index; })
            *out32++ = best;
            break;
          default: /* MR_ARG_MIN */
            acc = 128;
            MR_REDUCE_FOR_EACH(if (v < acc) { acc = v; best = index; })
            *out32++ = best;
            break;
        }
      }
    }
  }
}
