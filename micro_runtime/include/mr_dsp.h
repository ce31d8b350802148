/* mr_dsp.h - the few Arm DSP-extension helpers the fast kernels share (Cortex-M4/M7/M33/M55 with
 * __ARM_FEATURE_DSP; empty elsewhere, at -O0 or with MR_PORTABLE, where the kernels take their portable C path).
 * Defines MR_DSP when the DSP path is built. */
#ifndef MR_DSP_H_
#define MR_DSP_H_

#include <stdint.h>
#include <string.h>

/* Not at -O0: there gcc keeps a frame pointer in r7, and the GEMM core's assembly needs all 14 other registers. */
#if defined(__ARM_FEATURE_DSP) && !defined(MR_PORTABLE) && defined(__OPTIMIZE__)
#define MR_DSP 1
#include <arm_acle.h>

/* Four int8 values in one LDR (Cortex-M3 and up read unaligned words). */
static inline int32_t mr_read_s8x4(const void *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Bytes 1 and 3 of v sign-extended to two int16 halves: one SXTB16 with its rotation, which gcc does not
 * fold from __sxtb16(rotate(v)) (it emits a separate ROR). */
static inline int32_t mr_sxtb16_ror8(int32_t v) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* The same added to the two int16 halves of acc (SXTAB16 with its rotation). */
static inline int32_t mr_sxtab16_ror8(int32_t acc, int32_t v) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(v));
  return r;
}
#endif

#endif /* MR_DSP_H_ */
