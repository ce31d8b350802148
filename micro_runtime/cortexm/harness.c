/* Cortex-M harness for one generated model (mcunet-tf).
 *
 * Built by micro_runtime/target_cortexm.py together with the model's sources and a generated
 * "inputs.h", which provides:
 *   MR_INVOKE        the model's entry point, int MR_INVOKE(const void *input, void *output)
 *   MR_INPUT_BYTES, MR_OUTPUT_BYTES, MR_N_INPUTS
 *   mr_inputs[MR_N_INPUTS][MR_INPUT_BYTES]   const (Flash) input data
 *
 For every input it paints the stack, calls mr_marker_begin(), MR_INVOKE(), mr_marker_end()
 * (in mr_run_one), measures the stack high-water mark and prints one line over semihosting:
 *   MR_OUT <index> <return code> <stack bytes used> <output bytes as hex>
 * Before the loop it runs the same window once around a two-instruction dummy model and prints
 *   MR_CALIB <return code> <stack bytes used>
 * so that the Python side can subtract the harness's own instructions and stack exactly.
 * Ends with "MR_DONE <n>".
 *
 * The markers are out-of-line functions with distinct bodies (the harness is also compiled with
 * -fno-ipa-icf), so the QEMU plugin insn_count.c can find them by address. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inputs.h"
#include "mr_profile.h"

#define MR_STACK_PAINT 0xA5C3A5C3u

extern uint32_t __StackLimit, __StackTop;

__attribute__((noinline, used)) void mr_marker_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline, used)) void mr_marker_end(void)
{
    __asm__ volatile("/* mr_marker_end */" ::: "memory");
}

__attribute__((noinline, used)) void mr_layer_begin(int layer)
{
    __asm__ volatile("/* mr_layer_begin */" : : "r"(layer) : "memory");
}

__attribute__((noinline, used)) void mr_layer_end(int layer)
{
    __asm__ volatile("/* mr_layer_end */" : : "r"(layer) : "memory");
}

/* Fill the unused stack (limit .. the caller's SP) with a known word. Always inlined so that
 * "the caller's SP" is main's, and nothing below it is live while painting. */
__attribute__((always_inline)) static inline uint32_t *mr_stack_paint(void)
{
    uint32_t *sp;
    uint32_t *p;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (p = &__StackLimit; p < sp; ++p) {
        *(volatile uint32_t *)p = MR_STACK_PAINT;
    }
    return sp;
}

/* Bytes between `top` (the SP at the call) and the deepest overwritten painted word. */
__attribute__((noinline)) static unsigned mr_stack_used(const uint32_t *top)
{
    const uint32_t *p = &__StackLimit;
    while (p < top && *p == MR_STACK_PAINT) {
        ++p;
    }
    return (unsigned)((const char *)top - (const char *)p);
}

typedef int (*mr_invoke_fn)(const void *input, void *output);

/* Calibration "model": exactly two instructions (movs r0, #0; bx lr), no stack. */
__attribute__((naked, noinline)) static int mr_empty_model(const void *input, void *output)
{
    (void)input;
    (void)output;
    __asm__ volatile("movs r0, #0\n\tbx lr");
}

/* The measured window. noipa: never specialised for a particular `fn`, so the model and the
 * calibration model run through the very same instructions around the call. */
__attribute__((noipa, noinline)) static int mr_run_one(mr_invoke_fn fn, const void *input, void *output)
{
    int rc;
    mr_marker_begin();
    rc = fn(input, output);
    mr_marker_end();
    return rc;
}

static uint8_t mr_output[MR_OUTPUT_BYTES > 0 ? MR_OUTPUT_BYTES : 1] __attribute__((aligned(16)));

int main(void)
{
    static const char hex[] = "0123456789abcdef";
    /* Big enough for one output line; written with one fwrite per line. */
    static char line[64 + 2 * (MR_OUTPUT_BYTES > 0 ? MR_OUTPUT_BYTES : 1)];
    uint32_t *sp;
    unsigned used;
    int k, rc;

    /* Window 0: calibration. Instructions(model) = window(model) - window(calibration) + 2, and the
     * stack used by the harness around the call is subtracted the same way. */
    sp = mr_stack_paint();
    rc = mr_run_one(mr_empty_model, mr_inputs[0], mr_output);
    used = mr_stack_used(sp);
    printf("MR_CALIB %d %u\n", rc, used);

    for (k = 0; k < MR_N_INPUTS; ++k) {
        size_t i, n;
        memset(mr_output, 0, sizeof mr_output);
        sp = mr_stack_paint();
        rc = mr_run_one(MR_INVOKE, mr_inputs[k], mr_output);
        used = mr_stack_used(sp);
        n = (size_t)snprintf(line, 64, "MR_OUT %d %d %u ", k, rc, used);
        for (i = 0; i < (size_t)MR_OUTPUT_BYTES; ++i) {
            line[n++] = hex[mr_output[i] >> 4];
            line[n++] = hex[mr_output[i] & 15];
        }
        line[n++] = '\n';
        fwrite(line, 1, n, stdout);
    }
    printf("MR_DONE %d\n", MR_N_INPUTS);
    fflush(stdout);
    return 0;
}
