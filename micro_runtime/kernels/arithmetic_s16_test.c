/* arithmetic_s16.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/arithmetic_s16_golden.h"

int main(void) {
  mr_run_graph_cases("arithmetic_s16", arithmetic_s16_golden_cases, ARITHMETIC_S16_GOLDEN_COUNT, A,
                     ARITHMETIC_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("arithmetic_s16_test");
}
