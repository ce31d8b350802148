/* Per-layer profiling hooks for generated models (mcunet-tf).
 *
 * Generated code brackets each layer with MR_LAYER_BEGIN(i) / MR_LAYER_END(i), i = layer index.
 * Built normally, the hooks expand to nothing (zero cost). Built with -DMR_PROFILE_LAYERS, they
 * call the out-of-line marker functions mr_layer_begin(int) / mr_layer_end(int), which the Cortex-M
 * harness (micro_runtime/cortexm/harness.c) defines; the QEMU plugin (insn_count.c) counts the
 * instructions executed between the entries of these markers, in call order.
 *
 * The code generator copies this header into its output directory so the generated C stays
 * self-contained. A build may also define MR_LAYER_BEGIN / MR_LAYER_END itself (e.g. to a
 * cycle counter on a real board): those definitions win. */
#ifndef MR_PROFILE_H_
#define MR_PROFILE_H_

#if defined(MR_PROFILE_LAYERS)
#ifdef __cplusplus
extern "C" {
#endif
void mr_layer_begin(int layer);
void mr_layer_end(int layer);
#ifdef __cplusplus
}
#endif
#ifndef MR_LAYER_BEGIN
#define MR_LAYER_BEGIN(i) mr_layer_begin(i)
#endif
#ifndef MR_LAYER_END
#define MR_LAYER_END(i) mr_layer_end(i)
#endif
#else
#ifndef MR_LAYER_BEGIN
#define MR_LAYER_BEGIN(i) ((void)0)
#endif
#ifndef MR_LAYER_END
#define MR_LAYER_END(i) ((void)0)
#endif
#endif

#endif /* MR_PROFILE_H_ */
