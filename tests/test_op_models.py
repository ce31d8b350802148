"""Models TF's converter makes from tf_keras (scripts/build_op_models.py: a Conv1D audio model, PReLU and
LeakyReLU, GATHER / STRIDED_SLICE / PACK / SPLIT): bit-exact with TFLM on 100 inputs on the host and 10 on
the Cortex-M4 in QEMU. The models are built (cached under build/op_models/) the first time."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from micro_runtime.bench import bench_model

MODELS = ["kws_conv1d", "activations", "gather_slice", "unet"]
OUT_DIR = os.path.join(ROOT, "build", "op_models")

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
    reason="needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm")]


@pytest.fixture(scope="module")
def models():
    """name -> .tflite bytes, built by the script where missing."""
    missing = [m for m in MODELS if not os.path.exists(os.path.join(OUT_DIR, f"{m}.tflite"))]
    if missing:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "build_op_models.py"), f"--out_dir={OUT_DIR}",
                        f"--models={','.join(missing)}"], check=True, capture_output=True, timeout=900)
    return {m: open(os.path.join(OUT_DIR, f"{m}.tflite"), "rb").read() for m in MODELS}


@pytest.mark.parametrize("name", MODELS)
def test_op_model_is_bit_exact_on_host_and_cortex_m4(models, name):
    result = bench_model(models[name], name, inputs=100, target="cortex-m4", cm_inputs=10, tflite_interpreter=False,
                         log=lambda s: None)
    assert (result.bit_exact, result.inputs_checked) == (True, 100)
    assert (result.cm4_bit_exact, result.cm4_inputs_checked) == (True, 10)
