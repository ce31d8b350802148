"""The Arduino library `codegen --target=arduino` writes: library.properties, README.md, keywords.txt, the
generated sources in src/ and examples/<name>/<name>.ino, a sketch that runs one inference on a sample input
and prints the class it finds.

The sample and the labels are the user's (`ArduinoExample`); without them the sketch takes the deterministic
input of `codegen.sample_input` and prints class indices. A float sample is quantized by the sketch as TFLM's
QUANTIZE does (AffineQuantize); the first output is dequantized, and its argmax is the class.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from micro_runtime.lowering.base import C_TYPES, c_array
from tflite_patch.graph import Graph, ModelError

_RANGES = {"int8": (-128, 127), "uint8": (0, 255)}


@dataclasses.dataclass
class ArduinoExample:
    """What the example sketch runs: `sample`, the model's input (float values, quantized by the sketch, or
    values of the input's own type), and `labels`, one per value of the first output. None: the
    deterministic sample of `codegen.sample_input` and class indices."""
    sample: np.ndarray | None = None
    labels: list[str] | None = None


def library_files(files: dict[str, str], graph: Graph, name: str, default_sample: bytes,
                  example: ArduinoExample | None, arena_bytes: int, constant_bytes: int) -> dict[str, str]:
    """The library's files (relative path -> text) around the generated `files`. Raises `ModelError` (one
    line) for a sample or labels that do not fit the model."""
    example = example or ArduinoExample()
    labels = _labels(graph, example.labels)
    sample_decl = _sample(graph, example.sample, default_sample)
    lib = {f"src/{fname}": text for fname, text in files.items()}
    lib["library.properties"] = "\n".join([
        f"name={name}", "version=0.1.0", "author=mcunet-tf", "maintainer=mcunet-tf",
        f"sentence={name}: an int8 neural network compiled to C by mcunet-tf.",
        "paragraph=Static arena, no heap, no interpreter; bit-exact with TF Lite Micro. Weights stay in Flash.",
        "category=Data Processing", "architectures=*", f"includes={name}.h",
        # Compiled into an archive: with two model libraries in one sketch, the linker takes each kernel
        # (the same bytes in both) from the first archive that has it instead of failing on duplicates.
        "dot_a_linkage=true", ""])
    lib["keywords.txt"] = _keywords(name)
    lib["README.md"] = _readme(graph, name, arena_bytes, constant_bytes, example)
    lib[f"examples/{name}/{name}.ino"] = _sketch(graph, name, sample_decl, labels)
    return lib


def _labels(graph: Graph, labels: list[str] | None) -> list[str]:
    n = int(np.prod(graph.tensors[graph.outputs[0]].shape))
    if labels is None:
        return [str(k) for k in range(n)]
    if len(labels) != n:
        raise ModelError(f"{len(labels)} labels for an output of {n} values")
    if any(not label or "\n" in label for label in labels):
        raise ModelError("a label is empty or spans lines")
    return list(labels)


def _sample(graph: Graph, sample: np.ndarray | None, default_sample: bytes) -> tuple[str, str]:
    """(C declaration of the PROGMEM sample, how setup() fills `input`: "copy" or "quantize")."""
    raw = "static const uint8_t sample[{n}] PROGMEM = {values};"
    if sample is None:
        values = np.frombuffer(default_sample, dtype=np.uint8)
        return raw.format(n=values.size, values=c_array(values)), "copy"
    if len(graph.inputs) != 1:
        raise ModelError(f"a sample is one input; the model has {len(graph.inputs)}")
    x = graph.tensors[graph.inputs[0]]
    sample = np.asarray(sample)
    if sample.size != int(np.prod(x.shape)):
        raise ModelError(f"the sample has {sample.size} values; the input {x.dtype} {list(x.shape)} takes "
                         f"{int(np.prod(x.shape))}")
    if np.issubdtype(sample.dtype, np.floating) and x.dtype in _RANGES and x.quant is not None:
        values = sample.astype(np.float32).reshape(-1)
        if not np.all(np.isfinite(values)):
            raise ModelError("the sample holds NaN or infinite values")
        floats = ", ".join(f"{float(v)!r}f" for v in values)
        return f"static const float sample[{values.size}] PROGMEM = {{{floats}}};", "quantize"
    cast = sample.astype(x.dtype)
    if not np.array_equal(cast, sample):
        raise ModelError(f"the sample's {sample.dtype} values do not fit the input's {x.dtype}")
    values = np.frombuffer(np.ascontiguousarray(cast).tobytes(), dtype=np.uint8)
    return raw.format(n=values.size, values=c_array(values)), "copy"


def _c_string(text: str) -> str:
    """A C string literal of `text` (UTF-8), every byte outside printable ASCII escaped in octal."""
    out = []
    for b in text.encode():
        ch = chr(b)
        out.append("\\n" if ch == "\n" else f"\\{ch}" if ch in '\\"' else ch if 32 <= b < 127 and ch != "?"
                   else f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def _sketch(graph: Graph, name: str, sample: tuple[str, str], labels: list[str]) -> str:
    upper = name.upper()
    x, y = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    decl, fill = sample
    y_type = C_TYPES[y.dtype]
    dequantize = y.dtype != "float32" and y.quant is not None
    value = (f"((float)((const {y_type} *)output)[k] - {upper}_OUTPUT0_ZERO_POINT) * {upper}_OUTPUT0_SCALE"
             if dequantize else f"(float)((const {y_type} *)output)[k]")
    lines = [f"// {name}: one inference of the generated model on a sample input; prints the class (the first",
             "// output's argmax), its score (the output dequantized) and the output bytes in hex.",
             f"#include <{name}.h>", "#include <math.h>", "#include <string.h>", "#if defined(__AVR__)",
             "#include <avr/pgmspace.h>", "#else", "#define PROGMEM", "#define memcpy_P memcpy",
             "#define pgm_read_byte(p) (*(const uint8_t *)(p))", "#define pgm_read_float(p) (*(const float *)(p))",
             "#endif", "", decl, "// One label per value of the first output, each ended by a newline.",
             "static const char labels[] PROGMEM =",
             *[f"    {_c_string(label + chr(10))}" for label in labels[:-1]],
             f"    {_c_string(labels[-1] + chr(10))};",
             f"static uint8_t input[{upper}_INPUT_BYTES];", f"static uint8_t output[{upper}_OUTPUT_BYTES];",
             f"static const unsigned classes = {upper}_OUTPUT0_BYTES / sizeof({y_type});", ""]
    if fill == "quantize":
        lo, hi = _RANGES[x.dtype]
        x_type = C_TYPES[x.dtype]
        lines += ["// TFLM's QUANTIZE (AffineQuantize): x / scale rounded half away from zero, plus the zero point,",
                  "// clamped to the input type.", "static void quantize_sample() {",
                  "  for (unsigned i = 0; i < sizeof sample / sizeof sample[0]; ++i) {",
                  f"    long q = (long)round(pgm_read_float(&sample[i]) / {upper}_INPUT0_SCALE) + "
                  f"{upper}_INPUT0_ZERO_POINT;", f"    q = q < {lo} ? {lo} : (q > {hi} ? {hi} : q);",
                  f"    (({x_type} *)input)[i] = ({x_type})q;", "  }", "}", ""]
    lines += ["// Value k of the first output" + (", dequantized." if dequantize else "."),
              "static float value(unsigned k) {", f"  return {value};", "}", "",
              "// v as d.dddde<exponent>: four significant decimals whatever the output's scale.",
              "static void print_score(float v) {", "  int e = 0;",
              "  while (v != 0 && fabs(v) >= 10) { v /= 10; ++e; }",
              "  while (v != 0 && fabs(v) < 1) { v *= 10; --e; }", "  Serial.print(v, 4);", "  Serial.print('e');",
              "  Serial.println(e);", "}", "",
              "static void print_label(unsigned k) {", "  const char *p = labels;",
              "  while (k) if (pgm_read_byte(p++) == '\\n') --k;",
              "  for (char c; (c = (char)pgm_read_byte(p++)) != '\\n';) Serial.print(c);", "}", "",
              "void setup() {", "  Serial.begin(115200);",
              "  quantize_sample();" if fill == "quantize" else "  memcpy_P(input, sample, sizeof input);",
              f"  int rc = {name}_invoke(input, output);", '  Serial.print("rc ");', "  Serial.println(rc);",
              "  unsigned best = 0;", "  for (unsigned k = 1; k < classes; ++k)",
              "    if (value(k) > value(best)) best = k;",
              '  Serial.print("label ");', "  print_label(best);", "  Serial.println();",
              '  Serial.print("score ");', "  print_score(value(best));", '  Serial.print("out ");',
              "  for (unsigned i = 0; i < sizeof output; ++i) {", "    if (output[i] < 16) Serial.print('0');",
              "    Serial.print(output[i], HEX);", "  }", "  Serial.println();", '  Serial.println("done");', "}",
              "", "void loop() {}", ""]
    return "\n".join(lines)


def _keywords(name: str) -> str:
    """keywords.txt: the Arduino IDE colours the API's functions and constants."""
    upper = name.upper()
    functions = [f"{name}_{fn}" for fn in ("invoke", "invoke_n", "input", "output", "run")]
    constants = [f"{upper}_{c}" for c in ("ARENA_BYTES", "INPUT_BYTES", "OUTPUT_BYTES", "NUM_INPUTS",
                                          "NUM_OUTPUTS")]
    return "\n".join([f"{name}\tKEYWORD1", *(f"{fn}\tKEYWORD2" for fn in functions),
                      *(f"{c}\tLITERAL1" for c in constants), ""])


