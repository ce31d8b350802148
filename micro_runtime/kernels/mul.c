/* MUL int8 with broadcasting.
 * Mirrors reference/integer_ops/mul.h (MulElementwise / BroadcastMul6DSlow):
 * output_offset + MultiplyByQuantizedMultiplier((x + input1_offset) *
 * (y + input2_offset)), clamped. */
#include "mr_broadcast.h"
#include "mr_kernels.h"

static int8_t mul_func(int8_t x, int8_t y, int32_t input1_offset, int32_t input2_offset,
                       int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                       int32_t act_min, int32_t act_max) {
  const int32_t input1_val = input1_offset + x;
  const int32_t input2_val = input2_offset + y;
  const int32_t unclamped_result =
      output_offset + mr_requantize(input1_val * input2_val, output_multiplier, output_shift);
  return (int8_t)mr_clamp_i32(unclamped_result, act_min, act_max);
}

void mr_mul_s8(const int8_t *in1, const int32_t shape1[4], const int8_t *in2, const int32_t shape2[4],
               int8_t *out,
               int32_t input1_offset, int32_t input2_offset,
               int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
               int32_t act_min, int32_t act_max) {
  if (mr_same_shape4(shape1, shape2)) {
    const int32_t n = shape1[0] * shape1[1] * shape1[2] * shape1[3];
    int32_t i;
    for (i = 0; i < n; ++i) {
      out[i] = mul_func(in1[i], in2[i], input1_offset, input2_offset, output_offset,
                        output_multiplier, output_shift, act_min, act_max);
    }
  } else {
    int32_t out_shape[4], s1[4], s2[4];
    int32_t b, y, x, c;
    mr_broadcast_strides(shape1, shape2, out_shape, s1, s2);
    for (b = 0; b < out_shape[0]; ++b) {
      for (y = 0; y < out_shape[1]; ++y) {
        for (x = 0; x < out_shape[2]; ++x) {
          for (c = 0; c < out_shape[3]; ++c) {
            const int8_t v1 = in1[b * s1[0] + y * s1[1] + x * s1[2] + c * s1[3]];
            const int8_t v2 = in2[b * s2[0] + y * s2[1] + x * s2[2] + c * s2[3]];
            *out++ = mul_func(v1, v2, input1_offset, input2_offset, output_offset,
                              output_multiplier, output_shift, act_min, act_max);
          }
        }
      }
    }
  }
}
