/* conv_s16.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/conv_s16_golden.h"

int main(void) {
  mr_run_graph_cases("conv_s16", conv_s16_golden_cases, CONV_S16_GOLDEN_COUNT, A,
                     CONV_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("conv_s16_test");
}
