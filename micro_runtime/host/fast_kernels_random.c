/* The fast kernels on random shapes and quantization, one line per case: the kernel, the shape and a hash of
 * its output bytes. Built twice, with the path this machine takes (SSE2 on x86-64) and with -DMR_PORTABLE,
 * the two outputs must be the same text (tests/test_kernels_dsp.py): the portable path is the one checked
 * against TFLM. Also built bare metal for the Cortex-M4 (DSP path vs portable, run in QEMU; cases and seed
 * then from -DMR_RANDOM_CASES / -DMR_RANDOM_SEED). Covers the in-place depthwise with every scratch size that selects a mode (int16 and int8
 * rings, with and without spare bytes past them, the rows mode, eight-channel blocks, channel by channel),
 * the 1x1 convs (in place both ways, k <= 8 included), im2col convs, the fused conv + add, fully connected
 * (per tensor and per channel, with and without bias), ADD, float32 -> int8 QUANTIZE and the general depthwise
 * (depth multipliers, dilation, tall and wide windows, against the reference on the portable build). The in-place depthwise of one case gives the same hash with every
 * scratch size, with and without the code unrolled for its window (and the out-of-place one). Usage: fast_kernels_random [cases] [seed]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mr_depthwise_fast.h"
#include "mr_fast.h"
#include "mr_kernels.h"
#include "mr_mve.h"

static uint32_t rng_state;
static uint32_t next_u32(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}
static int uniform(int lo, int hi) { return lo + (int)(next_u32() % (uint32_t)(hi - lo + 1)); } /* [lo, hi] */

static void fill_s8(int8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) p[i] = (int8_t)(next_u32() & 0xffu);
}

static uint32_t fnv1a(const int8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; ++i) h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h;
}

/* Requantization of n channels: multipliers in TFLM's range, shifts mostly right, sometimes left, as the fast
 * kernels take them (-1 - shift, int8); in half of the layers right shifts by 1..21 only (what trained models
 * have, and what the DSP GEMM's one-multiply requantization needs). */
static void fill_requant(int32_t *mult, int8_t *rshift_m1, int n) {
  const int right_only = uniform(0, 1);
  int i;
  for (i = 0; i < n; ++i) {
    mult[i] = (int32_t)((1u << 30) | (next_u32() >> 2));
    rshift_m1[i] = (int8_t)(-1 - (right_only ? uniform(-21, -1) : uniform(-12, 1)));
  }
}

/* Conv biases: small, or now and then within 2^18 of 2^30, where 2 * accumulator overflows for some inputs
 * (the sums themselves stay in int32). */
static int32_t random_bias(void) {
  return uniform(0, 15) ? uniform(-20000, 20000) : ((1 << 30) - uniform(0, 1 << 18)) * (uniform(0, 1) ? 1 : -1);
}


#define MAX_BYTES (1 << 16)
static int8_t in_buf[MAX_BYTES], out_buf[MAX_BYTES], skip_buf[MAX_BYTES], filter[MAX_BYTES];
static int32_t scratch[MAX_BYTES / 4];
static int32_t bias[1024], mult[1024];
static int8_t shift[1024]; /* -1 - shift */

/* out_c GEMM filter rows of k random values, MR_GEMM_STRIDE(k) apart (zeros between), then the zeros up to
 * MR_GEMM_ROW(k) after the last row (codegen.gemm_filter_bytes); returns the bytes. */
static size_t fill_gemm_filter(int out_c, int k) {
  const size_t stride = (size_t)MR_GEMM_STRIDE(k), bytes = (size_t)out_c * stride + MR_GEMM_ROW(k) - stride;
  int i;
  memset(filter, 0, bytes);
  for (i = 0; i < out_c; ++i) fill_s8(filter + (size_t)i * stride, (size_t)k);
  return bytes;
}

