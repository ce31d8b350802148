/* mr_fixedpoint.h - the few gemmlowp fixed-point functions TFLM's int8
 * SOFTMAX and LOGISTIC use, on raw int32 values (scalar gemmlowp semantics).
 *
 * A value "Qm" has m integer bits and 31-m fractional bits
 * (gemmlowp::FixedPoint<int32_t, m>). Multiplication of Qa by Qb gives
 * Q(a+b) via SaturatingRoundingDoublingHighMul. Additions wrap like
 * gemmlowp's scalar Add (done in unsigned to avoid C undefined behaviour).
 * Internal to the kernels; not part of the public API.
 */
#ifndef MR_FIXEDPOINT_H_
#define MR_FIXEDPOINT_H_

#include <stdint.h>

#include "mr_common.h"

static inline int32_t mr_fp_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t mr_fp_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t mr_fp_mul(int32_t a, int32_t b) { return mr_saturating_rounding_doubling_high_mul(a, b); }

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent>: saturating left shift
 * for exponent > 0, rounding right shift for exponent < 0. */
static inline int32_t mr_fp_saturating_rounding_mul_by_pot(int32_t x, int exponent) {
  if (exponent > 0) {
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return mr_shift_left_wrap(x, exponent);
  }
  if (exponent < 0) return mr_rounding_divide_by_pot(x, -exponent);
  return x;
}

/* gemmlowp Rescale<dst_integer_bits>(FixedPoint<int32, src_integer_bits>). */
static inline int32_t mr_fp_rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
  return mr_fp_saturating_rounding_mul_by_pot(x, src_integer_bits - dst_integer_bits);
}

