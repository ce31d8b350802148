/* mr_common.h - shared int8 requantization, bit-exact with TF Lite Micro.
 *
 * The one place where an int32 accumulator becomes an int8 value. Mirrors
 * tensorflow/lite/kernels/internal/common.h MultiplyByQuantizedMultiplier in
 * its default (double rounding) form, which is what the `tflite-micro` pip
 * wheel is built with: SaturatingRoundingDoublingHighMul followed by
 * RoundingDivideByPOT. Define MR_SINGLE_ROUNDING to get the
 * TFLITE_SINGLE_ROUNDING variant instead (one 64-bit multiply, one rounding).
 *
 * C99, header only, no dependencies beyond <stdint.h>.
 */
#ifndef MR_COMMON_H_
#define MR_COMMON_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mr_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MR_INT8_MIN (-128)
#define MR_INT8_MAX 127

/* memcpy from data that may be constant (MR_CONST, mr_types.h): on AVR byte by byte through the __memx pointer,
 * which reads Flash or SRAM by the address; elsewhere memcpy itself. */
static inline void mr_copy_const(void *dst, const MR_CONST void *src, size_t n) {
#if defined(__AVR__) && !defined(__cplusplus)
  uint8_t *d = (uint8_t *)dst;
  const MR_CONST uint8_t *s = (const MR_CONST uint8_t *)src;
  while (n--) *d++ = *s++;
#else
  memcpy(dst, src, n);
#endif
}

static inline int32_t mr_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t mr_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t mr_clamp_i32(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), with the
 * single overflow case (INT32_MIN * INT32_MIN) saturating to INT32_MAX. */
static inline int32_t mr_saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  const int overflow = (a == b) && (a == INT32_MIN);
  const int64_t ab_64 = (int64_t)a * (int64_t)b;
  const int32_t nudge = ab_64 >= 0 ? ((int32_t)1 << 30) : (1 - ((int32_t)1 << 30));
  const int32_t ab_x2_high32 = (int32_t)((ab_64 + nudge) / ((int64_t)1 << 31));
  return overflow ? INT32_MAX : ab_x2_high32;
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away
 * from zero. exponent in [0, 31]. Relies on arithmetic right shift of
 * negative values (true for every compiler we target). */
static inline int32_t mr_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + ((x < 0) ? 1 : 0);
  return (x >> exponent) + ((remainder > threshold) ? 1 : 0);
}

/* x * 2^left_shift with the int32 wrap-around TFLM's `x * (1 << left_shift)`
 * has on two's-complement hardware (done in unsigned to avoid C UB). */
static inline int32_t mr_shift_left_wrap(int32_t x, int left_shift) {
  return (int32_t)((uint32_t)x << left_shift);
}

/* Requantize an int32 accumulator exactly as TFLM
 * MultiplyByQuantizedMultiplier(int32 x, int32 quantized_multiplier, int shift).
 * multiplier is Q31 in [2^30, 2^31) (or 0); shift > 0 is a left shift,
 * shift < 0 a rounding right shift. */
static inline int32_t mr_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
#ifdef MR_SINGLE_ROUNDING
  const int total_shift = 31 - (int)shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  const int64_t result = ((int64_t)acc * (int64_t)multiplier + round) >> total_shift;
  return (int32_t)result;
#else
  const int left_shift = shift > 0 ? (int)shift : 0;
  const int right_shift = shift > 0 ? 0 : (int)-shift;
  return mr_rounding_divide_by_pot(
      mr_saturating_rounding_doubling_high_mul(mr_shift_left_wrap(acc, left_shift), multiplier),
      right_shift);
#endif
}

/* mr_requantize_fast (below) with the work that depends only on (multiplier, shift) done once, for kernels
 * that requantize many accumulators of one channel: mr_requant_prepare, then mr_requant_apply per
 * accumulator (equal to mr_requantize_fast(acc, multiplier, shift); requantize_test.c checks it).
 * With e = -shift > 0 the sum mr_requantize_fast derives is x*m + round - [x < 0]*2^31, round = 2^30 + 2^(30+e);
 * its high word shifted right by e - 1 is the result. With shift >= 0 it is ((acc << shift)*m + 2^30) >> 31. */
