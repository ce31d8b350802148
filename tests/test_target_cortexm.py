"""Cortex-M target: build a tiny hand-written C "model" with the harness, run it in QEMU, check outputs,
instruction counts (exact, deterministic, linear in the work done), per-layer counts and footprint."""
import random
import shutil

import pytest

from micro_runtime import target_cortexm as cm

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
    reason="needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm")]

NAME = "tiny"
N = 16
LOOP = 100  # iterations of the inner recurrence per input byte (TINY_LOOP)
BIAS = [(7 * i + 3) & 0xFF for i in range(N)]

HEADER = f"""#ifndef TINY_H_
#define TINY_H_
#define TINY_INPUT_BYTES {N}
#define TINY_OUTPUT_BYTES {N}
#define TINY_ARENA_BYTES {N}
int tiny_invoke(const void *input, void *output);
#endif
"""

# Two "layers" shaped like generated code: an arena in .bss, const weights in Flash, MR_LAYER hooks.
# mr_profile.h is deliberately not copied here: the build's fallback include path provides it.
SOURCE = """#include <stdint.h>
#include "tiny.h"
#include "mr_profile.h"
#ifndef TINY_LOOP
#define TINY_LOOP %(loop)d
#endif
static uint8_t arena[TINY_ARENA_BYTES];
static const uint8_t bias[%(n)d] = {%(bias)s};

__attribute__((noinline)) static void layer0(const uint8_t *in, uint8_t *tmp)
{
    int i, j;
    for (i = 0; i < %(n)d; ++i) {
        uint32_t acc = in[i];
        for (j = 0; j < TINY_LOOP; ++j) {
            acc = acc * 31u + 7u;
        }
        tmp[i] = (uint8_t)acc;
    }
}

__attribute__((noinline)) static void layer1(const uint8_t *tmp, uint8_t *out)
{
    volatile uint8_t rev[%(n)d];  /* a real stack frame for the stack analysis */
    int i;
    for (i = 0; i < %(n)d; ++i) {
        rev[i] = tmp[%(n)d - 1 - i];
    }
    for (i = 0; i < %(n)d; ++i) {
        out[i] = (uint8_t)(tmp[i] + 3u * rev[i] + bias[i]);
    }
}

int tiny_invoke(const void *input, void *output)
{
    MR_LAYER_BEGIN(0);
    layer0((const uint8_t *)input, arena);
    MR_LAYER_END(0);
    MR_LAYER_BEGIN(1);
    layer1(arena, (uint8_t *)output);
    MR_LAYER_END(1);
    return 0;
}
"""


def expected(data: bytes, loop: int = LOOP) -> bytes:
    tmp = []
    for a in data:
        acc = a
        for _ in range(loop):
            acc = (acc * 31 + 7) & 0xFFFFFFFF
        tmp.append(acc & 0xFF)
    return bytes((tmp[i] + 3 * tmp[N - 1 - i] + BIAS[i]) & 0xFF for i in range(N))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny_model")
    (d / "tiny.h").write_text(HEADER)
    (d / "tiny.c").write_text(SOURCE % {"loop": LOOP, "n": N, "bias": ", ".join(map(str, BIAS))})
    return d


@pytest.fixture(scope="module")
def inputs():
    rng = random.Random(0)
    return [bytes(rng.randrange(256) for _ in range(N)) for _ in range(3)]


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m7", "cortex-m55"])
def test_outputs_match_python(model_dir, inputs, target, tmp_path):
    b = cm.build(model_dir, NAME, target=target, opt="-O2", inputs=inputs, out_dir=tmp_path)
    r = cm.run(b, timeout=60)
    assert r.outputs == [expected(x) for x in inputs]
    assert r.return_codes == [0] * len(inputs)
    # The model has no data-dependent branches: every inference executes the same instructions.
    assert len(set(r.instructions)) == 1 and r.instructions[0] > N * LOOP
    assert r.layer_instructions == []


def test_instruction_counts_exact_and_linear(model_dir, inputs, tmp_path):
    b1 = cm.build(model_dir, NAME, inputs=inputs[:1], out_dir=tmp_path / "x1")
    first, second = cm.run(b1), cm.run(b1)
    assert first.instructions == second.instructions
    assert first.total_instructions == second.total_instructions
    b2 = cm.build(model_dir, NAME, inputs=inputs[:1], out_dir=tmp_path / "x2",
                  extra_cflags=[f"-DTINY_LOOP={2 * LOOP}"])
    doubled = cm.run(b2)
    assert doubled.outputs == [expected(inputs[0], 2 * LOOP)]
    ratio = doubled.instructions[0] / first.instructions[0]
    assert 1.8 < ratio < 2.05, (first.instructions, doubled.instructions)


def test_layer_profile(model_dir, inputs, tmp_path):
    b = cm.build(model_dir, NAME, inputs=inputs[:2], profile_layers=True, out_dir=tmp_path)
    r = cm.run(b)
    assert r.outputs == [expected(x) for x in inputs[:2]]
    assert len(r.layer_instructions) == 2
    assert r.layer_instructions_per_input[0] == r.layer_instructions_per_input[1] == r.layer_instructions
    assert all(c > 0 for c in r.layer_instructions)
    assert sum(r.layer_instructions) <= r.instructions[0]
    assert r.layer_instructions[0] > r.layer_instructions[1]  # the loop layer dominates
    assert r.layer_instructions[0] > N * LOOP * 2


def test_footprint(model_dir, inputs, tmp_path):
    b = cm.build(model_dir, NAME, target="cortex-m4", opt="-Os", inputs=inputs[:1], out_dir=tmp_path)
    r = cm.run(b)
    assert 16 < b.flash_bytes < 2048
    assert 0 < b.model_linked_flash_bytes <= b.flash_bytes
    assert b.ram_bytes >= N and b.model_linked_ram_bytes >= N  # the arena
    assert b.image_flash_bytes > b.flash_bytes and b.image_ram_bytes >= b.ram_bytes
    assert b.stack_reserved_bytes == cm.DEFAULT_STACK_BYTES
    # Static worst case: tiny_invoke -> layer1 with its 16-byte local array; no calls out of the model.
    # (gcc may clone it as "tiny.c:layer1.constprop.0").
    assert b.stack.exact
    assert b.stack.chain[0] == f"{NAME}_invoke" and b.stack.chain[1].startswith("tiny.c:layer1")
    assert N <= b.max_stack_bytes < 256
    assert b.stack.max_frame_bytes <= b.max_stack_bytes
    assert 0 < r.stack_bytes[0] <= b.max_stack_bytes


def test_errors_are_one_line(model_dir, inputs, tmp_path):
    with pytest.raises(cm.CortexMError, match="unknown target"):
        cm.build(model_dir, NAME, target="cortex-m0", inputs=inputs)
    with pytest.raises(cm.CortexMError, match="tiny.h"):
        cm.build(tmp_path, NAME, inputs=inputs)
    with pytest.raises(cm.CortexMError, match="TINY_INPUT_BYTES 16") as e:
        cm.build(model_dir, NAME, inputs=[b"\0" * (N + 1)], out_dir=tmp_path / "bad")
    assert "\n" not in str(e.value)
    with pytest.raises(cm.CortexMError, match="compiling tiny.c failed: .*error") as e:
        cm.build(model_dir, NAME, inputs=inputs, extra_cflags=["-DTINY_LOOP=+"], out_dir=tmp_path / "bad2")
    assert "\n" not in str(e.value)