/* gemmlowp RoundingHalfSum for int32. */
static inline int32_t mr_fp_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return (int32_t)((sum + sign) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0 in, Q0 out. */
static inline int32_t mr_fp_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;     /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883;  /* 1/3 */
  const int32_t x = mr_fp_add(a, (int32_t)1 << 28);      /* a + 1/8 */
  const int32_t x2 = mr_fp_mul(x, x);
  const int32_t x3 = mr_fp_mul(x2, x);
  const int32_t x4 = mr_fp_mul(x2, x2);
  const int32_t x4_over_4 = mr_fp_saturating_rounding_mul_by_pot(x4, -2);
  const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 = mr_fp_saturating_rounding_mul_by_pot(
      mr_fp_add(mr_fp_mul(mr_fp_add(x4_over_4, x3), constant_1_over_3), x2), -1);
  return mr_fp_add(constant_term,
                   mr_fp_mul(constant_term, mr_fp_add(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

/* exp(a) for a <= 0; a in Q(integer_bits), result Q0. */
static inline int32_t mr_fp_exp_on_negative_values(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = mr_fp_sub(a & mask, one_quarter);
  int32_t result = mr_fp_exp_on_interval_between_negative_one_quarter_and_0_excl(
      mr_fp_rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  const int32_t remainder = mr_fp_sub(a_mod_quarter_minus_one_quarter, a);
  static const MR_CONST int32_t multipliers[7] = {
      1672461947, /* exp(-1/4) */
      1302514674, /* exp(-1/2) */
      790015084,  /* exp(-1)   */
      290630308,  /* exp(-2)   */
      39332535,   /* exp(-4)   */
      720401,     /* exp(-8)   */
      242,        /* exp(-16)  */
  };
  int exponent;
  for (exponent = -2; exponent <= 4; ++exponent) {
    if (integer_bits > exponent) {
      const int shift_amount = fractional_bits + exponent;
      if (remainder & (int32_t)((uint32_t)1 << shift_amount)) {
        result = mr_fp_mul(result, multipliers[exponent + 2]);
      }
    }
  }
  if (integer_bits > 5) {
    const int32_t clamp = -(int32_t)((uint32_t)1 << (36 - integer_bits)); /* -32.0 */
    if (a < clamp) result = 0;
  }
  if (a == 0) result = INT32_MAX; /* One() in Q0 */
  return result;
}

/* The Newton-Raphson division of gemmlowp's one_over_one_plus_x_for_x_in_0_1 and
 * one_minus_x_over_one_plus_x_for_x_in_0_1: about 1 / (1 + a) in Q2 for a in [0, 1) in Q0 (3 steps). */
static inline int32_t mr_fp_newton_one_over_one_plus_x(int32_t a) {
  const int32_t half_denominator = mr_fp_rounding_half_sum(a, INT32_MAX);
  const int32_t constant_48_over_17 = 1515870810;       /* Q2 */
  const int32_t constant_neg_32_over_17 = -1010580540;  /* Q2 */
  const int32_t f2_one = (int32_t)1 << 29;
  int32_t x = mr_fp_add(constant_48_over_17, mr_fp_mul(half_denominator, constant_neg_32_over_17));
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = mr_fp_mul(half_denominator, x);           /* Q2 */
    const int32_t one_minus_half_denominator_times_x = mr_fp_sub(f2_one, half_denominator_times_x);
    x = mr_fp_add(x, mr_fp_rescale(mr_fp_mul(x, one_minus_half_denominator_times_x), 4, 2));
  }
  return x;
}

/* 1 / (1 + a) for a in [0, 1); Q0 in, Q0 out: Rescale<0>(ExactMulByPot<-1>(x)), x reinterpreted as Q1. */
static inline int32_t mr_fp_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  return mr_fp_rescale(mr_fp_newton_one_over_one_plus_x(a), 1, 0);
}

/* (1 - a) / (1 + a) for a in [0, 1); Q0 in, Q0 out: Rescale<0>(x - F2::One()). */
static inline int32_t mr_fp_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a) {
  return mr_fp_rescale(mr_fp_sub(mr_fp_newton_one_over_one_plus_x(a), (int32_t)1 << 29), 2, 0);
}

/* logistic(a) = 1 / (1 + exp(-a)); a in Q(integer_bits), result Q0. */
static inline int32_t mr_fp_logistic(int32_t a, int integer_bits) {
  int32_t abs_input, result_if_positive, result_if_negative;
  if (a == 0) return (int32_t)1 << 30; /* 0.5 */
  abs_input = a > 0 ? a : mr_fp_sub(0, a);
  result_if_positive = mr_fp_one_over_one_plus_x_for_x_in_0_1(
      mr_fp_exp_on_negative_values(mr_fp_sub(0, abs_input), integer_bits));
  result_if_negative = mr_fp_sub(INT32_MAX, result_if_positive);
  return a > 0 ? result_if_positive : result_if_negative;
}

/* gemmlowp tanh(a) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)) with a's sign; a in Q(integer_bits), result Q0.
 * ExactMulByPot<1>(-|a|) keeps the raw value and counts one more integer bit. */
static inline int32_t mr_fp_tanh(int32_t a, int integer_bits) {
  int32_t abs_input, result_if_positive;
  if (a == 0) return 0;
  abs_input = a > 0 ? a : mr_fp_sub(0, a);
  result_if_positive = mr_fp_one_minus_x_over_one_plus_x_for_x_in_0_1(
      mr_fp_exp_on_negative_values(mr_fp_sub(0, abs_input), integer_bits + 1));
  return a > 0 ? result_if_positive : mr_fp_sub(0, result_if_positive);
}

/* ---- leading bits and GetReciprocal (SOFTMAX, DIV, L2_NORMALIZATION, LOG_SOFTMAX) */

/* Leading zero bits of x (32 for 0). */
static inline int mr_count_leading_zeros(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

/* TFLM CountLeadingSignBits: the bits after the sign bit equal to it (31 for 0 and -1). */
static inline int mr_count_leading_sign_bits(int32_t x) {
  return mr_count_leading_zeros(x >= 0 ? (uint32_t)x : ~(uint32_t)x) - 1;
}

/* TFLM GetReciprocal: 1/x for x in Q(x_integer_digits), as Q0 plus a shift. x = 0 (a DIV by the divisor's
 * zero point) shifts by 32, which the wheel's x86 build takes as a shift by 0. */
static inline int32_t mr_fp_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
  const int headroom_plus_one = mr_count_leading_zeros((uint32_t)x);
  const uint32_t shifted = headroom_plus_one < 32 ? (uint32_t)x << headroom_plus_one : (uint32_t)x;
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  return mr_fp_one_over_one_plus_x_for_x_in_0_1((int32_t)(shifted - ((uint32_t)1 << 31)));
}

#endif /* MR_FIXEDPOINT_H_ */
