/* mr_depthwise_fast_internal.h - what the files of the fast depthwise kernel share: the driver (depthwise_fast.c:
 * the entry points, the mode choice, the sizes and the portable path), depthwise_fast_dsp.c (the Arm DSP path, built
 * under MR_DSP), depthwise_fast_x86.c (SSE2, under MR_SSE2) and depthwise_fast_mve.c (Helium, under MR_MVE: the
 * blocks and out-of-place hooks, the DSP file the rest). Each ISA file implements the hooks at the end for its ISA;
 * the driver implements them where neither is built. */
#ifndef MR_DEPTHWISE_FAST_INTERNAL_H_
#define MR_DEPTHWISE_FAST_INTERNAL_H_

#include <string.h>

#include "mr_depthwise_fast.h"
#include "mr_dsp.h"
#include "mr_mve.h"
#include "mr_x86.h"

/* One layer as the loops read it (depth multiplier 1: c channels in and out). */
typedef struct {
  int in_h, in_w, c, k_h, k_w, stride_h, stride_w, pad_top, pad_left, out_w;
  const MR_CONST int8_t *filter;
  const MR_CONST int32_t *bias;
  int32_t in_offset, out_offset;
  const MR_CONST int32_t *out_mult;
  const MR_CONST int8_t *out_rshift_m1; /* -1 - shift (mr_requant_prepare_rshift_m1) */
  int32_t act_min, act_max;
} mr_dw_params;

static inline mr_dw_params mr_dw_params_of(const MR_CONST mr_conv_params *cp) {
  const mr_dw_params p = {cp->input.h, cp->input.w, cp->input.c, cp->window.k_h, cp->window.k_w,
                          cp->window.stride_h, cp->window.stride_w, cp->window.pad_top, cp->window.pad_left,
                          cp->output.w, cp->filter, cp->bias, cp->input_offset, cp->output_offset,
                          cp->quant.multiplier, cp->quant.rshift_m1, cp->activation.min, cp->activation.max};
  return p;
}

/* Output channel ch of one pixel: requantized, offset, clamped. */
static inline int8_t mr_dw_out_shift(int32_t acc, const mr_dw_params *p, int ch, int32_t rshift_m1) {
  const int32_t v = mr_requantize_fast_rshift_m1(acc, p->out_mult[ch], rshift_m1) + p->out_offset;
  return (int8_t)mr_clamp_i32(v, p->act_min, p->act_max);
}

static inline int8_t mr_dw_out(int32_t acc, const mr_dw_params *p, int ch) {
  return mr_dw_out_shift(acc, p, ch, p->out_rshift_m1[ch]);
}

#define MR_DW_MAX_K 7

/* The accumulator of channel ch of the output pixel whose window starts at input row in_y0, column in_x0, its taps
 * [ky0, ky1) x [kx0, kx1) within the input: the channels mr_dw_row's vector steps leave. c = p->c (read once by the
 * caller: the int8 stores may alias p). */
static inline __attribute__((always_inline)) int32_t mr_dw_pixel_acc(const int8_t *in, const mr_dw_params *p, int c,
                                                                     int in_y0, int in_x0, int ky0, int ky1, int kx0,
                                                                     int kx1, int ch) {
  int32_t acc = p->bias ? p->bias[ch] : 0;
  int ky, kx;
  for (ky = ky0; ky < ky1; ++ky) {
    const int8_t *xr = in + ((size_t)(in_y0 + ky) * p->in_w + in_x0) * c + ch;
    const MR_CONST int8_t *wr = p->filter + (size_t)ky * p->k_w * c + ch;
    for (kx = kx0; kx < kx1; ++kx) acc += (int32_t)wr[(size_t)kx * c] * ((int32_t)xr[(size_t)kx * c] + p->in_offset);
  }
  return acc;
}

