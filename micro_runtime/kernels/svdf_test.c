/* svdf.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py): one invocation of
 * each case from its initial state. */
#include "golden_graph_check.h"
#include "micro_runtime/golden/svdf_golden.h"

int main(void) {
  mr_run_graph_cases("svdf", svdf_golden_cases, SVDF_GOLDEN_COUNT, A, SVDF_GOLDEN_ARENA_BYTES);
  return mr_summary("svdf_test");
}