typedef struct {
  int64_t round;          /* 2^30 + 2^(30-shift) when shift < 0, else 2^30 */
  int32_t multiplier;
  int32_t left_shift;     /* shift when shift > 0, else 0 */
  int32_t right_shift_m1; /* -shift - 1 when shift < 0, else -1 */
} mr_requant;

static inline mr_requant mr_requant_prepare(int32_t multiplier, int32_t shift) {
  mr_requant r;
  /* 2^30 + 2^(30+e) from its two words: 2^(30+e) is the low word's top bit when e = 1, else 2^(e-2) in
   * the high word (a 64-bit shift by a variable costs a dozen Thumb instructions) */
  const int32_t e = shift < 0 ? -shift : 0;
  const uint32_t round_lo = 0x40000000u + (e == 1 ? 0x80000000u : 0u);
  const uint32_t round_hi = e >= 2 ? (uint32_t)1 << (e - 2) : 0u; /* uint32_t: 16-bit int on AVR */
  r.round = (int64_t)(((uint64_t)round_hi << 32) | round_lo);
  r.multiplier = multiplier;
  r.left_shift = shift > 0 ? shift : 0;
  r.right_shift_m1 = shift < 0 ? -shift - 1 : -1;
  return r;
}

/* mr_requant_prepare(multiplier, shift) from rshift_m1 = -1 - shift instead of shift: the right shift minus
 * one when shift < 0, else the complement (~) of the left shift. The form in which the fast kernels
 * (mr_fast.h, mr_depthwise_fast.h) take their per-channel shifts, as int8 arrays: it spares the negations
 * mr_requant_prepare does for every output channel. */
static inline mr_requant mr_requant_prepare_rshift_m1(int32_t multiplier, int32_t rshift_m1) {
  mr_requant r;
  const uint32_t round_lo = 0x40000000u + (rshift_m1 == 0 ? 0x80000000u : 0u);
  const uint32_t round_hi = rshift_m1 >= 1 ? (uint32_t)1 << (rshift_m1 - 1) : 0u;
  r.round = (int64_t)(((uint64_t)round_hi << 32) | round_lo);
  r.multiplier = multiplier;
  r.left_shift = rshift_m1 < 0 ? ~rshift_m1 : 0;
  r.right_shift_m1 = rshift_m1 >= 0 ? rshift_m1 : -1;
  return r;
}

/* The two cases of mr_requant_apply, for loops that test r->right_shift_m1 >= 0 once. */
static inline int32_t mr_requant_apply_right(int32_t acc, const mr_requant *r) { /* right_shift_m1 >= 0 */
  /* round + acc*m + [acc < 0]*(-2^31): two widening multiply-accumulates */
  const int32_t negative = (int32_t)((uint32_t)acc >> 31);
#if defined(__ARM_FEATURE_DSP) && !defined(MR_PORTABLE)
  /* gcc turns the second product into shifts and adds; SMLAL is one instruction */
  uint32_t lo = (uint32_t)r->round;
  int32_t hi = (int32_t)(r->round >> 32);
  __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(acc), "r"(r->multiplier));
  __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(negative), "r"(INT32_MIN));
  return hi >> r->right_shift_m1;
#else
  const int64_t sum = r->round + (int64_t)acc * r->multiplier + (int64_t)negative * (int64_t)INT32_MIN;
  return (int32_t)(sum >> 32) >> r->right_shift_m1;
#endif
}

static inline int32_t mr_requant_apply_left(int32_t acc, const mr_requant *r) { /* right_shift_m1 < 0 */
  const int64_t v = (int64_t)mr_shift_left_wrap(acc, (int)r->left_shift) * r->multiplier + r->round;
  return (int32_t)(v >> 31);
}

static inline int32_t mr_requant_apply(int32_t acc, const mr_requant *r) {
#ifdef MR_SINGLE_ROUNDING
  return mr_requantize(acc, r->multiplier, r->right_shift_m1 >= 0 ? -(r->right_shift_m1 + 1) : r->left_shift);
#else
  return r->right_shift_m1 >= 0 ? mr_requant_apply_right(acc, r) : mr_requant_apply_left(acc, r);
#endif
}

