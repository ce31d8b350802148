"""A command's stderr without TensorFlow's C++ start-up lines and the converter's prints (mcunet_tf/cli/quiet.py),
everything else copied through in order; --verbose shows them."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

# Lines as TF 2.21 and its converter print them (the C++ side writes to descriptor 2 directly).
NOISE_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796691920.885601   30004 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "I0000 00:00:1796691920.886116   30004 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU "
    "will not be used.",
    "E0000 00:00:1796691943.279033   30004 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
    "Failed call to cuInit: UNKNOWN ERROR (303)",
    "fully_quantize: 0, inference_type: 6, input_inference_type: INT8, output_inference_type: INT8",
]
KEPT = ["progress: epoch 1", "W1208 warning: not a C++ log line", "Traceback (most recent call last):",
        "error: the real message"]

WRITER = """
import os, subprocess, sys
from mcunet_tf.cli.quiet import filtered_stderr
noise, kept = {noise!r}, {kept!r}
with filtered_stderr():
    for a, b in zip(noise, kept):
        os.write(2, (a + "\\n" + b[:5]).encode())  # a line cut in two writes
        os.write(2, (b[5:] + "\\n").encode())
    subprocess.run(["sh", "-c", "echo '" + noise[1] + "' >&2; echo child >&2"], check=True)
    print("python", file=sys.stderr)
print("after", file=sys.stderr)
"""


def test_noise_is_dropped_and_the_rest_kept_in_order():
    res = subprocess.run([sys.executable, "-c", WRITER.format(noise=NOISE_LINES, kept=KEPT)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stderr.splitlines() == [*KEPT, "child", "python", "after"]


@pytest.mark.e2e
def test_export_stderr_is_quiet_unless_verbose(tmp_path):
    """A real run: TF starts, the model is converted; its stderr is empty, with --verbose it has TF's lines."""
    make = ("import tf_keras as k; k.Sequential([k.Input((8, 8, 1)), k.layers.Conv2D(4, 3, activation='relu'), "
            f"k.layers.Flatten(), k.layers.Dense(10)]).save({str(tmp_path / 'm.keras')!r})")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    subprocess.run([sys.executable, "-c", make], check=True, capture_output=True, env=env, timeout=300)
    runs = {}
    for verbose in ([], ["--verbose"]):
        runs[bool(verbose)] = subprocess.run(
            [sys.executable, "-m", "mcunet_tf", "export", f"--keras_model={tmp_path / 'm.keras'}", "--data=digits",
             "--ptq", f"--out={tmp_path / 'm.tflite'}", *verbose], cwd=ROOT, capture_output=True, text=True,
            timeout=600)
    for res in runs.values():
        assert res.returncode == 0 and "in our C" in res.stdout, res.stderr
    assert runs[False].stderr == ""
    assert "cuInit" in runs[True].stderr or "oneDNN" in runs[True].stderr
