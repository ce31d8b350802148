/* DIV int8 with broadcasting.
 * Mirrors reference_ops::DivElementwise / BroadcastDivSlowQuantized (TFLM div.cc): both inputs offset, the
 * signs moved to the dividend, the dividend shifted to full headroom times the divisor's reciprocal
 * (GetReciprocal), rescaled to the output with the two shifts folded into one, offset and clamped. */
#include "mr_elementwise.h"
#include "mr_fixedpoint.h"
#include "mr_kernels.h"

/* gemmlowp RoundingDivideByPOT as the wheel computes it: the exponent leaves [0, 31] when the dividend is 0 or -1
 * (31 bits of headroom: 32 and more) and when the rescale needs a left shift above 22 (negative), where x86 shifts
 * the mask (1ll << exponent) - 1 by the exponent modulo 64 (its low 32 bits kept) and an int32 by it modulo 32. */
static int32_t div_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(uint32_t)(((uint64_t)1 << (exponent & 63)) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + ((x < 0) ? 1 : 0);
  return (x >> (exponent & 31)) + ((remainder > threshold) ? 1 : 0);
}

static int8_t div_element(const MR_CONST mr_add_params *q, int32_t input1_val, int32_t input2_val) {
  int recip_shift, headroom, total_shift;
  int32_t input2_inv, unscaled_quotient, unclamped_result;
  if (input2_val < 0) { /* the reciprocal is a positive multiplier */
    input1_val = -input1_val;
    input2_val = -input2_val;
  }
  input2_inv = mr_fp_get_reciprocal(input2_val, 31, &recip_shift);
  headroom = mr_count_leading_sign_bits(input1_val);
  unscaled_quotient = mr_requantize_greater_than_one(input1_val, input2_inv, headroom);
  total_shift = q->output_shift - recip_shift - headroom; /* > 0 past a left shift of 22 */
  unclamped_result = q->output_offset + div_rounding_divide_by_pot(
      mr_saturating_rounding_doubling_high_mul(unscaled_quotient, q->output_multiplier), -total_shift);
  return (int8_t)mr_clamp_i32(unclamped_result, q->activation.min, q->activation.max);
}

void mr_div_s8(const MR_CONST mr_arithmetic_params *p, const MR_CONST int8_t *in1, const MR_CONST int8_t *in2,
               int8_t *out) {
  const MR_CONST mr_add_params *q = &p->q;
  MR_BROADCAST4_FOR(&p->shape, i1, i2, o,
                    out[o] = div_element(q, q->input1_offset + in1[i1], q->input2_offset + in2[i2]));
}
