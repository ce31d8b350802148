/* quantize_s16.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/quantize_s16_golden.h"

int main(void) {
  mr_run_graph_cases("quantize_s16", quantize_s16_golden_cases, QUANTIZE_S16_GOLDEN_COUNT, A,
                     QUANTIZE_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("quantize_s16_test");
}
