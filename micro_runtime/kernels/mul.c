/* MUL int8 with broadcasting.
 * Mirrors reference/integer_ops/mul.h (MulElementwise / BroadcastMul6DSlow):
 * output_offset + MultiplyByQuantizedMultiplier((x + input1_offset) *
 * (y + input2_offset)), clamped. */
#include "mr_broadcast.h"
#include "mr_kernels.h"

static int8_t mul_func(int8_t x, int8_t y, const MR_CONST void *params) {
  const MR_CONST mr_mul_params *p = (const MR_CONST mr_mul_params *)params;
  const int32_t input1_val = p->input1_offset + x;
  const int32_t input2_val = p->input2_offset + y;
  const int32_t unclamped_result =
      p->output_offset + mr_requantize(input1_val * input2_val, p->output_multiplier, p->output_shift);
  return (int8_t)mr_clamp_i32(unclamped_result, p->activation.min, p->activation.max);
}

void mr_mul_s8(const MR_CONST mr_mul_params *params, const MR_CONST int8_t *input1,
               const MR_CONST mr_dims *input1_shape, const MR_CONST int8_t *input2,
               const MR_CONST mr_dims *input2_shape, int8_t *output) {
  MR_CHECK(output, mr_checked_broadcast(input1_shape, input2_shape));
  if (mr_same_shape(input1_shape, input2_shape)) {
    const int32_t size = mr_flat_size(input1_shape);
    int32_t i;
    for (i = 0; i < size; ++i) output[i] = mul_func(input1[i], input2[i], params);
  } else {
    mr_broadcast_binary_s8(mul_func, params, input1, input1_shape, input2, input2_shape, output);
  }
}
