/* copy_strided.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_shape.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/copy_strided_golden.h"

int main(void) {
  mr_run_graph_cases("copy_strided", copy_strided_golden_cases, COPY_STRIDED_GOLDEN_COUNT, A, COPY_STRIDED_GOLDEN_ARENA_BYTES);
  return mr_summary("copy_strided_test");
}