static void depthwise_case(int n) {
  const int k = 3 + 2 * uniform(0, 2), stride = uniform(1, 2), c = uniform(1, 40);
  const int in_h = uniform(k, 30), in_w = uniform(k, 30), pad = (k - 1) / 2;
  const int out_h = (in_h + stride - 1) / stride, out_w = (in_w + stride - 1) / stride;
  const int32_t in_offset = uniform(-127, 128), out_offset = uniform(-128, 127);
  const int32_t act_min = uniform(0, 1) ? -128 : uniform(-128, 0), act_max = uniform(0, 1) ? 127 : uniform(0, 127);
  const int32_t *b = uniform(0, 3) ? bias : NULL;
  const mr_conv_params p = {{1, in_h, in_w, c}, {1, out_h, out_w, c}, {k, k, stride, stride, pad, pad, 1, 1}, 1,
                            in_offset, out_offset, {act_min, act_max}, filter, b, {mult, NULL, shift}};
  const mr_depthwise_unrolled *unrolled = k == 3 ? &mr_depthwise_k3 : k == 5 ? &mr_depthwise_k5 : &mr_depthwise_k7;
  const int32_t delay = mr_depthwise_inplace_row_delay(&p);
  const int32_t pixels = mr_depthwise_inplace_scratch_bytes(&p, MR_DEPTHWISE_CHANNELS);
  const int32_t rows = mr_depthwise_inplace_scratch_bytes(&p, MR_DEPTHWISE_ROWS);
  const int32_t ring16 = mr_depthwise_ring_bytes(&p, 0), ring8 = mr_depthwise_ring_bytes(&p, 1);
  const int32_t least = pixels < rows ? pixels : rows; /* what the generator always gives */
  /* the last: all of it (the Helium path then holds a narrow layer's whole input) */
  const int32_t sizes[9] = {least, ring8, ring16, ring16 + 2, ring16 + 64, 2 * ring16 + 16, delay * out_w * 8, rows,
                            (int32_t)sizeof scratch};
  const size_t bytes = (size_t)in_h * in_w * c;
  int s, with;
  if (bytes > MAX_BYTES / 2) return;
  fill_s8(filter, (size_t)k * k * c);
  fill_s8(in_buf, bytes);
  fill_requant(mult, shift, c);
  for (s = 0; s < c; ++s) bias[s] = uniform(-5000, 5000);
  for (s = 0; s < 9; ++s) {
    if (sizes[s] < least || sizes[s] > (int32_t)sizeof scratch) continue;
    for (with = 1; with >= 0; --with) { /* without the unrolled code too: slower, the same bytes */
      memcpy(out_buf, in_buf, bytes);
      mr_depthwise_conv2d_inplace_fast_s8(&p, with ? unrolled : NULL, out_buf, (int8_t *)scratch, sizes[s]);
      printf("depthwise_inplace %d: %dx%dx%d k%d s%d scratch %ld%s -> %08lx\n", n, in_h, in_w, c, k, stride,
             (long)sizes[s], with ? "" : " unrolled none", (unsigned long)fnv1a(out_buf, (size_t)out_h * out_w * c));
    }
  }
  mr_depthwise_conv2d_fast_s8(&p, unrolled, in_buf, out_buf);
  printf("depthwise %d -> %08lx\n", n, (unsigned long)fnv1a(out_buf, (size_t)out_h * out_w * c));
}

/* A random fused ADD (the conv's output as input 1). */
static mr_add_params random_add(void) {
  mr_add_params a;
  a.input1_offset = uniform(-127, 128);
  a.input2_offset = uniform(-127, 128);
  a.left_shift = 20;
  a.input1_multiplier = (int32_t)((1u << 30) | (next_u32() >> 2));
  a.input1_shift = uniform(-3, 0);
  a.input2_multiplier = (int32_t)((1u << 30) | (next_u32() >> 2));
  a.input2_shift = uniform(-3, 0);
  a.output_offset = uniform(-128, 127);
  a.output_multiplier = (int32_t)((1u << 30) | (next_u32() >> 2));
  a.output_shift = uniform(-20, -15);
  a.activation.min = uniform(0, 1) ? -128 : uniform(-128, 0);
  a.activation.max = 127;
  return a;
}

