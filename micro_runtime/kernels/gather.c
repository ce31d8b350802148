/* GATHER and GATHER_ND (TFLM's gather.cc and gather_nd.cc): slices of the input chosen by int32 positions
 * read at run time; sizes in bytes (int8 or any element type). A position outside the input, where TFLM's
 * Eval returns an error, copies nothing (that slice of the output is left as it was). */
#include "mr_kernels.h"

void mr_gather(const MR_CONST void *input, const MR_CONST int32_t *coords, void *output,
               const MR_CONST mr_gather_params *p) {
  MR_CHECK(output, (int64_t)p->batch_size * p->outer_size * p->coord_size * p->inner_bytes);
  const MR_CONST uint8_t *in = (const MR_CONST uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  int32_t batch, outer, coord;
  for (batch = 0; batch < p->batch_size; ++batch) {
    for (outer = 0; outer < p->outer_size; ++outer) {
      for (coord = 0; coord < p->coord_size; ++coord) {
        const int32_t value = coords[batch * p->coord_size + coord];
        if (value < 0 || value >= p->axis_size) continue;
        mr_copy_const(out + (size_t)(((batch * p->outer_size) + outer) * p->coord_size + coord) * p->inner_bytes,
               in + (size_t)(((batch * p->outer_size) + outer) * p->axis_size + value) * p->inner_bytes,
               (size_t)p->inner_bytes);
      }
    }
  }
}

void mr_gather_nd(const MR_CONST void *params, const MR_CONST int32_t *indices, void *output,
                  const MR_CONST mr_gather_nd_params *p) {
  MR_CHECK(output, (int64_t)p->n_slices * p->slice_bytes);
  const MR_CONST uint8_t *in = (const MR_CONST uint8_t *)params;
  uint8_t *out = (uint8_t *)output;
  int32_t i, j;
  for (i = 0; i < p->n_slices; ++i) {
    int32_t from = 0, inside = 1;
    for (j = 0; j < p->indices_nd; ++j) {
      const int32_t index = indices[i * p->indices_nd + j];
      if (index < 0 || index >= p->dims[j]) inside = 0;
      from += index * p->dims_to_count[j];
    }
    if (inside)
      mr_copy_const(out + (size_t)i * p->slice_bytes, in + (size_t)from * p->elem_bytes, (size_t)p->slice_bytes);
  }
}
