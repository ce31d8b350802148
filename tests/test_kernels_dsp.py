"""The kernels' fast paths against their portable C path (-DMR_PORTABLE), on whole models, both giving TFLM's
bytes: on the Cortex-M4 the Arm DSP path (__sxtb16 / __smlad, the default where __ARM_FEATURE_DSP is defined)
in QEMU, where it also runs fewer instructions; on the Cortex-M55 the Helium path (mr_mve.h) against the DSP-only
build (-DMR_NO_MVE); on an x86 host the SSE2 path (mr_x86.h, the default where __SSE2__ is defined)."""
import glob
import os
import platform
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import BUILT_MODELS, MLPERF, ROOT, read, read_model
from micro_runtime import target_cortexm
from micro_runtime.codegen import generate
from micro_runtime.target_host import HOST_CFLAGS, HostModel
from tflite_patch import load_tflite
from tflite_patch.tflm import random_inputs, run_tflm

INPUTS = 3
needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                               reason="arm-none-eabi-gcc / qemu-system-arm not installed")


# The MLPerf Tiny models, and one float-I/O model (QUANTIZE/DEQUANTIZE at the ends: libm on the target).
MODELS = MLPERF + [os.path.join(BUILT_MODELS, "mcunet-10fps_imagenet.f32io.tflite")]


def tflm_case(path):
    """(model bytes, packed inputs, TFLM's packed outputs) on INPUTS random inputs."""
    data = read_model(path)
    graph = load_tflite(data)
    sets = random_inputs(graph, INPUTS, seed=1)
    expected = [b"".join(np.ascontiguousarray(o).tobytes() for o in outs)
                for outs in run_tflm(data, sets, len(graph.outputs))]
    packed = [b"".join(np.ascontiguousarray(a).tobytes() for a in s) for s in sets]
    return data, packed, expected


# Per Cortex-M target, its fast build and the build it must beat: on the M4 the Arm DSP path against the portable
# C one; on the M55 the Helium path (mr_mve.h) against the DSP-only one (-DMR_NO_MVE: the M4's kernels).
PATHS = {"cortex-m4": (("fast", []), ("slow", ["-DMR_PORTABLE"])),
         "cortex-m55": (("fast", []), ("slow", ["-DMR_NO_MVE"]))}
CM_CASES = [("cortex-m4", p) for p in MODELS] + [("cortex-m55", p) for p in MLPERF]


@pytest.mark.e2e
@needs_arm
@pytest.mark.parametrize("target, path", CM_CASES,
                         ids=[f"{t}-{os.path.basename(p).rsplit('.', 1)[0]}" for t, p in CM_CASES])
def test_fast_and_slower_paths_are_bit_exact_on_cortex_m(target, path, tmp_path):
    """Both builds give TFLM's bytes and the fast one runs fewer instructions; on the M55 the Helium build runs
    vector instructions (the plugin's coprocessor-space count) and the DSP-only one next to none (a few FPU
    register moves gcc emits)."""
    data, packed, expected = tflm_case(path)
    src = tmp_path / "src"
    generate(data, "model", target="cortex-m").write(str(src))
    runs = {}
    for label, flags in PATHS[target]:
        build = target_cortexm.build(src, "model", target=target, opt="-O2", inputs=packed,
                                     extra_cflags=flags, out_dir=tmp_path / label)
        runs[label] = target_cortexm.run(build)
        assert runs[label].outputs == expected, f"{label} path ({flags}) differs from TFLM"
    if target == "cortex-m55" and "ad01" not in path:  # ad01: fully connected only, which stays DSP's
        assert runs["slow"].vector_instructions[0] * 100 < runs["fast"].vector_instructions[0]
        assert runs["fast"].instructions[0] < runs["slow"].instructions[0]
    elif target == "cortex-m4":
        assert runs["fast"].instructions[0] < runs["slow"].instructions[0]


# Every model family the host path meets: the MLPerf Tiny models and the built ImageNet ones (depthwise ring modes
# with and without slack, 1x1 expansions with k <= 8, fused conv + add, 7x7 and 5x5 depthwise).
HOST_MODELS = MODELS + [os.path.join(BUILT_MODELS, f"{stem}_imagenet.int8.tflite")
                        for stem in ("mbv2-w0.35-r144", "mcunet-320kb-1mb", "proxyless-w0.3-r176")]
