/* EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL of two int8 tensors with broadcasting, bool (one
 * byte, 0 or 1) out. Mirrors TFLM comparisons.cc (reference_ops::ComparisonWithScaling /
 * BroadcastComparison4DSlowWithScaling): each input offset, shifted left by 8 and rescaled by its own scale
 * (MultiplyByQuantizedMultiplierSmallerThanOneExp), then compared. a OP b is tested as (a - b) OP 0 (the
 * difference of two values below 2^16 in magnitude cannot overflow). */
#include "mr_elementwise.h"
#include "mr_kernels.h"

#define MR_COMPARE(OP) \
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o, out[o] = (uint8_t)(mr_scaled_difference(&p->q, in1[i1], in2[i2]) OP 0))

void mr_compare_s8(const MR_CONST mr_arithmetic_params *p, int32_t comparison, const MR_CONST int8_t *in1,
                   const MR_CONST int8_t *in2, uint8_t *out) {
  MR_CHECK(out, mr_checked_product(p->shape.dims, 4));
  switch (comparison) {
    case MR_EQUAL: MR_COMPARE(==); break;
    case MR_NOT_EQUAL: MR_COMPARE(!=); break;
    case MR_GREATER: MR_COMPARE(>); break;
    case MR_GREATER_EQUAL: MR_COMPARE(>=); break;
    case MR_LESS: MR_COMPARE(<); break;
    default: MR_COMPARE(<=); break; /* MR_LESS_EQUAL */
  }
}
