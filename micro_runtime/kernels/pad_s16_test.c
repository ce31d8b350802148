/* pad.c int16 golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/pad_s16_golden.h"

int main(void) {
  mr_run_graph_cases("pad_s16", pad_s16_golden_cases, PAD_S16_GOLDEN_COUNT, A, PAD_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("pad_s16_test");
}
