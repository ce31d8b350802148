"""The code generator: an int8 .tflite becomes self-contained C99 with a static arena and one kernel
call per op, every argument a constant.

Pipeline: `tflite_patch` loads and checks the model; `micro_runtime.schedule` runs the engine passes
(PAD folding, conv+ADD fusion, reshape aliases, in-place marks), asks each op's lowering for its scratch
and places every tensor (`plan_arena`); this module then asks each op's lowering
(`micro_runtime.lowering`) for its call and constant data and writes `<name>.c` (weights as `const`
arrays, per-op parameters, `<name>_invoke`), `<name>.h` (the API of ../shared/DESIGN.md) and the kernel
sources the lowerings name, copied from `micro_runtime/kernels`.
"""
from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np

from micro_runtime import quant
from micro_runtime.arduino_library import ArduinoExample, library_files
from micro_runtime.bounds import check_bounds
from micro_runtime.lowering import SUPPORTED_OPS, Emitter, describe, lowering_for
from micro_runtime.fusion import FUSE_MODES
from micro_runtime.schedule import PatchChoice, outside_input_bytes, plan_engine, ram_bytes, resolve_patch
from tflite_patch.files import temporary_dir
from tflite_patch.graph import Graph, ModelError, load_tflite
from tflite_patch.patches import PatchSpec
from tflite_patch.planner import ArenaPlan
from tflite_patch.tflm import random_inputs
from tflite_patch.validate import check_int8_model

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_DIR = os.path.join(HERE, "kernels")
INCLUDE_DIR = os.path.join(HERE, "include")
PROFILE_HEADER = os.path.join(HERE, "cortexm", "mr_profile.h")
TARGETS = ("portable", "cortex-m", "arduino")


@dataclasses.dataclass
class GeneratedModel:
    """The generated sources (file name -> text) and the figures the bench reports."""
    name: str
    files: dict[str, str]
    plan: ArenaPlan
    graph: Graph
    input_bytes: list[int]
    output_bytes: list[int]
    patch: PatchChoice | None = None  # micro_runtime.schedule: the patch schedule and its extra MACs

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def outside_arena_input_bytes(self) -> int:
        """Bytes of inputs the code reads in place from the caller's buffer (some patch-based schedules):
        RAM the inference needs beyond the arena, so the bench adds them to ours."""
        return outside_input_bytes(self.graph, self.plan)

    @property
    def ram_bytes(self) -> int:
        """The arena plus the inputs read in place: all the RAM inference needs besides the stack."""
        return ram_bytes(self.graph, self.plan)

    def write(self, out_dir: str) -> None:
        """Write every file into `out_dir` at once (see `write_folder`). Raises `ModelError` (one line) when
        the folder holds files codegen did not write, or cannot be written."""
        write_folder(self.files, out_dir)


MANIFEST = ".mcunet-codegen"  # lists the files codegen wrote into a folder: only those may be replaced


