/* mr_mve.h - the few Helium (M-profile Vector Extension) helpers the fast kernels share (Cortex-M55/M85 with
 * __ARM_FEATURE_MVE; empty elsewhere, at -O0, with MR_PORTABLE, MR_NO_MVE (the DSP-only build of an MVE core)
 * or MR_SINGLE_ROUNDING, where the kernels take their DSP or portable path). Defines MR_MVE when the MVE path
 * is built. */
#ifndef MR_MVE_H_
#define MR_MVE_H_

#include <stdint.h>

#if defined(__ARM_FEATURE_MVE) && !defined(MR_PORTABLE) && !defined(MR_NO_MVE) && !defined(MR_SINGLE_ROUNDING) && \
    defined(__OPTIMIZE__)
#define MR_MVE 1
#include <arm_mve.h>

/* TFLM's MultiplyByQuantizedMultiplier on four accumulators of one channel (shift = -1 - rshift_m1):
 * SaturatingRoundingDoublingHighMul is VQRDMULH exactly (both round half up and saturate only
 * INT32_MIN * INT32_MIN); RoundingDivideByPOT rounds half away from zero where VRSHL rounds half up, so a
 * negative x first loses 1 (saturating: INT32_MIN stays, and its quotient is exact either way), which moves
 * its ties down and nothing else. */
static inline int32x4_t mr_requant_mve(int32x4_t acc, int32_t multiplier, int32_t rshift_m1) {
  const int32_t shift = -1 - rshift_m1;
  int32x4_t x;
  if (shift >= 0) return vqrdmulhq_n_s32(vshlq_s32(acc, vdupq_n_s32(shift)), multiplier);
  x = vqrdmulhq_n_s32(acc, multiplier);
  return vrshlq_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), vdupq_n_s32(shift));
}

/* mr_requant_mve + out_offset, clamped to [act_min, act_max]. */
static inline int32x4_t mr_requant_clamp_mve(int32x4_t acc, int32_t multiplier, int32_t rshift_m1,
                                             int32_t out_offset, int32_t act_min, int32_t act_max) {
  const int32x4_t v = vaddq_n_s32(mr_requant_mve(acc, multiplier, rshift_m1), out_offset);
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}
#endif

#endif /* MR_MVE_H_ */
