"""--target=arduino: a valid Arduino library whose example, compiled by arduino-builder for the Uno
(ATmega328P) and the Mega (ATmega2560) and run in simavr, prints TFLM's class and exactly TFLM's output
bytes for its sample, with the model's constants in Flash and only the arena (and small buffers) in SRAM."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from micro_runtime.arduino_library import ArduinoExample
from micro_runtime.codegen import generate, sample_input
from micro_runtime.target_arduino import BOARDS, build_and_run
from model_factory import _tf, convert, tiny_cnn_model
from tflite_patch import load_tflite
from tflite_patch.graph import ModelError
from tflite_patch.tflm import run_tflm

LABELS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
# SRAM beside the arena and the example's input/output buffers: the core's Serial (its two 64-byte rings),
# millis() counters and HardwareSerial's vtable, the example's few variables.
CORE_SRAM_BYTES = 256


@pytest.fixture(scope="module")
def tiny():
    return tiny_cnn_model()


def ds_cnn_model(seed=0):
    """A keyword-spotting DS-CNN (MLPerf Tiny's KWS shape, 49x10 MFCC input, 12 classes) narrowed to 24
    channels so that its arena fits the Mega's 8 KB of SRAM; its weights alone (about 4 KB) would not fit
    beside it. It ends with the logits: a softmax of random weights' logits is uniform in int8."""
    _, keras = _tf()
    keras.utils.set_random_seed(seed)
    blocks = [(keras.layers.DepthwiseConv2D(3, padding="same", activation="relu"),
               keras.layers.Conv2D(24, 1, activation="relu")) for _ in range(4)]
    model = keras.Sequential([keras.Input((49, 10, 1)),
                              keras.layers.Conv2D(24, (10, 4), strides=2, padding="same", activation="relu"),
                              *(layer for block in blocks for layer in block),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(12)])
    return convert(model, (49, 10, 1), seed=seed)


def _quantize(graph, sample):
    """TFLM's QUANTIZE of a float sample (AffineQuantize: float division, half away from zero)."""
    x = graph.tensors[graph.inputs[0]]
    scale, zp = np.float32(x.quant.scale[0]), int(x.quant.zero_point[0])
    v = (sample.astype(np.float32) / scale).astype(np.float64)
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64) + zp
    return np.clip(q, -128, 127).astype(np.int8).reshape(x.shape)


def _tflm_class(data, graph, x, labels):
    y = run_tflm(data, [[x]])[0][0]
    t = graph.tensors[graph.outputs[0]]
    scores = (y.astype(np.float64).reshape(-1) - int(t.quant.zero_point[0])) * float(t.quant.scale[0])
    k = int(np.argmax(scores))
    return y.tobytes(), labels[k], scores[k]


def _constants(lib, name):
    """(names of the model's constant arrays, names of every constant: arrays and parameter structs)."""
    source = (lib / "src" / f"{name}.c").read_text()
    return (re.findall(r"^static const \w+ MR_CONST (\w+)\[", source, re.M),
            re.findall(r"^static const \w+ MR_CONST (\w+)", source, re.M))


def test_library_files_and_refusals(tmp_path, tiny):
    gen = generate(tiny, "tiny", target="arduino", example=ArduinoExample(labels=LABELS))
    props, keywords = gen.files["library.properties"], gen.files["keywords.txt"]
    assert "name=tiny" in props and "includes=tiny.h" in props and "example.invalid" not in props
    assert "tiny_invoke\tKEYWORD2" in keywords and "TINY_ARENA_BYTES\tLITERAL1" in keywords
    assert f"{gen.arena_bytes}-byte arena" in gen.files["README.md"]
    assert '"nine\\n"' in gen.files["examples/tiny/tiny.ino"]
    for example, message in [(ArduinoExample(labels=LABELS[:3]), "3 labels for an output of 10"),
                             (ArduinoExample(sample=np.zeros(63, np.float32)), "63 values"),
                             (ArduinoExample(sample=np.full(64, 300)), "do not fit the input's int8"),
                             (ArduinoExample(sample=np.full(64, np.nan, np.float32)), "NaN")]:
        with pytest.raises(ModelError, match=message):
            generate(tiny, "tiny", target="arduino", example=example)
    with pytest.raises(ModelError, match="use target arduino"):
        generate(tiny, "tiny", example=ArduinoExample(labels=LABELS))


KERNEL_SOURCES = [os.path.join(ROOT, "micro_runtime", d, f) for d in ("include", "kernels")
                  for f in sorted(os.listdir(os.path.join(ROOT, "micro_runtime", d)))
                  if f.endswith((".c", ".h")) and not f.endswith("_test.c")]


def test_kernels_take_parameter_structs_as_mr_const():
    """The generator emits every parameter struct MR_CONST (in Flash on AVR): a kernel or helper that takes one
    through a plain pointer would read SRAM there."""
    types = re.findall(r"} (mr_\w+);", open(os.path.join(ROOT, "micro_runtime", "include", "mr_types.h")).read())
    plain = re.compile(rf"(?<!MR_CONST )\b(?:{'|'.join(types)}) \*")
    found = [f"{os.path.basename(path)}: {line.strip()}" for path in KERNEL_SOURCES
             for line in open(path) if "const" in line and plain.search(line.split("const", 1)[1])]
    assert found == []