static void conv_case(int n) {
  const int pointwise = uniform(0, 3) == 0; /* 1x1 stride 1 on whole GEMM rows: the fused conv + add's direct path */
  const int in_c = pointwise ? 16 * uniform(1, 5) : uniform(0, 2) ? uniform(1, 20) : uniform(1, 80);
  const int out_c = uniform(1, 70), k_h = pointwise ? 1 : uniform(1, 5), k_w = pointwise ? 1 : uniform(1, 5);
  const int stride = pointwise ? 1 : uniform(1, 2);
  const int in_h = uniform(k_h, 14), in_w = uniform(k_w, 14), pad_top = (k_h - 1) / 2, pad_left = (k_w - 1) / 2;
  const int out_h = (in_h + stride - 1) / stride, out_w = (in_w + stride - 1) / stride;
  const int32_t k_row = MR_GEMM_ROW(k_h * k_w * in_c);
  const int32_t out_offset = uniform(-128, 127), zero_point = uniform(-128, 127);
  const int32_t act_min = uniform(0, 1) ? -128 : uniform(-128, 0), act_max = uniform(0, 1) ? 127 : uniform(0, 127);
  const int rows = in_h * in_w;
  const size_t in_bytes = (size_t)rows * in_c, big = (size_t)rows * (in_c > out_c ? in_c : out_c);
  mr_conv_params p, pw;
  mr_add_params add;
  int i;
  if ((size_t)out_c * k_row + k_row > MAX_BYTES || big > MAX_BYTES || (size_t)out_h * out_w * out_c > MAX_BYTES) return;
  fill_s8(in_buf, in_bytes);
  fill_requant(mult, shift, out_c);
  for (i = 0; i < out_c; ++i) bias[i] = random_bias();
  memset(&p, 0, sizeof p);
  p.input.n = p.output.n = 1;
  p.input.h = in_h;
  p.input.w = in_w;
  p.input.c = in_c;
  p.output.h = out_h;
  p.output.w = out_w;
  p.output.c = out_c;
  p.window.k_h = k_h;
  p.window.k_w = k_w;
  p.window.stride_h = p.window.stride_w = stride;
  p.window.pad_top = pad_top;
  p.window.pad_left = pad_left;
  p.window.dilation_h = p.window.dilation_w = 1;
  p.depth_multiplier = 1;
  p.input_offset = -zero_point;
  p.output_offset = out_offset;
  p.activation.min = act_min;
  p.activation.max = act_max;
  p.filter = filter;
  p.bias = bias;
  p.quant.multiplier = mult;
  p.quant.rshift_m1 = shift;
  /* 1x1: the same pixels as a pointwise conv, filter rows MR_GEMM_STRIDE(in_c) apart */
  pw = p;
  pw.output.h = in_h;
  pw.output.w = in_w;
  pw.window.k_h = pw.window.k_w = pw.window.stride_h = pw.window.stride_w = 1;
  pw.window.pad_top = pw.window.pad_left = 0;
  fill_gemm_filter(out_c, in_c);
  mr_conv1x1_fast_s8(&pw, in_buf, out_buf, (int8_t *)scratch);
  printf("conv1x1 %d: %d x %d -> %d -> %08lx\n", n, rows, in_c, out_c,
         (unsigned long)fnv1a(out_buf, (size_t)rows * out_c));
  memcpy(out_buf, in_buf, in_bytes);
  mr_conv1x1_inplace_fast_s8(&pw, out_buf, (int8_t *)scratch);
  printf("conv1x1_inplace %d -> %08lx\n", n, (unsigned long)fnv1a(out_buf, (size_t)rows * out_c));
  /* im2col convs: rows of k_h*k_w*in_c, MR_GEMM_STRIDE apart */
  fill_gemm_filter(out_c, k_h * k_w * in_c);
  mr_conv2d_fast_s8(&p, in_buf, out_buf, (int8_t *)scratch);
  printf("conv2d %d: %dx%dx%d k%dx%d s%d -> %d -> %08lx\n", n, in_h, in_w, in_c, k_h, k_w, stride, out_c,
         (unsigned long)fnv1a(out_buf, (size_t)out_h * out_w * out_c));
  fill_s8(skip_buf, (size_t)out_h * out_w * out_c);
  add = random_add();
  mr_conv2d_add_fast_s8(&p, &add, in_buf, skip_buf, skip_buf, (int8_t *)scratch);
  printf("conv2d_add %d -> %08lx\n", n, (unsigned long)fnv1a(skip_buf, (size_t)out_h * out_w * out_c));
}

