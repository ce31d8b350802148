/* lstm.c golden test against TF Lite Micro (micro_runtime/golden/make_golden_lstm.py): one invocation of each
 * case (several time steps) from its initial state. */
#include "golden_graph_check.h"
#include "micro_runtime/golden/lstm_golden.h"

int main(void) {
  mr_run_graph_cases("lstm", lstm_golden_cases, LSTM_GOLDEN_COUNT, A, LSTM_GOLDEN_ARENA_BYTES);
  return mr_summary("lstm_test");
}
