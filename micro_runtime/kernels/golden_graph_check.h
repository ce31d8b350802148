/* golden_graph_check.h - the golden tests of the shape-op kernels (micro_runtime/golden/
 * make_golden_shape.py): each case runs the calls our lowering emits for a single-op model on an arena
 * holding its inputs, then compares its outputs with TF Lite Micro's bytes. */
#ifndef MR_GOLDEN_GRAPH_CHECK_H_
#define MR_GOLDEN_GRAPH_CHECK_H_

#include <stdint.h>
#include <string.h>

#include "golden_check.h"
#include "mr_kernels.h"

typedef struct {
  int is_output;
  int offset, bytes;
  const uint8_t *data;
} mr_graph_tensor;

typedef struct {
  const char *name;
  void (*run)(void);
  int count;
  const mr_graph_tensor *tensors;
} mr_graph_case;

/* Fills the arena with 0x55, writes the inputs, runs, checks every output. */
static void mr_run_graph_cases(const char *test, const mr_graph_case *cases, int count, uint8_t *arena,
                               size_t arena_bytes) {
  int i, j;
  for (i = 0; i < count; ++i) {
    const mr_graph_case *c = &cases[i];
    memset(arena, 0x55, arena_bytes);
    for (j = 0; j < c->count; ++j) {
      const mr_graph_tensor *t = &c->tensors[j];
      if (!t->is_output) memcpy(arena + t->offset, t->data, (size_t)t->bytes);
    }
    c->run();
    for (j = 0; j < c->count; ++j)
      if (c->tensors[j].is_output)
        mr_check_bytes(test, c->name, arena + c->tensors[j].offset, c->tensors[j].data, (size_t)c->tensors[j].bytes);
  }
}

#endif /* MR_GOLDEN_GRAPH_CHECK_H_ */