static void fully_connected_case(int n) {
  const int batches = uniform(1, 3), in_n = uniform(1, 300), out_n = uniform(1, 40), per_channel = uniform(0, 1);
  mr_fully_connected_params p;
  int i;
  memset(&p, 0, sizeof p);
  p.batches = batches;
  p.input_depth = in_n;
  p.output_depth = out_n;
  p.output_offset = uniform(-128, 127);
  p.per_channel = per_channel;
  p.activation.max = 127;
  p.filter = filter;
  p.bias = bias;
  p.quant.multiplier = mult;
  p.quant.rshift_m1 = shift;
  fill_s8(in_buf, (size_t)batches * in_n);
  fill_s8(filter, (size_t)out_n * in_n);
  fill_requant(mult, shift, out_n);
  for (i = 0; i < out_n; ++i) bias[i] = uniform(-20000, 20000);
  p.activation.min = uniform(0, 1) ? -128 : uniform(-128, 0);
  mr_fully_connected_fast_s8(&p, in_buf, out_buf);
  printf("fully_connected %d: %dx%d -> %d pc%d -> %08lx\n", n, batches, in_n, out_n, per_channel,
         (unsigned long)fnv1a(out_buf, (size_t)batches * out_n));
  p.input_offset = uniform(-127, 128);
  p.activation.min = uniform(0, 1) ? -128 : uniform(-128, 0);
  mr_fully_connected_nobias_fast_s8(&p, in_buf, out_buf);
  printf("fully_connected_nobias %d -> %08lx\n", n, (unsigned long)fnv1a(out_buf, (size_t)batches * out_n));
}

static void add_case(int n) {
  const int32_t count = uniform(1, 200);
  const mr_dims shape = {1, 1, 1, count};
  mr_add_params params;
  fill_s8(in_buf, (size_t)count);
  fill_s8(skip_buf, (size_t)count);
  params.input1_offset = uniform(-127, 128);
  params.input2_offset = uniform(-127, 128);
  params.left_shift = 20;
  params.input1_multiplier = (int32_t)((1u << 30) | (next_u32() >> 2));
  params.input1_shift = uniform(-3, 0);
  params.input2_multiplier = (int32_t)((1u << 30) | (next_u32() >> 2));
  params.input2_shift = uniform(-3, 0);
  params.output_offset = uniform(-128, 127);
  params.output_multiplier = (int32_t)((1u << 30) | (next_u32() >> 2));
  params.output_shift = uniform(-20, -15);
  params.activation.min = uniform(0, 1) ? -128 : uniform(-128, 0);
  params.activation.max = uniform(0, 1) ? 127 : uniform(0, 127);
  mr_add_s8(&params, in_buf, &shape, skip_buf, &shape, out_buf);
  printf("add %d: %ld -> %08lx\n", n, (long)count, (unsigned long)fnv1a(out_buf, (size_t)count));
}

/* float32 -> int8 QUANTIZE (a model's float input): random values, exact halves of the scale among them, and
 * random bit patterns (huge, tiny); in place, as the generated code runs it. */
static void quantize_case(int n) {
  float *values = (float *)(void *)scratch;
  const int count = uniform(1, 600), zero_point = uniform(-128, 127);
  const float scale = (float)uniform(1, 4096) / (float)(1 << uniform(4, 20));
  int i;
  for (i = 0; i < count; ++i) {
    const uint32_t bits = next_u32();
    float f;
    memcpy(&f, &bits, sizeof f);
    values[i] = i % 3 == 0 ? (float)uniform(-600, 600) * 0.5f * scale
                : i % 3 == 1 ? (f == f && f - f == 0.0f ? f : 1.0f) /* finite */
                             : (float)uniform(-100000, 100000) / 997.0f;
  }
  mr_quantize_f32_s8(values, count, (int8_t *)(void *)values, scale, zero_point);
  printf("quantize %d: %d -> %08lx\n", n, count, (unsigned long)fnv1a((const int8_t *)(void *)values, (size_t)count));
}

/* One channel's requantization of accumulators that meet every edge: INT32_MIN and INT32_MAX, left shifts that
 * wrap, and exact ties of RoundingDivideByPOT (multiplier 2^30 halves an even accumulator exactly), positive and
 * negative; on an MVE core through the vector helper (mr_requant_mve), elsewhere the scalar path. */
