"""The kernels' fast paths against their portable C path (-DMR_PORTABLE), on whole models, both giving TFLM's
bytes: on the Cortex-M4 the Arm DSP path (__sxtb16 / __smlad, the default where __ARM_FEATURE_DSP is defined)
in QEMU, where it also runs fewer instructions; on an x86 host the SSE2 path (mr_x86.h, the default where
__SSE2__ is defined)."""
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


@pytest.mark.e2e
@needs_arm
@pytest.mark.parametrize("path", MODELS, ids=[os.path.basename(p).rsplit(".", 1)[0] for p in MODELS])
def test_dsp_and_portable_paths_are_bit_exact_on_cortex_m4(path, tmp_path):
    data, packed, expected = tflm_case(path)
    src = tmp_path / "src"
    generate(data, "model", target="cortex-m").write(str(src))
    instructions = {}
    for label, flags in (("dsp", []), ("portable", ["-DMR_PORTABLE"])):
        build = target_cortexm.build(src, "model", target="cortex-m4", opt="-O2", inputs=packed,
                                     extra_cflags=flags, out_dir=tmp_path / label)
        run = target_cortexm.run(build)
        assert run.outputs == expected, f"{label} path differs from TFLM"
        instructions[label] = run.instructions[0]
    assert instructions["dsp"] < instructions["portable"], instructions


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
def test_dsp_and_portable_paths_agree_on_random_shapes_on_cortex_m4(tmp_path):
    """fast_kernels_random.c built for the Cortex-M4 (the Arm DSP path) and with -DMR_PORTABLE, run in QEMU: the
    same hash for every case (im2col convs with any in_c, odd output channels and pixel counts, 1x1 convs both
    ways in place, depthwise modes, fully connected, ADD, QUANTIZE). The whole-model test above meets only the
    shapes of four models."""
    kernels = [f for f in sorted(glob.glob(os.path.join(ROOT, "micro_runtime", "kernels", "*.c")))
               if not f.endswith("_test.c")]
    outputs = {}
    for label, flags in (("dsp", []), ("portable", ["-DMR_PORTABLE"])):
        elf = target_cortexm.build_program(
            [os.path.join(ROOT, "micro_runtime", "host", "fast_kernels_random.c"), *kernels], tmp_path / label,
            cflags=["-I", os.path.join(ROOT, "micro_runtime", "include"), "-DMR_RANDOM_CASES=1500",
                    "-DMR_RANDOM_SEED=12345", *flags])
        outputs[label] = target_cortexm.run_program(elf)
    assert outputs["dsp"] == outputs["portable"]
    assert len(outputs["dsp"].splitlines()) > 15000


@pytest.mark.e2e
@needs_arm
@pytest.mark.parametrize("opt", ["-O0", "-O1", "-O3", "-Os"])
def test_every_optimisation_level_builds_and_is_bit_exact_on_cortex_m4(opt, tmp_path):
    """The DSP cores' assembly needs 14 registers: at -O0 gcc keeps a frame pointer and mr_dsp.h falls back to the
    portable path (it failed to compile there before); every level gives TFLM's bytes."""
    data, packed, expected = tflm_case(os.path.join(os.path.dirname(MLPERF[0]), "kws_ref_model.tflite"))
    src = tmp_path / "src"
    generate(data, "model", target="cortex-m").write(str(src))
    build = target_cortexm.build(src, "model", target="cortex-m4", opt=opt, inputs=packed[:1], out_dir=tmp_path / "b")
    assert target_cortexm.run(build).outputs == expected[:1]


@pytest.mark.e2e
@needs_arm
def test_requantization_forms_are_exact_on_cortex_m4(tmp_path):
    """micro_runtime/kernels/requantize_test.c on the Cortex-M4 (QEMU): the forms with Arm assembly (SMLAL in
    mr_requant_apply_right, SMMLAR in mr_requantize_doubled) equal TFLM's MultiplyByQuantizedMultiplier."""
    elf = target_cortexm.build_program([os.path.join(ROOT, "micro_runtime", "kernels", "requantize_test.c")],
                                       tmp_path, cflags=["-I", os.path.join(ROOT, "micro_runtime", "include")])
    out = target_cortexm.run_program(elf)
    assert out.strip().endswith("checked, 0 failures"), out
    assert int(out.split("requantize_test: ")[1].split()[0]) > 10_000_000


