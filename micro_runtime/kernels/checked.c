/* The bounds a checked build (-DMR_CHECKED, mr_common.h) holds the kernels' writes to: the running model's
 * arena, set by its generated code before its calls. */
#include "mr_common.h"

#ifdef MR_CHECKED
#include <stdio.h>
#include <stdlib.h>

uintptr_t mr_checked_begin, mr_checked_end;

void mr_checked_fail(const char *kernel, const void *ptr, int64_t bytes) {
  fprintf(stderr, "MR_CHECK: %s writes %lld bytes at %p, outside the arena [%p, %p)\n", kernel, (long long)bytes, ptr,
          (void *)mr_checked_begin, (void *)mr_checked_end);
  abort();
}
#else
typedef int mr_checked_unused; /* ISO C: a file must declare something */
#endif