/* The ring mode (mr_dw_ring): for one channel, the k_h input rows an output row reads are gathered into a ring of
 * rows in scratch, each padded to ring_w = (out_w - 1)*stride_w + k_w values with the input zero point (so padded
 * taps add filter * (zero point + in_offset) = 0, as TFLM's skipped taps do, and every output pixel takes the same
 * unrolled code: k, stride_w and the ring's element size are constants in each instance). The accumulator starts
 * at bias + in_offset * sum(filter) and adds filter * raw input. Rows are int16 when scratch holds them (DSP: one
 * __smlad per two horizontal taps), else int8 with one byte of slack (DSP: __sxtb16 splits four taps into pairs
 * (0, 2) and (1, 3)). Output row y goes straight over input channel ch at pixels [y*out_w, (y+1)*out_w), all of
 * them in input rows already gathered (mr_dw_ring_narrow checks it). */

/* Ring row length in elements: ring_w, plus the byte the int8 tap loops may read past it. */
static inline int32_t mr_dw_ring_stride(int k, int stride_w, int out_w, int narrow) {
  return (int32_t)(out_w - 1) * stride_w + k + (narrow ? 1 : 0);
}

static inline int32_t mr_dw_ring_bytes(int k, int stride_w, int out_w, int narrow) {
  return (int32_t)k * mr_dw_ring_stride(k, stride_w, out_w, narrow) * (narrow ? 1 : 2);
}

/* The ring shapes that get an instance of their own: INSTANCE(k, stride_w, narrow). */
#define MR_DW_RING_SHAPES(INSTANCE)                                                                              \
  INSTANCE(3, 1, 0) INSTANCE(3, 2, 0) INSTANCE(3, 1, 1) INSTANCE(3, 2, 1) INSTANCE(5, 1, 0) INSTANCE(5, 2, 0)   \
  INSTANCE(5, 1, 1) INSTANCE(5, 2, 1) INSTANCE(7, 1, 0) INSTANCE(7, 2, 0) INSTANCE(7, 1, 1) INSTANCE(7, 2, 1)

/* mr_depthwise_unrolled and mr_depthwise_k3, _k5, _k7 on the portable and x86 paths: the ring instances
 * mr_dw_acc_k<k>s<stride>n<narrow> (of the path's type mr_dw_acc_fn). */
