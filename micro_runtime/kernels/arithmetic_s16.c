/* ADD, SUB and MUL 16x8 (int16 in and out, zero points 0 but kept as TFLM's offsets), with broadcasting.
 * ADD / SUB mirror reference_ops::Add / Sub for int16 (AddGeneralParamScale, BroadcastAdd6DSlow,
 * BroadcastQuantSubSlow): both inputs offset, shifted left by left_shift (15), rescaled to a common scale,
 * summed or subtracted, rescaled to the output. MUL mirrors reference_integer_ops::Mul / BroadcastMul6DSlow:
 * output_offset + MultiplyByQuantizedMultiplier of the product. All clamp to the activation range. */
#include "mr_elementwise.h"
#include "mr_kernels.h"

static inline int32_t scaled_input(const MR_CONST mr_add_params *q, int32_t x, int32_t offset, int32_t multiplier,
                                   int32_t shift) {
  return mr_requantize_smaller_than_one(mr_shift_left_wrap(offset + x, q->left_shift), multiplier, shift);
}

static inline int16_t add_output(const MR_CONST mr_add_params *q, int32_t raw) {
  const int32_t raw_output = mr_requantize_smaller_than_one(raw, q->output_multiplier, q->output_shift) +
                             q->output_offset;
  return (int16_t)mr_clamp_i32(raw_output, q->activation.min, q->activation.max);
}

void mr_add_s16(const MR_CONST mr_arithmetic_params *p, const int16_t *in1, const int16_t *in2, int16_t *out) {
  const MR_CONST mr_add_params *q = &p->q;
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o, {
    out[o] = add_output(q, scaled_input(q, in1[i1], q->input1_offset, q->input1_multiplier, q->input1_shift) +
                               scaled_input(q, in2[i2], q->input2_offset, q->input2_multiplier, q->input2_shift));
  });
}

void mr_sub_s16(const MR_CONST mr_arithmetic_params *p, const int16_t *in1, const int16_t *in2, int16_t *out) {
  const MR_CONST mr_add_params *q = &p->q;
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o, { out[o] = add_output(q, mr_scaled_difference(q, in1[i1], in2[i2])); });
}

void mr_mul_s16(const MR_CONST mr_mul_broadcast_params *p, const int16_t *in1, const int16_t *in2, int16_t *out) {
  const MR_CONST mr_mul_params *q = &p->q;
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o, {
    const int32_t product = (q->input1_offset + in1[i1]) * (q->input2_offset + in2[i2]);
    const int32_t unclamped = q->output_offset + mr_requantize(product, q->output_multiplier, q->output_shift);
    out[o] = (int16_t)mr_clamp_i32(unclamped, q->activation.min, q->activation.max);
  });
}
