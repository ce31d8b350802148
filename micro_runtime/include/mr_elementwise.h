/* mr_elementwise.h - the 4-D broadcast loop of the two-input elementwise kernels (maximum_minimum.c, sub.c,
 * squared_difference.c, prelu.c): TFLM's b, y, x, c loops with SubscriptToIndex on strides that are 0 along
 * a broadcast dimension (mr_broadcast4, computed by the generator). Internal to the kernels. */
#ifndef MR_ELEMENTWISE_H_
#define MR_ELEMENTWISE_H_

#include "mr_common.h"

/* Runs STMT for every output element in order, with I1 / I2 the indexes into the two inputs and O the
 * output index. */
#define MR_BROADCAST4_FOR(B, I1, I2, O, STMT)                                                   \
  do {                                                                                          \
    int32_t d0_, d1_, d2_, d3_, O = 0;                                                          \
    for (d0_ = 0; d0_ < (B)->dims[0]; ++d0_) {                                                  \
      for (d1_ = 0; d1_ < (B)->dims[1]; ++d1_) {                                                \
        for (d2_ = 0; d2_ < (B)->dims[2]; ++d2_) {                                              \
          const int32_t base1_ = d0_ * (B)->stride1[0] + d1_ * (B)->stride1[1] + d2_ * (B)->stride1[2]; \
          const int32_t base2_ = d0_ * (B)->stride2[0] + d1_ * (B)->stride2[1] + d2_ * (B)->stride2[2]; \
          for (d3_ = 0; d3_ < (B)->dims[3]; ++d3_, ++O) {                                       \
            const int32_t I1 = base1_ + d3_ * (B)->stride1[3];                                   \
            const int32_t I2 = base2_ + d3_ * (B)->stride2[3];                                   \
            STMT;                                                                               \
          }                                                                                     \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  } while (0)

/* TFLM's scaled_input1_val - scaled_input2_val of SUB and SQUARED_DIFFERENCE: both inputs offset, shifted
 * left by left_shift, rescaled to their common scale (MultiplyByQuantizedMultiplierSmallerThanOneExp). */
static inline int32_t mr_scaled_difference(const MR_CONST mr_add_params *p, int32_t x, int32_t y) {
  const int32_t shifted_input1_val = mr_shift_left_wrap(p->input1_offset + x, p->left_shift);
  const int32_t shifted_input2_val = mr_shift_left_wrap(p->input2_offset + y, p->left_shift);
  return mr_requantize_smaller_than_one(shifted_input1_val, p->input1_multiplier, p->input1_shift) -
         mr_requantize_smaller_than_one(shifted_input2_val, p->input2_multiplier, p->input2_shift);
}

#endif /* MR_ELEMENTWISE_H_ */
