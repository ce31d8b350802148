/* softmax.c and softmax_s16.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_int16.py). */
#include "golden_graph_check.h"
#include "micro_runtime/golden/softmax_s16_golden.h"

int main(void) {
  mr_run_graph_cases("softmax_s16", softmax_s16_golden_cases, SOFTMAX_S16_GOLDEN_COUNT, A,
                     SOFTMAX_S16_GOLDEN_ARENA_BYTES);
  return mr_summary("softmax_s16_test");
}