def _tensor_line(graph: Graph, t: int) -> str:
    tensor = graph.tensors[t]
    quant = (f", scale {float(tensor.quant.scale[0]):.6g}, zero point {int(tensor.quant.zero_point[0])}"
             if tensor.quant is not None else "")
    return f"{tensor.dtype} {'x'.join(str(d) for d in tensor.shape)}{quant}"


def _readme(graph: Graph, name: str, arena_bytes: int, constant_bytes: int, example: ArduinoExample) -> str:
    upper = name.upper()
    sample = ("the deterministic random input mcunet-tf tests with, and prints class indices"
              if example.sample is None else "the sample given to codegen (--sample)")
    return "\n".join([
        f"# {name}", "",
        "An int8 neural network compiled to C by mcunet-tf: one kernel call per layer with constant arguments, a",
        "static arena planned ahead of time, no heap, no interpreter, outputs bit-exact with TF Lite Micro.", "",
        "## Memory", "",
        f"- RAM: the {arena_bytes:,}-byte arena (`{upper}_ARENA_BYTES`) holds every activation and scratch "
        "buffer; with the", "  kernels' small stack it is all the RAM an inference needs besides your own buffers.",
        f"- Flash: {constant_bytes:,} bytes of weights, biases and requantization tables, plus the per-layer "
        "parameters", "  and the kernels' code.",
        "- On AVR (Uno, Mega) the constant data stays in Flash: it is declared `MR_CONST` (avr-gcc's `__memx`",
        "  address space), and the kernels read it with LPM. Nothing of the model is copied to SRAM at start-up.",
        "", "Figures computed by the generator; `avr-size` on the built sketch shows them (`.data` + `.bss`: the",
        "arena, the example's buffers and the Arduino core's own variables).", "",
        "## Use", "",
        *[f"- input {j}: {_tensor_line(graph, t)}" for j, t in enumerate(graph.inputs)],
        *[f"- output {j}: {_tensor_line(graph, t)}" for j, t in enumerate(graph.outputs)], "",
        "```cpp", f"#include <{name}.h>", "",
        f"static uint8_t input[{upper}_INPUT_BYTES], output[{upper}_OUTPUT_BYTES];",
        f"// fill input (quantized: round(x / {upper}_INPUT0_SCALE) + {upper}_INPUT0_ZERO_POINT), then",
        f"int rc = {name}_invoke(input, output);  // 0 on success", "```", "",
        f"Without copies: write the input at `{name}_input(0)`, call `{name}_run()`, read `{name}_output(0)`.", "",
        f"The example `examples/{name}/{name}.ino` runs {sample}.",
        "It prints `label`, `score` (the first output's argmax and its dequantized value) and the output bytes",
        "over Serial at 115200 baud.", "",
        "Debian 12's Arduino AVR core needs `compiler.cpp.extra_flags=-DDECIMAL_DIG=9` in a `platform.local.txt`",
        "beside its `platform.txt` (its `WString.cpp` does not compile with Debian's avr-gcc 5.4 otherwise).", ""])