@pytest.mark.e2e
@pytest.mark.parametrize("checked", [[], ["-DMR_CHECKED"]], ids=["plain", "checked"])
def test_kernels_compile_for_avr_without_reading_flash_through_plain_pointers(tmp_path, checked):
    """Also with MR_CHECKED, whose entry checks read extents from the (Flash) parameter structs."""
    include = os.path.join(ROOT, "micro_runtime", "include")
    sources = [p for p in KERNEL_SOURCES if p.endswith(".c")]
    res = subprocess.run(["avr-gcc", "-mmcu=atmega2560", "-std=gnu11", "-Os", "-fsyntax-only", *checked,
                          "-Werror=addr-space-convert", "-I", include, *sources], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[:2000]


@pytest.mark.e2e
def test_codegen_script_takes_sample_and_labels_and_refuses_a_wrong_sample_in_one_line(tmp_path, tiny):
    (tmp_path / "m.tflite").write_bytes(tiny)
    np.save(tmp_path / "x.npy", np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8, 1))
    np.save(tmp_path / "short.npy", np.zeros(3, np.float32))
    (tmp_path / "labels.txt").write_text("\n".join(LABELS) + "\n")

    def codegen(sample, out):
        return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "codegen.py"),
                               f"--tflite={tmp_path / 'm.tflite'}", f"--out_dir={tmp_path / out}", "--name=tiny",
                               "--target=arduino", f"--sample={tmp_path / sample}",
                               f"--labels={tmp_path / 'labels.txt'}"], capture_output=True, text=True, timeout=120)

    res = codegen("x.npy", "lib")
    assert res.returncode == 0, res.stderr
    sketch = (tmp_path / "lib" / "examples" / "tiny" / "tiny.ino").read_text()
    assert "quantize_sample();" in sketch and '"seven\\n"' in sketch and "-1.0f, " in sketch
    res = codegen("short.npy", "bad")
    assert res.returncode != 0 and not (tmp_path / "bad").exists()
    assert res.stderr.strip().splitlines() == [f"error: {tmp_path / 'm.tflite'}: the sample has 3 values; the input "
                                               "int8 [1, 8, 8, 1] takes 64"]


@pytest.mark.e2e
def test_uno_float_sample_prints_tflm_class_with_weights_in_flash(tmp_path, tiny):
    """The sketch quantizes a float sample; on the Uno (2 KB SRAM) the constants stay in Flash."""
    graph = load_tflite(tiny)
    sample = np.random.default_rng(3).uniform(-1, 1, 64).astype(np.float32)
    gen = generate(tiny, "tiny", target="arduino", example=ArduinoExample(sample=sample, labels=LABELS))
    lib = tmp_path / "tiny"
    gen.write(str(lib))
    expected, label, score = _tflm_class(tiny, graph, _quantize(graph, sample), LABELS)
    run = build_and_run(str(lib), "tiny", *BOARDS["uno"])
    assert (run.rc, run.output, run.label) == (0, expected, label)
    assert abs(run.score - score) <= 0.6e-4 * abs(score)  # printed as d.dddde<exponent>
    arrays, constants = _constants(lib, "tiny")
    assert arrays and set(arrays) <= set(run.flash_symbols)  # structs may be folded into the code
    assert not set(constants) & set(run.ram_symbols)
    sram = run.sections[".data"] + run.sections[".bss"]
    assert sram <= gen.arena_bytes + sum(gen.input_bytes) + sum(gen.output_bytes) + CORE_SRAM_BYTES


@pytest.mark.e2e
def test_mega_kws_sized_model_fits_sram_and_equals_tflm(tmp_path):
    data = ds_cnn_model()
    graph = load_tflite(data)
    gen = generate(data, "kws", target="arduino")
    lib = tmp_path / "kws"
    gen.write(str(lib))
    x = np.frombuffer(sample_input(graph), dtype=np.int8).reshape(graph.tensors[graph.inputs[0]].shape)
    expected, label, score = _tflm_class(data, graph, x, [str(k) for k in range(12)])
    run = build_and_run(str(lib), "kws", *BOARDS["mega"])
    assert (run.rc, run.output, run.label) == (0, expected, label)
    assert abs(run.score - score) <= 0.6e-4 * abs(score)
    arrays, constants = _constants(lib, "kws")
    assert not set(constants) & set(run.ram_symbols)
    assert sum(run.flash_symbols[n] for n in arrays) >= 4000  # the weights
    sram = run.sections[".data"] + run.sections[".bss"]
    assert sram <= gen.arena_bytes + sum(gen.input_bytes) + sum(gen.output_bytes) + CORE_SRAM_BYTES


@pytest.mark.e2e
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
