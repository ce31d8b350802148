/* cast.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_shape.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/cast_golden.h"

int main(void) {
  mr_run_graph_cases("cast", cast_golden_cases, CAST_GOLDEN_COUNT, A, CAST_GOLDEN_ARENA_BYTES);
  return mr_summary("cast_test");
}