def write_folder(files: dict[str, str], out_dir: str) -> None:
    """Write `files` (relative name -> text) as the folder `out_dir`: built beside it in a temporary
    folder, then swapped in, so a failure leaves nothing half-written. An existing `out_dir` (symlinks
    resolved) is replaced only when it is empty or holds nothing but what codegen wrote there before (its
    manifest); files and folders get the user's umask."""
    target = os.path.realpath(out_dir)
    previous = _previous_output(target)
    parent = os.path.dirname(target)
    try:
        tmp = temporary_dir(parent, "codegen")
    except OSError as e:
        raise ModelError(f"cannot write {out_dir}: {e.strerror}") from None
    try:
        for fname, text in {**files, MANIFEST: "\n".join(sorted(files)) + "\n"}.items():
            path = os.path.join(tmp, fname)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        if previous is not None:
            old = tmp + ".old"
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old)
        else:
            os.replace(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(f"cannot write {out_dir}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _previous_output(target: str) -> str | None:
    """`target` when it is a folder codegen may replace (empty, or only its own files); None when it
    does not exist. Raises ModelError for anything else."""
    if not os.path.lexists(target):
        return None
    if not os.path.isdir(target):
        raise ModelError(f"output folder {target} exists and is not a folder")
    found = set()
    for root, _, names in os.walk(target):
        found.update(os.path.relpath(os.path.join(root, n), target) for n in names)
    if not found:
        return target
    try:
        with open(os.path.join(target, MANIFEST)) as f:
            ours = set(f.read().split()) | {MANIFEST}
    except OSError:
        ours = set()
    others = sorted(found - ours)
    if others:
        raise ModelError(f"output folder {target} holds files codegen did not write ({others[0]}"
                         f"{f' and {len(others) - 1} more' if len(others) > 1 else ''}); choose an empty or new folder")
    return target


def generate(model: bytes, name: str = "model", target: str = "portable", patch: str | PatchSpec | None = None,
             sram_bytes: int | None = None, example: ArduinoExample | None = None, fuse: str = "off") -> GeneratedModel:
    """Generate C for an int8 .tflite model (bytes). Raises `ModelError` (one line) for models the
    engine does not take, naming the op and its index for unsupported ops. `patch` ("auto", "off",
    "SPLIT:N" or a PatchSpec): run the first ops patch by patch (`micro_runtime.schedule`); "auto"
    chooses for the SRAM budget `sram_bytes` (None: the smallest arena). `example`: the sample and labels
    of the Arduino library's example sketch (target "arduino" only). `fuse` ("auto", "off", "all"; the schedule
    without patches, which --patch=auto weighs its options against): run inverted-residual blocks row by row, "auto" where that lowers the RAM (`micro_runtime.fusion`;
    scripts/codegen.py defaults to it, the library to "off", the schedule the cost model prices)."""
    if target not in TARGETS:
        raise ModelError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if fuse not in FUSE_MODES:
        raise ModelError(f"unknown fuse mode {fuse!r}; choose one of {', '.join(FUSE_MODES)}")
    if example is not None and target != "arduino":
        raise ModelError("a sample and labels are for the Arduino example: use target arduino")
    if not name.isascii() or not name.isidentifier():
        raise ModelError(f"--name {name!r} is not a C identifier")
    if name.lower().startswith("mr_") or f"{name}.c" in os.listdir(KERNEL_DIR):
        raise ModelError(f"--name {name!r} is reserved for the runtime's files and symbols (mr_*); choose another")
    graph = load_tflite(model)
    check_int8_model(graph, SUPPORTED_OPS)
    for i, op in enumerate(graph.ops):
        try:
            lowering_for(op, graph).check_outputs(graph, op)
        except ModelError as err:
            raise ModelError(f"op {op.kind} at index {i}: {err}") from None
    try:  # the passes and the planner ask the lowerings for kernels, which may compute a rescale
        choice = None if patch is None else resolve_patch(graph, patch, sram_bytes, fuse)
        engine, plan = (choice.engine, choice.plan) if choice else plan_engine(graph, fuse=fuse)
    except quant.QuantRangeError as err:
        raise ModelError(str(err)) from None
    check_bounds(engine, plan)
    e = Emitter(engine, plan, name)
    e.kernel_files.add("checked.c")  # the bounds of a checked build (-DMR_CHECKED); nothing without the flag
    for i, op in enumerate(engine.ops):
        lowering = lowering_for(op, engine)
        e.body.append(f"  /* {i}: {describe(engine, op)} */")
        e.body.append(f"  MR_LAYER_BEGIN({i});")
        try:
            e.kernel_files.update(lowering.kernel_sources(engine, op))  # the kernel may depend on the rescale
            lowering.check(engine, i, op)
            lowering.emit(e, i, op)
        except (ModelError, quant.QuantRangeError) as err:
            raise ModelError(f"op {op.kind} at index {i}: {err}") from None
        except (ZeroDivisionError, OverflowError) as err:  # scales far outside any trained model's
            raise ModelError(f"op {op.kind} at index {i}: quantization scales out of range ({err})") from None
        e.body.append(f"  MR_LAYER_END({i});")

    upper = name.upper()
    in_sizes = [engine.tensors[t].nbytes for t in engine.inputs]
    out_sizes = [engine.tensors[t].nbytes for t in engine.outputs]
    files = {}
    for fname in sorted(os.listdir(INCLUDE_DIR)):
        if fname.endswith(".h"):
            files[fname] = _read(os.path.join(INCLUDE_DIR, fname))
    files["mr_profile.h"] = _read(PROFILE_HEADER)
    for fname in sorted(e.kernel_files):
        files[fname] = _read(os.path.join(KERNEL_DIR, fname))
    files[f"{name}.h"] = _header(engine, name, upper, plan, in_sizes, out_sizes)
    files[f"{name}.c"] = _source(e, engine, name, upper, in_sizes, out_sizes)
    if target == "arduino":
        constant_bytes = sum(lowering_for(op, engine).constant_bytes(engine, op) for op in engine.ops)
        files = library_files(files, engine, name, sample_input(graph), example, plan.arena_bytes, constant_bytes)
    return GeneratedModel(name=name, files=files, plan=plan, graph=engine, input_bytes=in_sizes,
                          output_bytes=out_sizes, patch=choice)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _header(graph: Graph, name: str, upper: str, plan: ArenaPlan, in_sizes, out_sizes) -> str:
    lines = [f"/* {name}.h: generated by mcunet-tf micro_runtime.codegen. Do not edit. */",
             f"#ifndef {upper}_H_", f"#define {upper}_H_", "",
             f"#define {upper}_ARENA_BYTES {plan.arena_bytes}",
             f"#define {upper}_INPUT_BYTES {sum(in_sizes)}",
             f"#define {upper}_OUTPUT_BYTES {sum(out_sizes)}",
             f"#define {upper}_NUM_INPUTS {len(in_sizes)}",
             f"#define {upper}_NUM_OUTPUTS {len(out_sizes)}"]
    for kind, tensors, sizes in (("INPUT", graph.inputs, in_sizes), ("OUTPUT", graph.outputs, out_sizes)):
        for j, (t, size) in enumerate(zip(tensors, sizes)):
            tensor = graph.tensors[t]
            lines.append(f"#define {upper}_{kind}{j}_BYTES {size}  /* {tensor.dtype} "
                         f"{'x'.join(str(d) for d in tensor.shape)} */")
            if tensor.quant is not None:
                lines.append(f"#define {upper}_{kind}{j}_SCALE {float(tensor.quant.scale[0])!r}f")
                lines.append(f"#define {upper}_{kind}{j}_ZERO_POINT {int(tensor.quant.zero_point[0])}")
    lines += ["", "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
              "/* Runs one inference. `input`: the model's input tensors back to back (NHWC, their own dtype);",
              " * `output`: receives the output tensors back to back. Returns 0 on success. */",
              *(["/* Patch-based: the input is read in place, window by window, during the call (it is not",
                 f" * copied into the {plan.arena_bytes}-byte arena). */"] if plan.external else []),
              f"int {name}_invoke(const void *input, void *output);",
              "/* The same with one pointer per input and per output tensor. */",
              f"int {name}_invoke_n(const void *const *inputs, void *const *outputs);",
              "",
              "/* Without copies, as with TFLM's interpreter->input(i)->data: write input i where",
              f" * {name}_input(i) points, call {name}_run(), read output j at {name}_output(j) (valid until the",
              f" * next run). The {plan.arena_bytes}-byte arena is then all the RAM inference needs; invoke's buffers",
              " * are the caller's. NULL for an index out of range.",
              *([" * Here the input is read in place (patch-based): input() is NULL and run() returns 1; keep the",
                 " * input in your own buffer and use invoke."] if plan.external else []),
              " */",
              f"void *{name}_input(int i);",
              f"const void *{name}_output(int j);",
              f"int {name}_run(void);",
              "",
              f"/* {upper}_STATEFUL: 1 when ops keep state across invocations (SVDF); {name}_reset() clears it",
              " * (to TFLM's initial state). */",
              f"#define {upper}_STATEFUL {int(any(graph.tensors[t].is_variable for t in graph.activation_tensors()))}",
              f"void {name}_reset(void);",
              "", "#ifdef __cplusplus", "}", "#endif", "", f"#endif /* {upper}_H_ */", ""]
    return "\n".join(lines)


def _source(e: Emitter, graph: Graph, name: str, upper: str, in_sizes, out_sizes) -> str:
    lines = [f"/* {name}.c: generated by mcunet-tf micro_runtime.codegen from an int8 .tflite. Do not edit.",
             f" * {len(graph.ops)} ops, arena {e.plan.arena_bytes} bytes (planner: {e.plan.heuristic}). */",
             "#include <string.h>", "", f'#include "{name}.h"', '#include "mr_kernels.h"', '#include "mr_streaming.h"',
             '#include "mr_profile.h"',
             "", "/* Every activation tensor and scratch buffer lives in this arena, at offsets fixed by the planner. */",
             f"static union {{ int32_t align; uint8_t bytes[{max(e.plan.arena_bytes, 1)}]; }} arena;",
             "#define A (arena.bytes)", ""]
    lines += e.data
    lines += ["", f"void {name}_reset(void) {{"]
    lines += [f"  memset({cname}, {fill}, {size});" for cname, size, fill in e.variables.values()] + ["}"]
    lines += ["", f"static void {name}_layers(const void *const *inputs) {{", "  (void)inputs;",
              "#ifdef MR_CHECKED", "  mr_checked_begin = (uintptr_t)A;",
              f"  mr_checked_end = (uintptr_t)(A + {e.plan.arena_bytes});", "#endif"] + e.body + ["}", ""]
    lines += [f"int {name}_invoke_n(const void *const *inputs, void *const *outputs) {{",
              "  if (!inputs || !outputs) return 1;"]
    for j, t in enumerate(graph.inputs):
        lines.append(f"  if (!inputs[{j}]) return 1;")
        if t not in e.plan.external:
            lines.append(f"  memcpy(A + {e.plan.offsets[t]}, inputs[{j}], {in_sizes[j]});")
    lines.append(f"  {name}_layers(inputs);")
    for j, t in enumerate(graph.outputs):
        lines.append(f"  if (!outputs[{j}]) return 1;")
        lines.append(f"  memcpy(outputs[{j}], A + {e.plan.offsets[t]}, {out_sizes[j]});")
    lines += ["  return 0;", "}", "",
              f"int {name}_invoke(const void *input, void *output) {{",
              "  if (!input || !output) return 1;"]
    ins = ", ".join(f"(const uint8_t *)input + {sum(in_sizes[:j])}" for j in range(len(in_sizes)))
    outs = ", ".join(f"(uint8_t *)output + {sum(out_sizes[:j])}" for j in range(len(out_sizes)))
    lines += [f"  {{ const void *const in[{len(in_sizes)}] = {{{ins}}};",
              f"    void *const out[{len(out_sizes)}] = {{{outs}}};",
              f"    return {name}_invoke_n(in, out); }}", "}", ""]
    # Zero-copy entry points: pointers into the arena (None where an input is read in place).
    in_ptrs = ["NULL" if t in e.plan.external else f"A + {e.plan.offsets[t]}" for t in graph.inputs]
    out_ptrs = [f"A + {e.plan.offsets[t]}" for t in graph.outputs]
    lines += [f"void *{name}_input(int i) {{",
              *[f"  if (i == {j}) return {p};" for j, p in enumerate(in_ptrs)], "  return NULL;", "}", "",
              f"const void *{name}_output(int j) {{",
              *[f"  if (j == {j}) return {p};" for j, p in enumerate(out_ptrs)], "  return NULL;", "}", "",
              f"int {name}_run(void) {{"]
    if e.plan.external:
        lines += ["  return 1; /* an input is read in place: use invoke */", "}", ""]
    else:
        lines += [f"  {name}_layers(NULL);", "  return 0;", "}", ""]
    return "\n".join(lines)


def sample_input(graph: Graph, seed: int = 0) -> bytes:
    """The input bundled with the Arduino example: the first of `tflm.random_inputs(graph, 1, seed)`."""
    return b"".join(np.ascontiguousarray(a).tobytes() for a in random_inputs(graph, 1, seed=seed)[0])