static void requant_case(int n) {
  int32_t acc[64], out[64], mult;
  int8_t rshift_m1;
  int i;
  fill_requant(&mult, &rshift_m1, 1);
  if (uniform(0, 1)) mult = 1 << 30;
  for (i = 0; i < 64; ++i) {
    const int e = rshift_m1 >= 0 ? 1 + rshift_m1 : 0, k = uniform(-200, 200);
    acc[i] = i == 0 ? INT32_MIN : i == 1 ? INT32_MAX : i % 3 ? (int32_t)next_u32()
           : 2 * (k * (1 << e) + (1 << e >> 1)); /* a tie when mult = 2^30 */
  }
#ifdef MR_MVE
  for (i = 0; i < 64; i += 4) vstrwq_s32(out + i, mr_requant_mve(vldrwq_s32(acc + i), mult, rshift_m1));
#else
  for (i = 0; i < 64; ++i) out[i] = mr_requantize_fast_rshift_m1(acc[i], mult, rshift_m1);
#endif
  printf("requant %d: %ld %d -> %08lx\n", n, (long)mult, rshift_m1,
         (unsigned long)fnv1a((const int8_t *)(void *)out, sizeof out));
}

/* mr_depthwise_conv2d_general_s8 (depth multipliers 1 to 8, dilation 1 to 3, windows up to 10 wide or tall, some past
 * the DSP path's tap table): the DSP path's blocks against the reference kernel the portable build runs. Shifts as the
 * reference reads them, multipliers now and then negative (a negative filter scale). */
static void depthwise_general_case(int n) {
  static const int mults[6] = {1, 2, 3, 4, 8, 1};
  const int depth_mult = mults[uniform(0, 5)], in_c = uniform(1, 12), out_c = in_c * depth_mult;
  const int k_h = uniform(1, 10), k_w = uniform(0, 3) ? uniform(1, 10) : 1, s_h = uniform(1, 3), s_w = uniform(1, 3);
  const int d_h = uniform(1, 3), d_w = uniform(1, 3), in_h = uniform(1, 20), in_w = uniform(1, 20);
  const int pad_top = uniform(0, (k_h - 1) * d_h), pad_left = uniform(0, (k_w - 1) * d_w);
  const int out_h = (in_h + 2 * pad_top - (k_h - 1) * d_h - 1) / s_h + 1;
  const int out_w = (in_w + 2 * pad_left - (k_w - 1) * d_w - 1) / s_w + 1;
  const int32_t act_min = uniform(0, 1) ? -128 : uniform(-128, 0), act_max = uniform(0, 1) ? 127 : uniform(0, 127);
  static int32_t shift32[1024];
  const mr_conv_params p = {{1, in_h, in_w, in_c}, {1, out_h, out_w, out_c},
                            {k_h, k_w, s_h, s_w, pad_top, pad_left, d_h, d_w}, depth_mult, uniform(-127, 128),
                            uniform(-128, 127), {act_min, act_max}, filter, uniform(0, 3) ? bias : NULL,
                            {mult, shift32, NULL}};
  int i;
  if (out_h < 1 || out_w < 1 || (size_t)out_h * out_w * out_c > MAX_BYTES) return;
  fill_s8(filter, (size_t)k_h * k_w * out_c);
  fill_s8(in_buf, (size_t)in_h * in_w * in_c);
  fill_requant(mult, shift, out_c);
  for (i = 0; i < out_c; ++i) {
    shift32[i] = -1 - shift[i];
    if (!uniform(0, 7)) mult[i] = -mult[i];
    bias[i] = random_bias();
  }
  mr_depthwise_conv2d_general_s8(&p, in_buf, out_buf);
  printf("general_depthwise %d: %dx%dx%d m%d k%dx%d s%dx%d d%dx%d -> %08lx\n", n, in_h, in_w, in_c, depth_mult, k_h,
         k_w, s_h, s_w, d_h, d_w, (unsigned long)fnv1a(out_buf, (size_t)out_h * out_w * out_c));
}

static void run_cases(int cases) {
  int n;
  for (n = 0; n < cases; ++n) {
    depthwise_case(n);
    conv_case(n);
    fully_connected_case(n);
    add_case(n);
    quantize_case(n);
    requant_case(n);
    depthwise_general_case(n);
  }
}

#if defined(__arm__) && !defined(__linux__)
/* Bare metal (the Cortex-M startup code calls main(void)): cases and seed from the build. */
int main(void) {
  rng_state = (uint32_t)MR_RANDOM_SEED | 1u;
  run_cases(MR_RANDOM_CASES);
  return 0;
}
#else
int main(int argc, char **argv) {
  rng_state = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) | 1u : 2463534242u;
  run_cases(argc > 1 ? atoi(argv[1]) : 200);
  return 0;
}
#endif
