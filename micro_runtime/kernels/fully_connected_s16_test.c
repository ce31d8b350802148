/* fully_connected_s16.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/fully_connected_s16_golden.h"

int main(void) {
  mr_run_graph_cases("fully_connected_s16", fully_connected_s16_golden_cases, FULLY_CONNECTED_S16_GOLDEN_COUNT, A,
                     FULLY_CONNECTED_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("fully_connected_s16_test");
}
