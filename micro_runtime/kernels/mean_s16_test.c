/* mean.c int16 golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/mean_s16_golden.h"

int main(void) {
  mr_run_graph_cases("mean_s16", mean_s16_golden_cases, MEAN_S16_GOLDEN_COUNT, A, MEAN_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("mean_s16_test");
}