/* mr_requantize in one rounding step, for the fast kernels. Equal to mr_requantize (double
 * rounding) for every int32 acc, every multiplier in [0, 2^31) and shift in [-31, 30]:
 * with x = acc << left_shift and e = right shift, TFLM computes s = floor((x*m + 2^30) / 2^31)
 * (its nudge for negative products turns the truncating division into this floor), then rounds
 * s / 2^e half away from zero, i.e. floor((s + 2^(e-1) - [s < 0]) / 2^e). Nested floors of
 * integer divisions merge: the result is floor((x*m + 2^30 + 2^(30+e) - [s < 0]*2^31) / 2^(31+e))
 * for e >= 1, and s < 0 may be replaced by x < 0 (the only cases where they differ, x*m in
 * (-2^30, 0], give 0 both ways). |x*m| < 2^62, so the int64 sum never overflows.
 * micro_runtime/kernels/requantize_test.c checks it against mr_requantize. */
static inline int32_t mr_requantize_fast(int32_t acc, int32_t multiplier, int32_t shift) {
#ifdef MR_SINGLE_ROUNDING
  return mr_requantize(acc, multiplier, shift);
#elif defined(__ARM_FEATURE_DSP) && !defined(MR_PORTABLE)
  /* 32-bit cores: the same sum through mr_requant_prepare / mr_requant_apply (32-bit words, SMLAL) */
  const mr_requant r = mr_requant_prepare(multiplier, shift);
  return mr_requant_apply(acc, &r);
#else
  const int left_shift = shift > 0 ? (int)shift : 0;
  const int right_shift = shift > 0 ? 0 : (int)-shift;
  const int32_t x = mr_shift_left_wrap(acc, left_shift);
  int64_t v = (int64_t)x * multiplier + ((int64_t)1 << 30);
  if (right_shift > 0) {
    v += ((int64_t)1 << (30 + right_shift)) - (x < 0 ? ((int64_t)1 << 31) : 0);
  }
  return (int32_t)(v >> (31 + right_shift));
#endif
}

/* mr_requantize_fast with the shift as rshift_m1 = -1 - shift (mr_requant_prepare_rshift_m1). */
static inline int32_t mr_requantize_fast_rshift_m1(int32_t acc, int32_t multiplier, int32_t rshift_m1) {
#if defined(__ARM_FEATURE_DSP) && !defined(MR_PORTABLE) && !defined(MR_SINGLE_ROUNDING)
  const mr_requant r = mr_requant_prepare_rshift_m1(multiplier, rshift_m1);
  return mr_requant_apply(acc, &r);
#else
  return mr_requantize_fast(acc, multiplier, -1 - rshift_m1);
#endif
}

/* The requantization of a kernel that keeps 2*acc, in one multiply: for a right shift e = rshift_m1 + 1 in [1, 21]
 * (rshift_m1 in [0, 20]) and |acc| < 2^30,
 *   mr_requantize(acc, m, -e) + out_offset == mr_requantize_doubled(2*acc, m, mr_requant_doubled_add(...), e):
 *  - TFLM's SaturatingRoundingDoublingHighMul(acc, m) = floor((acc*m + 2^30) / 2^31) (its nudge 1 - 2^30 for
 *    negative products, then truncation, floors the same way; acc*m never is INT32_MIN^2), the high word of
 *    x2*m + 2^31 with x2 = 2*acc: one SMMLAR, whose accumulate operand adds `add` to that word;
 *  - RoundingDivideByPOT(h, e) = floor((h + 2^(e-1) - [h < 0]) / 2^e): [acc < 0], the sign bit of x2, may stand for
 *    [h < 0] (they differ only for h = 0, acc < 0, where both give 0);
 *  - out_offset enters as out_offset*2^e before the shift: add = 2^(e-1) + out_offset*2^e = (1 + 2*out_offset) << rshift_m1.
 * Nothing wraps: |h| <= |acc| < 2^30 and |add| < 2^29 (|out_offset| <= 128). requantize_test.c checks it. */
static inline int mr_requant_doubled_allows(int32_t rshift_m1) { /* the shift condition above, in this build */
#ifdef MR_SINGLE_ROUNDING
  (void)rshift_m1;
  return 0; /* the form is TFLM's default, double rounding */
#else
  return rshift_m1 >= 0 && rshift_m1 <= 20;
#endif
}

