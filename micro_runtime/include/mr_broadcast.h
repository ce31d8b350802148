/* mr_broadcast.h - 4-D numpy-style broadcast strides for ADD / MUL
 * (TFLM NdArrayDescsForElementwiseBroadcast). Internal to the kernels. */
#ifndef MR_BROADCAST_H_
#define MR_BROADCAST_H_

#include <stdint.h>

/* out_shape[d] = max(shape1[d], shape2[d]); stride of a dim of size 1 is 0. */
static inline void mr_broadcast_strides(const int32_t shape1[4], const int32_t shape2[4],
                                        int32_t out_shape[4], int32_t strides1[4],
                                        int32_t strides2[4]) {
  int32_t s1 = 1, s2 = 1;
  int d;
  for (d = 3; d >= 0; --d) {
    out_shape[d] = shape1[d] > shape2[d] ? shape1[d] : shape2[d];
    strides1[d] = shape1[d] == 1 ? 0 : s1;
    strides2[d] = shape2[d] == 1 ? 0 : s2;
    s1 *= shape1[d];
    s2 *= shape2[d];
  }
}

static inline int mr_same_shape4(const int32_t shape1[4], const int32_t shape2[4]) {
  return shape1[0] == shape2[0] && shape1[1] == shape2[1] && shape1[2] == shape2[2] &&
         shape1[3] == shape2[3];
}

#endif /* MR_BROADCAST_H_ */
