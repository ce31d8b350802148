/* golden_check.h - shared by the *_test.c golden tests: byte comparison
 * against TF Lite Micro's output, failure report, and the summary line. */
#ifndef MR_GOLDEN_CHECK_H_
#define MR_GOLDEN_CHECK_H_

#include <stdio.h>
#include <string.h>

#include "mr_types.h"

static int mr_passed = 0;
static int mr_failed = 0;

/* Compares n bytes; on mismatch prints the case, the first differing index
 * and the number of differing bytes. Returns 1 on equality. */
static int mr_check_bytes(const char *test, const char *case_name, const void *got, const void *want,
                          size_t n) {
  const unsigned char *g = (const unsigned char *)got;
  const unsigned char *w = (const unsigned char *)want;
  size_t i, first = n, diffs = 0;
  for (i = 0; i < n; ++i) {
    if (g[i] != w[i]) {
      if (first == n) first = i;
      ++diffs;
    }
  }
  if (diffs == 0) {
    ++mr_passed;
    return 1;
  }
  ++mr_failed;
  printf("FAIL %s %s: %lu of %lu bytes differ, first at %lu (got %d, TFLM %d)\n", test, case_name,
         (unsigned long)diffs, (unsigned long)n, (unsigned long)first, (int)(signed char)g[first],
         (int)(signed char)w[first]);
  return 0;
}

/* A golden case's 4-D shape (int32[4], NHWC) as the kernels take it. */
static inline mr_dims mr_golden_dims(const int32_t *shape) {
  mr_dims d;
  d.n = shape[0];
  d.h = shape[1];
  d.w = shape[2];
  d.c = shape[3];
  return d;
}

/* Prints "<test>: N passed, N failed" and returns the process exit code. */
static int mr_summary(const char *test) {
  printf("%s: %d passed, %d failed\n", test, mr_passed, mr_failed);
  return mr_failed == 0 && mr_passed > 0 ? 0 : 1;
}

#endif /* MR_GOLDEN_CHECK_H_ */
