/* mr_requantize_fast and mr_requant_prepare/apply (one rounding, used by the fast kernels) must equal mr_requantize (TFLM's
 * MultiplyByQuantizedMultiplier) for every accumulator: edge values and random ones, every shift; so must
 * mr_requant_prepare_rshift_m1(multiplier, -1 - shift)/apply and mr_requantize_fast_rshift_m1 (the fast
 * kernels' form of the shift), and on x86 the SSE2 mr_requant_apply_x4 (mr_x86.h), each accumulator in
 * each of the four lanes. */
#include <stdio.h>

#include "mr_common.h"
#include "mr_x86.h"

static uint32_t rng_state = 12345u;
static uint32_t next_u32(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* mr_requant_apply_x4 on acc in every lane (the other lanes hold other values): 1 if it gives want */
static int x4_agrees(int32_t acc, int32_t mult, int32_t shift, int32_t want) {
#ifdef MR_SSE2
  const mr_requant_x4 v = mr_requant_prepare_x4(mult, shift);
  int32_t lanes[4];
  int lane;
  for (lane = 0; lane < 4; ++lane) {
    const __m128i x = _mm_set_epi32(lane == 3 ? acc : -7, lane == 2 ? acc : INT32_MIN, lane == 1 ? acc : 1 << 20,
                                    lane == 0 ? acc : -1);
    _mm_storeu_si128((__m128i *)(void *)lanes, mr_requant_apply_x4(x, &v));
    if (lanes[lane] != want) return 0;
  }
#else
  (void)acc;
  (void)mult;
  (void)shift;
  (void)want;
#endif
  return 1;
}

int main(void) {
  static const int32_t edge_acc[] = {0, 1, -1, 2, -2, 3, -3, 127, -128, 255, -256, 1 << 15, -(1 << 15),
                                     (1 << 30) - 1, 1 << 30, -(1 << 30), -(1 << 30) - 1, INT32_MAX,
                                     INT32_MAX - 1, INT32_MIN, INT32_MIN + 1};
  static const int32_t edge_mult[] = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250,
                                      1073741825, 2147483000};
  long failures = 0, checked = 0;
  int32_t shift;
  size_t a, m;
  long i;
  for (shift = -31; shift <= 30; ++shift) {
    for (a = 0; a < sizeof edge_acc / sizeof edge_acc[0]; ++a) {
      for (m = 0; m < sizeof edge_mult / sizeof edge_mult[0]; ++m) {
        const int32_t want = mr_requantize(edge_acc[a], edge_mult[m], shift);
        const mr_requant prepared = mr_requant_prepare(edge_mult[m], shift);
        const int32_t got = mr_requantize_fast(edge_acc[a], edge_mult[m], shift);
        const int32_t got_prepared = mr_requant_apply(edge_acc[a], &prepared);
        const mr_requant from_rshift_m1 = mr_requant_prepare_rshift_m1(edge_mult[m], -1 - shift);
        const int32_t got_rshift_m1 = mr_requant_apply(edge_acc[a], &from_rshift_m1);
        const int32_t got_fast_rshift_m1 = mr_requantize_fast_rshift_m1(edge_acc[a], edge_mult[m], -1 - shift);
        ++checked;
        if (want != got || want != got_prepared || want != got_rshift_m1 || want != got_fast_rshift_m1 ||
            !x4_agrees(edge_acc[a], edge_mult[m], shift, want)) {
          if (failures++ < 10) printf("acc %ld mult %ld shift %ld: want %ld got %ld\n", (long)edge_acc[a],
                                      (long)edge_mult[m], (long)shift, (long)want, (long)got);
        }
      }
    }
    for (i = 0; i < 200000; ++i) {
      /* accumulators of every magnitude, multipliers in TFLM's range [2^30, 2^31) */
      const int bits = (int)(next_u32() % 32u);
      const int32_t acc = (int32_t)(next_u32() >> (31 - bits)) * ((next_u32() & 1u) ? 1 : -1);
      const int32_t mult = (int32_t)((1u << 30) | (next_u32() >> 2));
      const int32_t want = mr_requantize(acc, mult, shift);
      const mr_requant prepared = mr_requant_prepare(mult, shift);
      const int32_t got = mr_requantize_fast(acc, mult, shift);
      const int32_t got_prepared = mr_requant_apply(acc, &prepared);
      const mr_requant from_rshift_m1 = mr_requant_prepare_rshift_m1(mult, -1 - shift);
      const int32_t got_rshift_m1 = mr_requant_apply(acc, &from_rshift_m1);
      const int32_t got_fast_rshift_m1 = mr_requantize_fast_rshift_m1(acc, mult, -1 - shift);
      ++checked;
      if (want != got || want != got_prepared || want != got_rshift_m1 || want != got_fast_rshift_m1 ||
          !x4_agrees(acc, mult, shift, want)) {
        if (failures++ < 10) printf("acc %ld mult %ld shift %ld: want %ld got %ld\n", (long)acc, (long)mult,
                                    (long)shift, (long)want, (long)got);
      }
    }
  }
  /* mr_requantize_doubled: right shifts by 1..21, |acc| < 2^30, every output offset's extremes and random ones */
  for (shift = -21; shift <= -1; ++shift) {
    for (i = 0; i < 100000; ++i) {
      const int bits = (int)(next_u32() % 31u);
      const int32_t acc = i < 4 ? ((i & 1) ? -1 : 1) * ((1 << 30) - 1 - (i >> 1))
                                : (int32_t)(next_u32() >> (32 - (bits + 1))) * ((next_u32() & 1u) ? 1 : -1) / 2;
      const int32_t mult = (int32_t)((1u << 30) | (next_u32() >> 2));
      const int32_t out_offset = (int32_t)(next_u32() % 256u) - 128;
      const int32_t want = mr_requantize(acc, mult, shift) + out_offset;
      const int32_t got = mr_requantize_doubled(2 * acc, mult, mr_requant_doubled_add(out_offset, -1 - shift), -shift);
      ++checked;
      if (want != got && failures++ < 10) {
        printf("doubled: acc %ld mult %ld shift %ld offset %ld: want %ld got %ld\n", (long)acc, (long)mult,
               (long)shift, (long)out_offset, (long)want, (long)got);
      }
    }
  }
  printf("requantize_test: %ld checked, %ld failures\n", checked, failures);
  return failures != 0;
}