static inline int32_t mr_requant_doubled_add(int32_t out_offset, int32_t rshift_m1) {
  return (int32_t)((uint32_t)(1 + 2 * out_offset) << rshift_m1);
}

static inline int32_t mr_requantize_doubled(int32_t x2, int32_t multiplier, int32_t add, int32_t e) {
#if defined(__ARM_FEATURE_DSP) && !defined(MR_PORTABLE)
  int32_t h;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(h) : "r"(x2), "r"(multiplier), "r"(add));
#else
  const int32_t h = (int32_t)(((int64_t)x2 * multiplier + ((int64_t)add << 32) + ((int64_t)1 << 31)) >> 32);
#endif
  return (h + (x2 >> 31)) >> e;
}

/* TFLM MultiplyByQuantizedMultiplierSmallerThanOneExp (ADD's input/output
 * scaling): shift <= 0. Identical to mr_requantize for those shifts. */
static inline int32_t mr_requantize_smaller_than_one(int32_t x, int32_t multiplier, int32_t shift) {
  return mr_requantize(x, multiplier, shift);
}

/* TFLM MultiplyByQuantizedMultiplierGreaterThanOne (softmax input scaling):
 * left shift >= 0, then the doubling high multiply. Always double rounding. */
static inline int32_t mr_requantize_greater_than_one(int32_t x, int32_t multiplier, int left_shift) {
  return mr_saturating_rounding_doubling_high_mul(mr_shift_left_wrap(x, left_shift), multiplier);
}

/* Two int16 values as the halves of one word (low in bits 0-15): the operand form of SMLAD and SXTAB16. */
static inline int32_t mr_pack_s16x2(int32_t low, int32_t high) {
  return (int32_t)(((uint32_t)high << 16) | ((uint32_t)low & 0xffffu));
}

static inline int8_t mr_sat_s8(int32_t x) {
  return (int8_t)mr_clamp_i32(x, MR_INT8_MIN, MR_INT8_MAX);
}

/* ---- Checked builds (-DMR_CHECKED): each kernel asserts on entry that the bytes it will write, computed from
 * its own parameters, lie in [mr_checked_begin, mr_checked_end), which the generated model sets to its arena
 * before its calls; a violation calls mr_checked_fail (kernels/checked.c: prints the kernel and aborts). Without
 * the flag MR_CHECK is nothing: the kernels compile to the same code. */
#ifdef MR_CHECKED
extern uintptr_t mr_checked_begin, mr_checked_end;
void mr_checked_fail(const char *kernel, const void *ptr, int64_t bytes);
#define MR_CHECK(ptr, bytes)                                                                              \
  ((int64_t)(bytes) >= 0 && (uintptr_t)(ptr) >= mr_checked_begin && (uintptr_t)(ptr) <= mr_checked_end &&  \
           (uint64_t)(int64_t)(bytes) <= (uint64_t)(mr_checked_end - (uintptr_t)(ptr))                     \
       ? (void)0                                                                                          \
       : mr_checked_fail(__func__, (const void *)(ptr), (int64_t)(bytes)))

static inline int64_t mr_checked_elements(const MR_CONST mr_dims *d) {
  return (int64_t)d->n * d->h * d->w * d->c;
}

static inline int64_t mr_checked_product(const MR_CONST int32_t *v, int n) {
  int64_t p = 1;
  int k;
  for (k = 0; k < n; ++k) p *= v[k];
  return p;
}

static inline int64_t mr_checked_sum(const MR_CONST int32_t *v, int n) {
  int64_t sum = 0;
  int k;
  for (k = 0; k < n; ++k) sum += v[k];
  return sum;
}

/* Elements of the broadcast of two NHWC shapes (each extent the larger: the other one is 1 or equal). */
static inline int64_t mr_checked_broadcast(const MR_CONST mr_dims *a, const MR_CONST mr_dims *b) {
  return (int64_t)(a->n > b->n ? a->n : b->n) * (a->h > b->h ? a->h : b->h) * (a->w > b->w ? a->w : b->w) *
         (a->c > b->c ? a->c : b->c);
}
#else
#define MR_CHECK(ptr, bytes) ((void)0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* MR_COMMON_H_ */