# The built models' cases are e2e (half a minute together); the MLPerf ones are quick.
HOST_CASES = [pytest.param(p, marks=pytest.mark.e2e) if p.startswith(BUILT_MODELS) else p for p in HOST_MODELS]


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="the SSE2 path is x86-64's")
@pytest.mark.parametrize("path", HOST_CASES, ids=[os.path.basename(p).rsplit(".", 1)[0] for p in HOST_MODELS])
def test_sse2_and_portable_paths_are_bit_exact_on_host(path, tmp_path):
    data, packed, expected = tflm_case(path)
    gen = generate(data, "model")
    for label, flags in (("sse2", ()), ("portable", ("-DMR_PORTABLE",))):
        host = HostModel(gen, work_dir=str(tmp_path / label), cflags=HOST_CFLAGS + flags)
        assert [host.invoke_bytes(p)[0] for p in packed] == expected, f"{label} path differs from TFLM"


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="the SSE2 path is x86-64's")
def test_sse2_and_portable_paths_agree_on_random_shapes(tmp_path):
    """micro_runtime/host/fast_kernels_random.c: every fast kernel on random shapes and quantization, the SSE2
    build against the portable one (-DMR_PORTABLE), output hashes equal case by case; the in-place depthwise
    of a case equal under every scratch size (each selects another mode) and to the out-of-place one."""
    kernels = [f for f in sorted(glob.glob(os.path.join(ROOT, "micro_runtime", "kernels", "*.c")))
               if not f.endswith("_test.c")]
    outputs = {}
    for label, flags in (("sse2", ()), ("portable", ("-DMR_PORTABLE",))):
        exe = str(tmp_path / label)
        subprocess.run(["cc", *HOST_CFLAGS, *flags, "-I", os.path.join(ROOT, "micro_runtime", "include"),
                        os.path.join(ROOT, "micro_runtime", "host", "fast_kernels_random.c"), *kernels, "-lm",
                        "-o", exe], check=True)
        outputs[label] = subprocess.run([exe, "1500", "12345"], check=True, capture_output=True, text=True).stdout
    assert outputs["sse2"] == outputs["portable"]
    lines = outputs["sse2"].splitlines()
    assert len(lines) > 15000
    depthwise = {}
    for line in lines:
        if line.startswith("depthwise"):
            depthwise.setdefault(line.split()[1].rstrip(":"), set()).add(line.split()[-1])
    assert all(len(hashes) == 1 for hashes in depthwise.values())


@pytest.mark.e2e
@needs_arm
@pytest.mark.parametrize("target, cases", [("cortex-m4", 1500), ("cortex-m55", 400)])
def test_fast_and_portable_paths_agree_on_random_shapes_on_cortex_m(target, cases, tmp_path):
    """fast_kernels_random.c built for a Cortex-M core (M4: the Arm DSP path; M55: the Helium path, mr_mve.h, where
    it has one, else DSP) and with -DMR_PORTABLE, run in QEMU: the same hash for every case (im2col convs with any
    in_c, odd output channels and pixel counts, 1x1 convs both ways in place, depthwise modes, fully connected,
    ADD, QUANTIZE, requantization edge cases). The whole-model test above meets only the shapes of four models."""
    kernels = [f for f in sorted(glob.glob(os.path.join(ROOT, "micro_runtime", "kernels", "*.c")))
               if not f.endswith("_test.c")]
    outputs = {}
    for label, flags in (("fast", []), ("portable", ["-DMR_PORTABLE"])):
        elf = target_cortexm.build_program(
            [os.path.join(ROOT, "micro_runtime", "host", "fast_kernels_random.c"), *kernels], tmp_path / label,
            target=target, cflags=["-I", os.path.join(ROOT, "micro_runtime", "include"),
                                   f"-DMR_RANDOM_CASES={cases}", "-DMR_RANDOM_SEED=12345", *flags])
        outputs[label] = target_cortexm.run_program(elf, target=target)
    assert outputs["fast"] == outputs["portable"]
    assert len(outputs["fast"].splitlines()) > 11 * cases
