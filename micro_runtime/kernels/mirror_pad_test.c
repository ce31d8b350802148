/* mirror_pad.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_shape.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/mirror_pad_golden.h"

int main(void) {
  mr_run_graph_cases("mirror_pad", mirror_pad_golden_cases, MIRROR_PAD_GOLDEN_COUNT, A, MIRROR_PAD_GOLDEN_ARENA_BYTES);
  return mr_summary("mirror_pad_test");
}
