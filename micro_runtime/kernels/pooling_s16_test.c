/* pooling.c int16 golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/pooling_s16_golden.h"

int main(void) {
  mr_run_graph_cases("pooling_s16", pooling_s16_golden_cases, POOLING_S16_GOLDEN_COUNT, A,
                     POOLING_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("pooling_s16_test");
}
