"""The Cortex-M4 kernels: the Arm DSP path (__sxtb16 / __smlad, the default where __ARM_FEATURE_DSP is
defined) and the portable C path (-DMR_PORTABLE) both give TFLM's bytes on whole MLPerf Tiny models in
QEMU, and the DSP path runs fewer instructions."""
import os
import shutil

import numpy as np
import pytest

from conftest import BUILT_MODELS, MLPERF, read
from micro_runtime import target_cortexm
from micro_runtime.codegen import generate
from tflite_patch import load_tflite
from tflite_patch.tflm import random_inputs, run_tflm

INPUTS = 3
needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                               reason="arm-none-eabi-gcc / qemu-system-arm not installed")


# The MLPerf Tiny models, and one float-I/O model (QUANTIZE/DEQUANTIZE at the ends: libm on the target).
MODELS = MLPERF + [os.path.join(BUILT_MODELS, "mcunet-10fps_imagenet.f32io.tflite")]


@needs_arm
@pytest.mark.parametrize("path", MODELS, ids=[os.path.basename(p).rsplit(".", 1)[0] for p in MODELS])
def test_dsp_and_portable_paths_are_bit_exact_on_cortex_m4(path, tmp_path):
    data = read(path)
    graph = load_tflite(data)
    sets = random_inputs(graph, INPUTS, seed=1)
    expected = [b"".join(np.ascontiguousarray(o).tobytes() for o in outs)
                for outs in run_tflm(data, sets, len(graph.outputs))]
    packed = [b"".join(np.ascontiguousarray(a).tobytes() for a in s) for s in sets]
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