#define MR_DW_UNROLLED_RING(k)                                                                       \
  const mr_depthwise_unrolled mr_depthwise_k##k = {                                                  \
      k, {{mr_dw_acc_k##k##s1n0, mr_dw_acc_k##k##s2n0}, {mr_dw_acc_k##k##s1n1, mr_dw_acc_k##k##s2n1}}};
#define MR_DW_UNROLLED_RINGS                                                                         \
  struct mr_depthwise_unrolled {                                                                     \
    int k;                                                                                           \
    mr_dw_acc_fn ring[2][2]; /* [narrow][stride_w - 1] */                                            \
  };                                                                                                 \
  MR_DW_UNROLLED_RING(3) MR_DW_UNROLLED_RING(5) MR_DW_UNROLLED_RING(7)

/* Filter taps of one channel in the forms the portable and x86 tap loops read. */
typedef struct {
  int32_t tap[MR_DW_MAX_K][MR_DW_MAX_K];            /* portable path */
  int32_t pair[MR_DW_MAX_K][(MR_DW_MAX_K + 1) / 2]; /* int16 rings: (kx, kx+1) as (low, high) halves */
  int32_t even[MR_DW_MAX_K][2], odd[MR_DW_MAX_K][2]; /* int8 rings: (4g, 4g+2) and (4g+1, 4g+3) */
} mr_dw_taps;

/* Sets every entry of w the tap loops read for channel ch; returns the accumulators' start, acc0. */
static inline uint32_t mr_dw_channel_taps(mr_dw_taps *w, const mr_dw_params *p, int ch) {
  const int c = p->c, k = p->k_h;
  uint32_t acc0 = p->bias ? (uint32_t)p->bias[ch] : 0u;
  int ky, kx;
  for (ky = 0; ky < k; ++ky) {
    for (kx = 0; kx < k; ++kx) {
      const int32_t t = p->filter[(size_t)(ky * k + kx) * c + ch];
      w->tap[ky][kx] = t;
      acc0 += (uint32_t)t * (uint32_t)p->in_offset;
    }
    for (kx = 0; kx < k; ++kx) {
      const int32_t next = kx + 1 < k ? w->tap[ky][kx + 1] : 0, next2 = kx + 2 < k ? w->tap[ky][kx + 2] : 0;
      if (kx % 2 == 0) w->pair[ky][kx / 2] = mr_pack_s16x2(w->tap[ky][kx], next);
      if (kx % 4 == 0) w->even[ky][kx / 4] = mr_pack_s16x2(w->tap[ky][kx], next2);
      if (kx % 4 == 1) w->odd[ky][kx / 4] = mr_pack_s16x2(w->tap[ky][kx], next2);
    }
  }
  return acc0;
}

/* Sum over the K_W taps of one ring row starting at r (int16 or int8 elements, NARROW). */
static inline __attribute__((always_inline)) int32_t mr_dw_row_taps(const void *r, const mr_dw_taps *w, int ky,
                                                                     int32_t acc, const int K_W, const int NARROW) {
  int kx;
#pragma GCC unroll 7
  for (kx = 0; kx < K_W; ++kx) {
    acc += w->tap[ky][kx] * (NARROW ? (int32_t)((const int8_t *)r)[kx] : (int32_t)((const int16_t *)r)[kx]);
  }
  return acc;
}

/* Ring row `slot` (an element offset): `left` zero points, n input values read `c` apart, zero points up to
 * `stride` elements; int8 (NARROW) or int16 elements. */
static inline __attribute__((always_inline)) void mr_dw_gather(void *ring, size_t slot, const int8_t *src, int c,
                                                               int left, int n, int stride, int32_t zero_point,
                                                               const int NARROW) {
  int8_t *narrow_dst = (int8_t *)ring + slot;
  int16_t *wide_dst = (int16_t *)ring + slot;
  int x;
#define MR_DW_STORE(i, v) (NARROW ? (void)(narrow_dst[i] = (int8_t)(v)) : (void)(wide_dst[i] = (int16_t)(v)))
  for (x = 0; x < left; ++x) MR_DW_STORE(x, zero_point);
  for (x = 0; x < n; ++x) MR_DW_STORE(left + x, src[(size_t)x * c]);
  for (x = left + n; x < stride; ++x) MR_DW_STORE(x, zero_point);
#undef MR_DW_STORE
}

/* The ring rows of channel ch that output row y reads: input rows from *next_row on gathered (ring rows of
 * `stride` elements), rows[ky] pointed at the one window row ky reads. */
static inline void mr_dw_ring_rows(const int8_t *in, const mr_dw_params *p, int ch, void *ring, int narrow,
                                   int stride, int y, int *next_row, const void **rows) {
  const int c = p->c, k = p->k_h, in_w = p->in_w, size = narrow ? 1 : 2;
  const int ring_w = (p->out_w - 1) * p->stride_w + k, in_y0 = y * p->stride_h - p->pad_top;
  const int32_t zero_point = -p->in_offset;
  int ky;
  for (; *next_row < in_y0 + k; ++*next_row) {
    const size_t slot = (size_t)((*next_row + p->pad_top) % k) * stride;
    const int8_t *src = in + (size_t)*next_row * in_w * c + ch;
    const int in_image = *next_row >= 0 && *next_row < p->in_h;
    const int left = in_image ? p->pad_left : ring_w;
    const int n = !in_image ? 0 : ring_w - left < in_w ? ring_w - left : in_w;
    if (narrow) {
      mr_dw_gather(ring, slot, src, c, left, n, stride, zero_point, 1);
    } else {
      mr_dw_gather(ring, slot, src, c, left, n, stride, zero_point, 0);
    }
  }
  for (ky = 0; ky < k; ++ky) rows[ky] = (const char *)ring + (size_t)((in_y0 + ky + p->pad_top) % k) * stride * size;
}

/* ---- the driver's (depthwise_fast.c) */

/* Whether the ring mode takes the layer with scratch_bytes of scratch: -1 no, else narrow (int8 rows: 1, int16: 0).
 * in_place: the output goes over the input (each output row must then cover only input rows already gathered). */
int mr_dw_ring_narrow(const mr_dw_params *p, int out_h, int32_t scratch_bytes, int in_place);

/* ---- the hooks each ISA implements */

/* Channels [c0, c0 + n) of output row out_y, pixels [0, out_w), written at out + x*out_stride + (ch - c0).
 * `in` is the whole input (NHWC). */
void mr_dw_row(const int8_t *in, const mr_dw_params *p, int out_y, int c0, int n, int8_t *out, int out_stride);

/* The ring mode with int16 (narrow: int8) rows in scratch, every channel, when `unrolled` has the instance for the
 * layer's shape; returns 0 (nothing done) otherwise. */
int mr_dw_ring(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
               int narrow, const mr_depthwise_unrolled *unrolled);

/* Whether the ISA runs the in place layer on blocks of channels (mr_dw_blocks_inplace), and then before or after
 * trying the ring mode. */
enum { MR_DW_NO_BLOCKS, MR_DW_BLOCKS_AFTER_RING, MR_DW_BLOCKS_FIRST };
int mr_dw_blocks_order(const mr_dw_params *p, int out_h, int32_t delay, int32_t scratch_bytes);

/* The in-place rows mode on blocks of channels: each block's rows through `delay` rows of the block's pixels in
 * scratch (or another mode of the ISA's that scratch_bytes holds). A block's rows only replace its own channels, and
 * within the block the rows mode's argument holds. */
void mr_dw_blocks_inplace(int8_t *inout, const mr_dw_params *p, int out_h, int8_t *scratch, int32_t scratch_bytes,
                          int32_t delay, const mr_depthwise_unrolled *unrolled);

/* The ISA's own form of the out-of-place kernel; returns 0 (nothing done) where the driver's rows take the layer. */
int mr_dw_fast(const int8_t *in, int8_t *out, const mr_dw_params *p, int out_h, const mr_depthwise_unrolled *unrolled);

#ifdef MR_MVE
/* The Helium path's ring of four-channel pixels (depthwise_fast_mve.c): one output row of a block of four channels
 * from its k ring rows, k x k windows, stride_w 1 or 2: mr_dw_mve_k<k>s<stride>, which the DSP path's
 * mr_depthwise_k3, _k5, _k7 name (so that --gc-sections keeps the sizes some call names). */
typedef struct mr_dw_block_mve mr_dw_block_mve;
typedef void (*mr_dw_mve_fn)(const mr_dw_block_mve *b, const int8_t *const *rows, int8_t *out);
#define MR_DW_MVE_DECLARE(k)                                                            \
  void mr_dw_mve_k##k##s1(const mr_dw_block_mve *b, const int8_t *const *rows, int8_t *out); \
  void mr_dw_mve_k##k##s2(const mr_dw_block_mve *b, const int8_t *const *rows, int8_t *out);
MR_DW_MVE_DECLARE(3)
MR_DW_MVE_DECLARE(5)
MR_DW_MVE_DECLARE(7)
#undef MR_DW_MVE_DECLARE
/* The instance for the layer's window and stride_w in `unrolled` (NULL: none). */
mr_dw_mve_fn mr_dw_mve_of(const mr_depthwise_unrolled *unrolled, const mr_dw_params *p);
#endif

#endif /* MR_DEPTHWISE_FAST_INTERNAL_H_ */
