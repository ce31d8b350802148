/* resize_bilinear.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_spatial.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/resize_bilinear_golden.h"

int main(void) {
  mr_run_graph_cases("resize_bilinear", resize_bilinear_golden_cases, RESIZE_BILINEAR_GOLDEN_COUNT, A,
                     RESIZE_BILINEAR_GOLDEN_ARENA_BYTES);
  return mr_summary("resize_bilinear_test");
}
