/* batch_matmul.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_spatial.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/batch_matmul_golden.h"

int main(void) {
  mr_run_graph_cases("batch_matmul", batch_matmul_golden_cases, BATCH_MATMUL_GOLDEN_COUNT, A,
                     BATCH_MATMUL_GOLDEN_ARENA_BYTES);
  return mr_summary("batch_matmul_test");
}
