/* mr_s16.h - what the int16-activation kernels (16x8 quantization) share: TFLM's
 * MultiplyByQuantizedMultiplier for an int64 accumulator and the int16 clamp. Internal to the kernels. */
#ifndef MR_S16_H_
#define MR_S16_H_

#include "mr_common.h"

#define MR_INT16_MIN (-32768)
#define MR_INT16_MAX 32767

/* Products int16 x int8 are below 2^22 in magnitude: a sum of at most this many stays inside int32, so
 * an int32 accumulator gives the int64 one's value exactly (and is cheaper on 32-bit cores). */
#define MR_S16_EXACT_INT32_TAPS 511

/* TFLM MultiplyByQuantizedMultiplier(int64 x, int32 quantized_multiplier, int shift): the multiplier
 * rounded to 16 bits, one rounding shift by 15 - shift (the int64 accumulators of 16x8 layers). */
static inline int32_t mr_requantize_s64(int64_t x, int32_t multiplier, int32_t shift) {
  const int64_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - (int)shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  return (int32_t)((x * reduced + round) >> total_shift);
}

/* The requantized accumulator of output channel `c` of a 16x8 layer: TFLM accumulates in int32 (wrapping)
 * with an int32 bias, in int64 with an int64 bias or none, and requantizes with the
 * MultiplyByQuantizedMultiplier of that type. */
static inline int32_t mr_requantize_acc_s16(int64_t acc, const MR_CONST int32_t *bias32,
                                            const MR_CONST int64_t *bias64, int c, int32_t multiplier,
                                            int32_t shift) {
  if (!bias32) return mr_requantize_s64(acc + (bias64 ? bias64[c] : 0), multiplier, shift);
  acc = (int32_t)(uint32_t)((uint64_t)acc + (uint64_t)(bias32 ? (int64_t)bias32[c] : 0));
  return mr_requantize((int32_t)acc, multiplier, shift);
}

#endif /* MR_S16_H_ */
