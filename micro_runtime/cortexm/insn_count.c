/* insn_count: a QEMU (>= 4.2, plugin API v1) TCG plugin that counts executed guest instructions
 * between the entries of marker functions (mcunet-tf Cortex-M harness).
 *
 * Build:  gcc -shared -fPIC -O2 -o insn_count.so insn_count.c
 * (QEMU's qemu-plugin.h is not packaged by Debian; the few API declarations used are below.
 *  No glib needed.)
 * Use:    qemu-system-arm ... -plugin insn_count.so,begin=0x..,end=0x..[,lbegin=0x..,lend=0x..][,out=FILE]
 *
 * Every executed translation block adds its instruction count to a counter (inline op, no call).
 * At the entry of each marker function an exec callback reads the counter:
 *   begin  opens window k           end   closes it and writes   "window <k> <instructions>"
 *   lbegin opens a layer window     lend  closes it and writes   "layer <k> <j> <instructions>"
 *     (j = 0, 1, ... counts the layer windows inside window k in call order; the v1 API cannot
 *      read guest registers, so the layer index argument itself is not seen)
 * At exit: "total <instructions>" (whole run, boot included).
 * Beside each window line, "vwindow <k> <n>": how many of its instructions are in the T32 coprocessor space
 * (first halfword 111x 11xx: Helium/MVE vector instructions, and the FPU's, which int8 models hardly run), the
 * instructions a beat-based cycle estimate weighs (target_cortexm.Run.vector_instructions).
 * A window's count covers the instructions after the begin marker's first block up to and including
 * the end marker's first block; the harness measures an empty window first to calibrate that.
 * Counts are exact and deterministic (no interrupts run in the harness); they are instructions,
 * not cycles. Output goes to FILE (out=), else stderr. */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of include/qemu/qemu-plugin.h (API version 1, QEMU 7.2) used here ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);
/* ---- end of API subset ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

enum marker { MARK_BEGIN, MARK_END, MARK_LBEGIN, MARK_LEND, N_MARKERS };
static const char *const marker_names[N_MARKERS] = {"begin", "end", "lbegin", "lend"};

static uint64_t marker_addr[N_MARKERS];
static bool marker_set[N_MARKERS];
static uint64_t insn_count;  /* single vCPU (Cortex-M): no atomics needed */
static uint64_t vector_count; /* coprocessor-space instructions among them */
static FILE *out;

static bool in_window, in_layer;
static uint64_t window_start, vector_start, layer_start;
static unsigned long window_index, layer_seq, unmatched;

static void on_marker(unsigned int vcpu_index, void *userdata)
{
    enum marker m = (enum marker)(uintptr_t)userdata;
    (void)vcpu_index;
    switch (m) {
    case MARK_BEGIN:
        in_window = true;
        window_start = insn_count;
        vector_start = vector_count;
        layer_seq = 0;
        break;
    case MARK_END:
        if (!in_window) {
            ++unmatched;
            break;
        }
        fprintf(out, "window %lu %" PRIu64 "\n", window_index, insn_count - window_start);
        fprintf(out, "vwindow %lu %" PRIu64 "\n", window_index, vector_count - vector_start);
        fflush(out);
        in_window = false;
        ++window_index;
        break;
    case MARK_LBEGIN:
        in_layer = true;
        layer_start = insn_count;
        break;
    case MARK_LEND:
        if (!in_layer) {
            ++unmatched;
            break;
        }
        fprintf(out, "layer %lu %lu %" PRIu64 "\n", window_index, layer_seq, insn_count - layer_start);
        fflush(out);
        in_layer = false;
        ++layer_seq;
        break;
    default:
        break;
    }
}

/* A 32-bit T32 instruction whose first halfword is 111x 11xx: the coprocessor, FP and MVE space. */
static bool is_vector(const struct qemu_plugin_insn *insn)
{
    const unsigned char *b = qemu_plugin_insn_data(insn);
    unsigned hw1;
    if (qemu_plugin_insn_size(insn) != 4) {
        return false;
    }
    hw1 = (unsigned)b[0] | (unsigned)b[1] << 8;
    return (hw1 & 0xEC00u) == 0xEC00u;
}

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i, vectors = 0;
    int m;
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, n);
    for (i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
        vectors += is_vector(insn);
        for (m = 0; m < N_MARKERS; ++m) {
            if (marker_set[m] && vaddr == marker_addr[m]) {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                                       (void *)(uintptr_t)m);
            }
        }
    }
    if (vectors) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &vector_count, vectors);
    }
}

static void on_exit_cb(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    fprintf(out, "total %" PRIu64 "\n", insn_count);
    if (unmatched) {
        fprintf(out, "unmatched %lu\n", unmatched);
    }
    fflush(out);
    if (out != stderr) {
        fclose(out);
        out = stderr;
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    const char *out_path = NULL;
    int i, m;
    (void)info;
    out = stderr;
    for (i = 0; i < argc; ++i) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        bool known = false;
        if (eq == NULL) {
            fprintf(stderr, "insn_count: bad argument '%s' (want key=value)\n", arg);
            return -1;
        }
        if (strncmp(arg, "out=", 4) == 0) {
            out_path = eq + 1;
            continue;
        }
        for (m = 0; m < N_MARKERS; ++m) {
            size_t len = strlen(marker_names[m]);
            if ((size_t)(eq - arg) == len && strncmp(arg, marker_names[m], len) == 0) {
                char *endp;
                /* Thumb function symbols have bit 0 set; instructions are at the even address. */
                marker_addr[m] = strtoull(eq + 1, &endp, 0) & ~(uint64_t)1;
                if (*endp != '\0' || endp == eq + 1) {
                    fprintf(stderr, "insn_count: bad address in '%s'\n", arg);
                    return -1;
                }
                marker_set[m] = true;
                known = true;
            }
        }
        if (!known) {
            fprintf(stderr, "insn_count: unknown argument '%s' (begin, end, lbegin, lend, out)\n", arg);
            return -1;
        }
    }
    if (out_path != NULL) {
        out = fopen(out_path, "w");
        if (out == NULL) {
            fprintf(stderr, "insn_count: cannot open '%s' for writing\n", out_path);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
