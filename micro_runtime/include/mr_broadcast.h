/* mr_broadcast.h - 4-D numpy-style broadcast strides for ADD / MUL
 * (TFLM NdArrayDescsForElementwiseBroadcast). Internal to the kernels. */
#ifndef MR_BROADCAST_H_
#define MR_BROADCAST_H_

#include <stdint.h>

#include "mr_types.h"

/* output_shape[d] = max of the two extents of axis d (N, H, W, C); the stride of an extent 1 is 0. */
static inline void mr_broadcast_strides(const MR_CONST mr_dims *shape1, const MR_CONST mr_dims *shape2,
                                        int32_t output_shape[4], int32_t strides1[4], int32_t strides2[4]) {
  const int32_t extents1[4] = {shape1->n, shape1->h, shape1->w, shape1->c};
  const int32_t extents2[4] = {shape2->n, shape2->h, shape2->w, shape2->c};
  int32_t s1 = 1, s2 = 1;
  int d;
  for (d = 3; d >= 0; --d) {
    output_shape[d] = extents1[d] > extents2[d] ? extents1[d] : extents2[d];
    strides1[d] = extents1[d] == 1 ? 0 : s1;
    strides2[d] = extents2[d] == 1 ? 0 : s2;
    s1 *= extents1[d];
    s2 *= extents2[d];
  }
}

/* An elementwise function of two int8 values and the op's parameters (ADD's add_func, MUL's mul_func). */
typedef int8_t (*mr_binary_s8_fn)(int8_t x, int8_t y, const MR_CONST void *params);

/* TFLM's BroadcastBinaryFunction6DSlow on 4-D shapes: output[b][y][x][c] = f of the two inputs' values at
 * that index, an axis of extent 1 repeated. */
static inline void mr_broadcast_binary_s8(mr_binary_s8_fn f, const MR_CONST void *params,
                                          const MR_CONST int8_t *input1, const MR_CONST mr_dims *input1_shape,
                                          const MR_CONST int8_t *input2,
                                          const MR_CONST mr_dims *input2_shape, int8_t *output) {
  int32_t output_shape[4], s1[4], s2[4];
  int32_t b, y, x, c;
  mr_broadcast_strides(input1_shape, input2_shape, output_shape, s1, s2);
  for (b = 0; b < output_shape[0]; ++b) {
    for (y = 0; y < output_shape[1]; ++y) {
      for (x = 0; x < output_shape[2]; ++x) {
        for (c = 0; c < output_shape[3]; ++c) {
          const int8_t v1 = input1[b * s1[0] + y * s1[1] + x * s1[2] + c * s1[3]];
          const int8_t v2 = input2[b * s2[0] + y * s2[1] + x * s2[2] + c * s2[3]];
          *output++ = f(v1, v2, params);
        }
      }
    }
  }
}

static inline int mr_same_shape(const MR_CONST mr_dims *shape1, const MR_CONST mr_dims *shape2) {
  return shape1->n == shape2->n && shape1->h == shape2->h && shape1->w == shape2->w && shape1->c == shape2->c;
}

static inline int32_t mr_flat_size(const MR_CONST mr_dims *shape) { return shape->n * shape->h * shape->w * shape->c; }

#endif /* MR_BROADCAST_H_ */
