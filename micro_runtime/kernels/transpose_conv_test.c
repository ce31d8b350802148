/* transpose_conv.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_spatial.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/transpose_conv_golden.h"

int main(void) {
  mr_run_graph_cases("transpose_conv", transpose_conv_golden_cases, TRANSPOSE_CONV_GOLDEN_COUNT, A,
                     TRANSPOSE_CONV_GOLDEN_ARENA_BYTES);
  return mr_summary("transpose_conv_test");
}
