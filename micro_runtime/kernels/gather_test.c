/* gather.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_shape.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/gather_golden.h"

int main(void) {
  mr_run_graph_cases("gather", gather_golden_cases, GATHER_GOLDEN_COUNT, A, GATHER_GOLDEN_ARENA_BYTES);
  return mr_summary("gather_test");
}
