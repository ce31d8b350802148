/* reduce.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_shape.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/reduce_golden.h"

int main(void) {
  mr_run_graph_cases("reduce", reduce_golden_cases, REDUCE_GOLDEN_COUNT, A, REDUCE_GOLDEN_ARENA_BYTES);
  return mr_summary("reduce_test");
}
