"""scripts/export.py: QAT + int8 conversion of a saved tf_keras model, and what a kill leaves behind."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def keras_model(tmp_path_factory):
    from mcunet_tf import data, zoo
    from mcunet_tf.space import BlockConfig, SubnetConfig
    cfg = SubnetConfig(resolution=16, first_conv_channels=8, num_classes=10, blocks=[
        BlockConfig(3, 1, 8), BlockConfig(3, 3, 16, stride=2), BlockConfig(5, 3, 16, residual=True)])
    model = zoo.build_keras_model(cfg)
    (x, y), _ = data.digits(16)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("keras") / "tiny.keras"
    model.save(path)
    return path


def export_args(keras_model, out):
    return [sys.executable, os.path.join(ROOT, "scripts", "export.py"), f"--keras_model={keras_model}",
            "--data=digits", "--qat_epochs=1", f"--out={out}"]


@pytest.mark.e2e
def test_export_writes_an_int8_model_that_tflm_runs(keras_model, tmp_path):
    from tflite_patch import load_tflite
    from tflite_patch.tflm import random_inputs, run_tflm
    out = tmp_path / "out" / "tiny.tflite"
    res = subprocess.run(export_args(keras_model, out), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "quantization-aware training 1 epochs" in res.stdout and f"wrote {out}" in res.stdout
    graph = load_tflite(out.read_bytes())
    assert graph.tensors[graph.inputs[0]].dtype == "int8"
    outputs = run_tflm(out.read_bytes(), random_inputs(graph, 2))
    assert len(outputs) == 2 and outputs[0][0].dtype == np.int8 and outputs[0][0].shape == (1, 10)
    assert os.listdir(out.parent) == ["tiny.tflite"]


@pytest.mark.e2e
def test_sigkill_during_export_leaves_no_file(keras_model, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = subprocess.Popen(export_args(keras_model, out_dir / "tiny.tflite"), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()  # printed once the model is loaded, before QAT and conversion
    assert "quantization-aware training" in line, line
    time.sleep(2.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert os.listdir(out_dir) == []


def test_missing_model_is_one_line(tmp_path):
    res = subprocess.run(export_args(tmp_path / "nope.keras", tmp_path / "o.tflite"), capture_output=True,
                         text=True, timeout=300)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith(("WARNING", "I0000",
                                                                                       "E0000", "W0000"))]
    assert res.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: cannot load"), res.stderr
    assert os.listdir(tmp_path) == []
