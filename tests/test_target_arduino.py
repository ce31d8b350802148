"""--target=arduino: a valid Arduino library whose example, compiled by arduino-builder for the Mega
(ATmega2560) and run in simavr, prints exactly TFLM's output bytes."""

import numpy as np
import pytest

from micro_runtime.codegen import generate, sample_input
from micro_runtime.target_arduino import build_and_run
from model_factory import tiny_cnn_model
from tflite_patch import load_tflite
from tflite_patch.tflm import run_tflm

pytestmark = pytest.mark.e2e


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


def test_two_model_libraries_in_one_sketch_link_and_both_equal_tflm(tmp_path):
    """Each library carries the kernels; `dot_a_linkage` makes the linker take them once."""
    from micro_runtime.target_arduino import build_and_run_sketch
    from model_factory import pad_conv_model
    models = {"ta": tiny_cnn_model(), "tb": pad_conv_model(((1, 1), (1, 1)), size=8)}
    libs, lines, want = {}, [], []
    for name, data in models.items():
        generate(data, name, target="arduino").write(str(tmp_path / name))
        libs[name] = str(tmp_path / name)
        graph = load_tflite(data)
        raw = sample_input(graph)
        x = np.frombuffer(raw, dtype=np.int8).reshape(graph.tensors[graph.inputs[0]].shape)
        want.append(f"{name} " + run_tflm(data, [[x]])[0][0].tobytes().hex().upper())
        lines += [f"#include <{name}.h>", f"static const uint8_t {name}_in[] = {{{','.join(map(str, raw))}}};",
                  f"static uint8_t {name}_out[{name.upper()}_OUTPUT_BYTES];"]
    lines.append("void setup() {\n  Serial.begin(115200);")
    for name in models:
        lines += [f"  {name}_invoke({name}_in, {name}_out);", f'  Serial.print("{name} ");',
                  f"  for (unsigned i = 0; i < sizeof {name}_out; ++i) {{",
                  f"    if ({name}_out[i] < 16) Serial.print('0');", f"    Serial.print({name}_out[i], HEX);", "  }",
                  "  Serial.println();"]
    lines += ['  Serial.println("done");', "}", "void loop() {}", ""]
    printed = build_and_run_sketch(libs, "\n".join(lines))
    # simavr wraps long UART lines and shows the CR LF of println as "..": undo both
    printed = printed.replace("\n", "").replace("..", "\n")
    assert [ln.strip() for ln in printed.splitlines() if ln.startswith(("ta ", "tb "))] == want
