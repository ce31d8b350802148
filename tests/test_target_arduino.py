"""--target=arduino: a valid Arduino library whose example, compiled by arduino-builder for the Mega
(ATmega2560) and run in simavr, prints exactly TFLM's output bytes."""

import numpy as np

from micro_runtime.codegen import generate, sample_input
from micro_runtime.target_arduino import build_and_run
from model_factory import tiny_cnn_model
from tflite_patch import load_tflite
from tflite_patch.tflm import run_tflm


def test_arduino_library_layout_and_simavr_output_equals_tflm(tmp_path):
    data = tiny_cnn_model()
    gen = generate(data, "tiny", target="arduino")
    lib = tmp_path / "tiny"
    gen.write(str(lib))
    props = (lib / "library.properties").read_text()
    assert "name=tiny" in props and "includes=tiny.h" in props
    assert (lib / "src" / "tiny.h").exists() and (lib / "src" / "tiny.c").exists()
    assert (lib / "examples" / "tiny" / "tiny.ino").exists()

    graph = load_tflite(data)
    x = np.frombuffer(sample_input(graph), dtype=np.int8).reshape(graph.tensors[graph.inputs[0]].shape)
    expected = run_tflm(data, [[x]])[0][0].tobytes()
    run = build_and_run(str(lib), "tiny")
    assert run.rc == 0
    assert run.output == expected
    assert 0 < run.ram_bytes < 8192 and run.flash_bytes > 0