@pytest.mark.e2e
@needs_arm
def test_bench_stack_is_the_larger_of_the_call_graph_bound_and_the_measured_mark():
    """gcc's call graph cannot follow the depthwise kernel's calls through its table of instances (the bound is then
    not exact and was 348 B short on VWW): bench reports the measured high-water mark when it is larger. Under the
    issue's 2 kB."""
    from micro_runtime.bench import bench_model
    r = bench_model(read(os.path.join(os.path.dirname(MLPERF[0]), "kws_ref_model.tflite")), "kws", inputs=1,
                    target="cortex-m4", cm_inputs=1, tflite_interpreter=False, log=lambda s: None)
    assert r.cm4_bit_exact
    assert r.ours_stack_bytes_measured > 0 and r.ours_stack_bytes_static > 0
    assert r.ours_stack_bytes == max(r.ours_stack_bytes_static, r.ours_stack_bytes_measured) < 2048


# The depthwise code unrolled for 5x5 and 7x7 windows: its ring instances (mr_dw_dsp_k5s1n0 ...), block pixels
# (mr_dw_block_pixels5 ...) and the tables a call passes (mr_depthwise_k5, mr_depthwise_k7).
UNROLLED_5_7 = re.compile(r"(_k|pixels)[57]")


def depthwise_code(elf) -> dict[str, int]:
    """The depthwise kernels' functions and tables in a linked image, with their sizes in bytes."""
    nm = subprocess.run([target_cortexm.NM, "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in nm.splitlines()]
    return {r[3]: int(r[1], 16) for r in rows if len(r) == 4 and r[3].startswith(("mr_dw_", "mr_depthwise_"))}


@pytest.fixture(scope="module")
def mcunet_m4(tmp_path_factory):
    """mcunet-10fps (3x3, 5x5 and 7x7 depthwise) generated and built for the Cortex-M4, on one input."""
    tmp = tmp_path_factory.mktemp("mcunet_m4")
    data, packed, expected = tflm_case(os.path.join(BUILT_MODELS, "mcunet-10fps_imagenet.int8.tflite"))
    generate(data, "model", target="cortex-m").write(str(tmp / "src"))
    build = target_cortexm.build(tmp / "src", "model", target="cortex-m4", opt="-O2", inputs=packed[:1],
                                 out_dir=tmp / "unrolled")
    return tmp, build, packed[:1], expected[:1]


@needs_arm
def test_a_3x3_only_model_links_no_5x5_or_7x7_depthwise_code(mcunet_m4, tmp_path):
    """A depthwise call passes the code unrolled for its window (&mr_depthwise_k3, _k5, _k7), and --gc-sections keeps
    only the sizes some call names: KWS (3x3 depthwise only) links none of the 5x5/7x7 code, mcunet-10fps all of it,
    4.6 kB more depthwise code. Every model folder gets the same kernel files."""
    gen = generate(read(os.path.join(os.path.dirname(MLPERF[0]), "kws_ref_model.tflite")), "model", target="cortex-m")
    gen.write(str(tmp_path / "src"))
    kws = target_cortexm.build(tmp_path / "src", "model", target="cortex-m4", opt="-O2",
                               inputs=[bytes(sum(gen.input_bytes))], out_dir=tmp_path / "kws")
    _, mcunet, _, _ = mcunet_m4
    small, large = depthwise_code(kws.elf), depthwise_code(mcunet.elf)
    assert "mr_depthwise_k3" in small and not [name for name in small if UNROLLED_5_7.search(name)]
    assert {"mr_depthwise_k5", "mr_depthwise_k7", "mr_dw_block_pixels5", "mr_dw_dsp_k7s2n0"} <= set(large)
    assert sum(large.values()) - sum(small.values()) > 4500, (sum(small.values()), sum(large.values()))


@needs_arm
def test_a_5x5_and_7x7_model_takes_the_code_unrolled_for_its_windows(mcunet_m4):
    """mcunet-10fps' 5x5 and 7x7 depthwise calls pass &mr_depthwise_k5 / _k7: the model runs fewer instructions than
    with NULL in their place (the general code, which then links none of it: 13.04M against 13.36M), both giving
    TFLM's bytes."""
    tmp, unrolled, packed, expected = mcunet_m4
    source = (tmp / "src" / "model.c").read_text()
    assert "&mr_depthwise_k5," in source and "&mr_depthwise_k7," in source
    (tmp / "src" / "model.c").write_text(source.replace("&mr_depthwise_k5,", "NULL,").replace("&mr_depthwise_k7,",
                                                                                              "NULL,"))
    general = target_cortexm.build(tmp / "src", "model", target="cortex-m4", opt="-O2", inputs=packed,
                                   out_dir=tmp / "general")
    runs = {label: target_cortexm.run(build) for label, build in (("unrolled", unrolled), ("general", general))}
    assert runs["unrolled"].outputs == runs["general"].outputs == expected
    assert runs["unrolled"].instructions[0] < 0.99 * runs["general"].instructions[0], runs  # 2.4% fewer
    assert not [name for name in depthwise_code(general.elf) if UNROLLED_5_7.search(name)]
