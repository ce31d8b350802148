"""Build, run and count instructions of generated C models on Cortex-M, in QEMU (no board needed).

A generated model directory (see DESIGN.md, "Code generator") is compiled with arm-none-eabi-gcc together
with the bare-metal harness in `micro_runtime/cortexm/` (startup code, per-board linker scripts, a main
that runs the model on given inputs and prints the outputs over semihosting), then run on QEMU's model of
an Arm MPS2/MPS3 board. A TCG plugin of our own (`cortexm/insn_count.c`, built on demand) counts the guest
instructions executed inside every `<name>_invoke` call, exactly and identically run to run (instructions,
not cycles: QEMU does not model timing).

    from micro_runtime import target_cortexm as cm
    b = cm.build("out/model", "model", target="cortex-m4", opt="-O2", inputs=[x0, x1])
    r = cm.run(b)
    r.outputs[0], r.instructions[0], b.flash_bytes, b.max_stack_bytes

Targets: cortex-m4 (mps2-an386), cortex-m7 (mps2-an500), cortex-m55 (mps3-an547, Helium/MVE enabled).
Per-layer counts: `build(..., profile_layers=True)` compiles with -DMR_PROFILE_LAYERS, so the generated
MR_LAYER_BEGIN(i)/MR_LAYER_END(i) hooks (cortexm/mr_profile.h) call the harness's marker functions.

Needs `gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm` (apt) and a host `gcc` for the plugin.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

CORTEXM_DIR = Path(__file__).resolve().parent / "cortexm"
REPO_ROOT = Path(__file__).resolve().parent.parent
PLUGIN_SOURCE = CORTEXM_DIR / "insn_count.c"

GCC = "arm-none-eabi-gcc"
SIZE = "arm-none-eabi-size"
NM = "arm-none-eabi-nm"
QEMU = "qemu-system-arm"

OPT_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os", "-Oz", "-Ofast")
DEFAULT_STACK_BYTES = 64 * 1024
# mr_empty_model in harness.c: `movs r0, #0; bx lr`.
CALIBRATION_MODEL_INSTRUCTIONS = 2


class CortexMError(RuntimeError):
    """A build or run on the Cortex-M target failed; the message is one line saying why.
    `detail` holds the full tool output when there is one."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    """One Cortex-M core: compiler flags, the QEMU board modelling it and that board's linker script."""
    cpu_flags: tuple[str, ...]
    machine: str
    qemu_cpu: str
    linker_script: str


TARGETS: dict[str, TargetSpec] = {
    "cortex-m4": TargetSpec(("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
                            "mps2-an386", "cortex-m4", "link_mps2-an386.ld"),
    "cortex-m7": TargetSpec(("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
                            "mps2-an500", "cortex-m7", "link_mps2-an500.ld"),
    # gcc 12: -mcpu=cortex-m55 implies MVE (integer + float) and the FPv5 double-precision FPU.
    "cortex-m55": TargetSpec(("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"),
                             "mps3-an547", "cortex-m55", "link_mps3-an547.ld"),
}

MARKERS = {"begin": "mr_marker_begin", "end": "mr_marker_end",
           "lbegin": "mr_layer_begin", "lend": "mr_layer_end"}
# Functions outside the model that it may call and whose stack use is known (harness.c: no frame).
KNOWN_FRAMES = {"mr_layer_begin": 0, "mr_layer_end": 0}


@dataclasses.dataclass
class StackAnalysis:
    """Static stack figures of the model's own functions, from gcc's -fstack-usage/-fcallgraph-info=su.

    `max_stack_bytes` is the worst call chain from the model's entry points (`chain`), summing each
    function's frame; `max_frame_bytes` the largest single frame. `exact` is False when the chain calls
    functions outside the model's sources (`external`, e.g. memcpy; counted as 0 bytes), takes a frame
    of dynamic size, recurses, or when no call graph was found (then max_stack_bytes = max_frame_bytes).
    """
    max_stack_bytes: int
    max_frame_bytes: int
    chain: list[str]
    frames: dict[str, int]
    external: list[str]
    dynamic: list[str]
    recursive: bool
    exact: bool


@dataclasses.dataclass
class Build:
    """A linked Cortex-M image of one model + the harness, and its static footprint.

    flash_bytes / ram_bytes: text+data / data+bss of the model's own object files (arm-none-eabi-size,
    before --gc-sections, so unused functions count). model_linked_*: what the model's objects contribute
    to the linked image (from the linker map, after --gc-sections). image_*: the whole image (harness,
    startup, newlib's printf and semihosting included); image_ram_bytes excludes the stack and heap
    reservations (`stack_reserved_bytes`, `heap_reserved_bytes`).
    """
    elf: Path
    build_dir: Path
    name: str
    target: str
    opt: str
    n_inputs: int
    input_bytes: int
    profile_layers: bool
    machine: str
    qemu_cpu: str
    flash_bytes: int
    ram_bytes: int
    model_linked_flash_bytes: int
    model_linked_ram_bytes: int
    image_flash_bytes: int
    image_ram_bytes: int
    stack_reserved_bytes: int
    heap_reserved_bytes: int
    max_stack_bytes: int
    stack: StackAnalysis
    markers: dict[str, int]
    model_objects: list[Path]
    cflags: list[str]


@dataclasses.dataclass
class Run:
    """Outcome of running a Build in QEMU.

    outputs[k] are the bytes `<name>_invoke` wrote for inputs[k]; return_codes[k] its return value.
    instructions[k] counts every guest instruction executed from the first instruction of
    `<name>_invoke` to its return, inclusive (harness overhead calibrated out, exact).
    layer_instructions: per-layer counts of the first inference, in call order (profile_layers builds);
    each includes the ~3 instructions of its own hook calls. layer_instructions_per_input: all inferences.
    stack_bytes[k]: measured stack high-water mark of invoke k (stack painting), libraries included.
    total_instructions: the whole run, boot and printing included.
    vector_instructions[k]: how many of instructions[k] are in the T32 coprocessor space (Helium/MVE vector
    instructions, and FPU ones), for a beat-based cycle estimate (micro_runtime.bench.m55_cycle_estimate).
    """
    outputs: list[bytes]
    return_codes: list[int]
    instructions: list[int]
    layer_instructions: list[int]
    layer_instructions_per_input: list[list[int]]
    stack_bytes: list[int]
    total_instructions: int
    wall_time_s: float
    command: list[str]
    stdout: str
    vector_instructions: list[int] = dataclasses.field(default_factory=list)


def _require_tool(tool: str, apt_package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise CortexMError(f"{tool} not found: install it with `apt-get install -y {apt_package}`")
    return path


def _check_toolchain() -> None:
    _require_tool(GCC, "gcc-arm-none-eabi libnewlib-arm-none-eabi")
    _require_tool(SIZE, "binutils-arm-none-eabi")
    _require_tool(NM, "binutils-arm-none-eabi")
    specs = subprocess.run([GCC, "-print-file-name=rdimon.specs"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(specs) or not os.path.exists(specs):
        raise CortexMError("newlib for arm-none-eabi (rdimon.specs) not found: install it with "
                           "`apt-get install -y libnewlib-arm-none-eabi`")


def _first_error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower():
            return line
    return lines[0] if lines else "(no output)"


def _run_tool(cmd: Sequence[str], what: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        out = proc.stderr + proc.stdout
        raise CortexMError(f"{what} failed: {_first_error_line(out)}", detail=out)
    return proc.stdout


def _cache_dir() -> Path:
    preferred = REPO_ROOT / "build" / "qemu_plugin"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    fallback = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mcunet-tf" / "qemu_plugin"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def build_plugin(cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the path of the instruction-counting QEMU plugin, compiling `cortexm/insn_count.c` with the
    host gcc into `cache_dir` (default `<repo>/build/qemu_plugin/`) when missing or older than its source."""
    out_dir = Path(cache_dir) if cache_dir is not None else _cache_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    so = out_dir / "insn_count.so"
    if so.exists() and so.stat().st_mtime >= PLUGIN_SOURCE.stat().st_mtime:
        return so
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise CortexMError("no host C compiler to build the QEMU plugin: install it with `apt-get install -y gcc`")
    fd, tmp = tempfile.mkstemp(prefix="insn_count.", suffix=".so", dir=out_dir)
    os.close(fd)
    try:
        _run_tool([cc, "-shared", "-fPIC", "-O2", "-Wall", "-o", tmp, str(PLUGIN_SOURCE)], "building the QEMU plugin")
        os.chmod(tmp, 0o755)
        os.replace(tmp, so)  # atomic: concurrent builders never see a partial file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return so


def _macro_prefix(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]", "_", name).upper()


def _write_inputs_header(path: Path, name: str, inputs: list[bytes]) -> None:
    n, size = len(inputs), len(inputs[0])
    prefix = _macro_prefix(name)
    lines = [
        "/* Generated by micro_runtime/target_cortexm.py: the harness's inputs (const: in Flash). */",
        "#ifndef MR_INPUTS_H_", "#define MR_INPUTS_H_", "#include <stdint.h>", f'#include "{name}.h"',
        f"#define MR_INVOKE {name}_invoke",
        f"#define MR_INPUT_BYTES {prefix}_INPUT_BYTES",
        f"#define MR_OUTPUT_BYTES {prefix}_OUTPUT_BYTES",
        f"#define MR_N_INPUTS {n}",
        "/* Fails to compile if the inputs given to build() do not have the model's input size. */",
        f"typedef char mr_error_inputs_size_differs_from_model_INPUT_BYTES[(MR_INPUT_BYTES) == {size} ? 1 : -1];",
        f"static const uint8_t mr_inputs[{n}][{max(size, 1)}] __attribute__((aligned(16))) = {{",
    ]
    for data in inputs:
        lines.append("  {")
        for i in range(0, max(len(data), 1), 24):
            chunk = data[i:i + 24] or b"\0"
            lines.append("    " + ",".join(str(b) for b in chunk) + ",")
        lines.append("  },")
    lines += ["};", "#endif", ""]
    path.write_text("\n".join(lines))


def _compile(source: Path, obj: Path, flags: Sequence[str]) -> None:
    _run_tool([GCC, *flags, "-c", str(source), "-o", str(obj)], f"compiling {source.name}")


def _compile_all(jobs: Sequence[tuple[Path, Path, Sequence[str]]]) -> None:
    """_compile each (source, object, flags), as many at once as there are cores."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for future in [pool.submit(_compile, *job) for job in jobs]:
            future.result()


def _link(spec: TargetSpec, objects: Sequence[Path], elf: Path, what: str, stack_bytes: int,
          map_file: Path | None = None) -> None:
    """Link `objects` with newlib + semihosting (rdimon) into `elf` with the board's linker script."""
    _run_tool([GCC, *spec.cpu_flags, "--specs=rdimon.specs", "-nostartfiles", "-T", spec.linker_script,
               f"-L{CORTEXM_DIR}", "-Wl,--gc-sections", *([f"-Wl,-Map={map_file}"] if map_file else []),
               f"-Wl,--defsym=__stack_size={int(stack_bytes)}", *map(str, objects), "-lm", "-lrdimon", "-o", str(elf)],
              what)


def _qemu_base(spec: TargetSpec, elf: Path) -> list[str]:
    """qemu-system-arm running `elf` on the board of `spec`, with semihosting for its output."""
    return [QEMU, "-M", spec.machine, "-cpu", spec.qemu_cpu, "-nographic", "-monitor", "none", "-serial", "null",
            "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]


def _berkeley_sizes(files: Sequence[Path]) -> list[tuple[int, int, int]]:
    """(text, data, bss) per file from `arm-none-eabi-size` (Berkeley format)."""
    out = _run_tool([SIZE, *map(str, files)], "arm-none-eabi-size")
    rows = []
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 3 and fields[0].isdigit():
            rows.append((int(fields[0]), int(fields[1]), int(fields[2])))
    return rows


def _section_sizes(elf: Path) -> dict[str, int]:
    out = _run_tool([SIZE, "-A", str(elf)], "arm-none-eabi-size -A")
    sizes = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0].startswith(".") and fields[1].isdigit():
            sizes[fields[0]] = int(fields[1])
    return sizes


_MAP_ENTRY = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S+)\s*$")


def _linked_contribution(map_file: Path, objects: Sequence[Path]) -> tuple[int, int]:
    """(flash, ram) bytes that `objects` contribute to the linked image, from a GNU ld map file."""
    wanted = {str(o) for o in objects} | {os.path.basename(str(o)) for o in objects}
    text = map_file.read_text(errors="replace")
    start = text.find("Linker script and memory map")
    flash = ram = 0
    pending = None
    for line in text[start:].splitlines():
        m = re.match(r"^ (\.\S+|COMMON)(.*)$", line)
        if m:
            pending, rest = m.group(1), m.group(2)
            if not rest.strip():
                continue  # long section name: address, size and file on the next line
            line = rest
        if pending is None:
            continue
        entry = _MAP_ENTRY.match(line)
        section, pending = pending, None
        if entry is None or entry.group(3) not in wanted and os.path.basename(entry.group(3)) not in wanted:
            continue
        size = int(entry.group(2), 16)
        if int(entry.group(1), 16) == 0 and size == 0:
            continue
        if section.startswith((".bss", "COMMON")):
            ram += size
        elif section.startswith(".data"):
            flash += size
            ram += size
        elif section.startswith((".text", ".rodata", ".ARM.ex")):
            flash += size
    return flash, ram


_CI_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
_CI_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_CI_FRAME = re.compile(r"\\n(\d+) bytes \(([^)]*)\)")


def analyse_stack(ci_files: Iterable[Path], su_files: Iterable[Path], roots: Sequence[str],
                  known_frames: dict[str, int] | None = None) -> StackAnalysis:
    """Worst-case stack of the call chains starting at `roots`, from gcc's `.ci` (-fcallgraph-info=su)
    call graphs; falls back to the largest `.su` frame when there is no call graph. `known_frames` gives
    the stack use of functions defined elsewhere (default: the harness's layer markers)."""
    frames: dict[str, int] = dict(KNOWN_FRAMES if known_frames is None else known_frames)
    dynamic: set[str] = set()
    edges: dict[str, set[str]] = {}

    def short(title: str) -> str:  # gcc titles static functions "/abs/dir/file.c:fn" -> "file.c:fn"
        return os.path.basename(title.rsplit(":", 1)[0]) + ":" + title.rsplit(":", 1)[1] if ":" in title else title

    for ci in ci_files:
        for line in ci.read_text(errors="replace").splitlines():
            node = _CI_NODE.search(line)
            if node:
                frame = _CI_FRAME.search(node.group(2))
                if frame:
                    frames[short(node.group(1))] = int(frame.group(1))
                    if "dynamic" in frame.group(2) and "bounded" not in frame.group(2):
                        dynamic.add(short(node.group(1)))
                continue
            edge = _CI_EDGE.search(line)
            if edge:
                edges.setdefault(short(edge.group(1)), set()).add(short(edge.group(2)))
    su_max = 0
    for su in su_files:
        for line in su.read_text(errors="replace").splitlines():
            fields = line.split("\t")
            if len(fields) >= 2 and fields[1].strip().isdigit():
                su_max = max(su_max, int(fields[1]))
    max_frame = max([su_max, *frames.values()], default=0)

    external: set[str] = set()
    recursive = False
    best: dict[str, tuple[int, list[str]]] = {}
    on_path: set[str] = set()

    def worst(fn: str) -> tuple[int, list[str]]:
        nonlocal recursive
        if fn in best:
            return best[fn]
        if fn not in frames:
            external.add(fn.split(":")[-1])
            return 0, [fn]
        if fn in on_path:
            recursive = True
            return 0, [fn]
        on_path.add(fn)
        deepest: tuple[int, list[str]] = (0, [])
        for callee in sorted(edges.get(fn, ())):
            cand = worst(callee)
            if cand[0] > deepest[0] or not deepest[1]:
                deepest = cand
        on_path.discard(fn)
        best[fn] = (frames[fn] + deepest[0], [fn, *deepest[1]])
        return best[fn]

    found = [r for r in roots if r in frames]
    if not found:
        return StackAnalysis(max_frame, max_frame, [], frames, [], sorted(dynamic), False, False)
    total, chain = max((worst(r) for r in found), key=lambda t: t[0])
    on_chain_dynamic = sorted(f for f in chain if f in dynamic)
    exact = not external and not recursive and not on_chain_dynamic
    return StackAnalysis(total, max_frame, chain, frames, sorted(external), sorted(dynamic), recursive, exact)


def _symbols(elf: Path) -> dict[str, int]:
    out = _run_tool([NM, str(elf)], "arm-none-eabi-nm")
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3:
            symbols[fields[2]] = int(fields[0], 16)
    return symbols


def _checked_sources_and_inputs(src_dir: str | os.PathLike, name: str, target: str, opt: str,
                                inputs: Sequence[bytes]) -> tuple[Path, list[Path], list[bytes]]:
    """build()'s arguments checked: the resolved source directory, its `*.c` files and the inputs as bytes.
    Raises CortexMError (one line) on anything build() cannot use."""
    if target not in TARGETS:
        raise CortexMError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    if opt not in OPT_LEVELS:
        raise CortexMError(f"unknown optimisation level {opt!r}: choose one of {', '.join(OPT_LEVELS)}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise CortexMError(f"model name {name!r} is not a C identifier")
    src = Path(src_dir).resolve()
    header = src / f"{name}.h"
    if not header.is_file():
        raise CortexMError(f"{header} not found: src_dir must hold the generated {name}.h")
    sources = sorted(src.glob("*.c"))
    if not sources:
        raise CortexMError(f"no .c files in {src}")
    data = [memoryview(x).tobytes() for x in inputs]
    if not data:
        raise CortexMError("build() needs at least one input")
    if len({len(x) for x in data}) != 1:
        raise CortexMError(f"inputs differ in length: {sorted({len(x) for x in data})}")
    declared = re.search(rf"#\s*define\s+{_macro_prefix(name)}_INPUT_BYTES\s+\(?(\d+)u?\)?\s*$",
                         header.read_text(errors="replace"), re.M)
    if declared and int(declared.group(1)) != len(data[0]):
        raise CortexMError(f"inputs have {len(data[0])} bytes but {name}.h declares "
                           f"{_macro_prefix(name)}_INPUT_BYTES {declared.group(1)}")
    return src, sources, data


def _compile_model_and_harness(spec: TargetSpec, src: Path, sources: Sequence[Path], out: Path, opt: str,
                               profile_layers: bool,
                               extra_cflags: Sequence[str]) -> tuple[list[Path], list[Path], list[str]]:
    """Compile the model's `sources` into out/model and the harness into out/harness (whose inputs.h must be
    written): (the model's objects, all objects, the model's flags)."""
    common = [*spec.cpu_flags, opt, "-std=c99", "-ffunction-sections", "-fdata-sections"]
    model_flags = [*common, "-fstack-usage", "-fcallgraph-info=su", f"-I{src}", "-idirafter", str(CORTEXM_DIR)]
    if profile_layers:
        model_flags.append("-DMR_PROFILE_LAYERS")
    model_flags += list(extra_cflags)
    harness_dir = out / "harness"
    harness_flags = [*common, "-fno-ipa-icf", f"-I{harness_dir}", f"-I{src}", f"-I{CORTEXM_DIR}"]

    jobs = [(s, out / "model" / (s.stem + ".o"), model_flags) for s in sources]
    jobs += [(CORTEXM_DIR / f, harness_dir / (Path(f).stem + ".o"), harness_flags) for f in ("harness.c", "startup.c")]
    _compile_all(jobs)
    return [obj for _, obj, _ in jobs[:len(sources)]], [obj for _, obj, _ in jobs], model_flags


def _footprint(elf: Path, map_file: Path, model_objects: Sequence[Path]) -> dict:
    """Build's size fields (model objects, linked contribution, whole image) of a linked `elf`."""
    obj_sizes = _berkeley_sizes(model_objects)
    (image_text, image_data, image_bss), = _berkeley_sizes([elf])
    sections = _section_sizes(elf)
    stack_reserved, heap_reserved = sections.get(".stack", 0), sections.get(".heap", 0)
    linked_flash, linked_ram = _linked_contribution(map_file, model_objects)
    return dict(
        flash_bytes=sum(t + d for t, d, _ in obj_sizes), ram_bytes=sum(d + b for _, d, b in obj_sizes),
        model_linked_flash_bytes=linked_flash, model_linked_ram_bytes=linked_ram,
        image_flash_bytes=image_text + image_data,
        image_ram_bytes=image_data + image_bss - stack_reserved - heap_reserved,
        stack_reserved_bytes=stack_reserved, heap_reserved_bytes=heap_reserved)


def build(src_dir: str | os.PathLike, name: str, target: str = "cortex-m4", opt: str = "-O2",
          inputs: Sequence[bytes] = (), profile_layers: bool = False, extra_cflags: Sequence[str] = (),
          out_dir: str | os.PathLike | None = None, stack_bytes: int = DEFAULT_STACK_BYTES) -> Build:
    """Compile the generated model in `src_dir` (every `*.c` there, `<name>.h` declaring `<name>_invoke`)
    with the Cortex-M harness into an ELF image that runs it on each of `inputs` (bytes of exactly
    `<NAME>_INPUT_BYTES`; at least one; stored as const arrays in Flash).

    target: "cortex-m4" | "cortex-m7" | "cortex-m55". opt: "-O2", "-Os", ... (model and harness).
    profile_layers: compile with -DMR_PROFILE_LAYERS so MR_LAYER_BEGIN/END hooks call the layer markers.
    extra_cflags: appended when compiling the model's sources. out_dir: where objects, `.su`/`.ci`
    files, the map and `model.elf` go (default: a fresh temporary directory). stack_bytes: the stack
    reservation in the linker script (the link fails if RAM cannot hold it).
    Raises CortexMError (one-line message) on a missing toolchain or a failed compile/link.
    """
    src, sources, data = _checked_sources_and_inputs(src_dir, name, target, opt, inputs)
    _check_toolchain()
    spec = TARGETS[target]

    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix=f"mr_cortexm_{name}_"))
    out = out.resolve()
    for d in (out / "model", out / "harness"):
        d.mkdir(parents=True, exist_ok=True)
    _write_inputs_header(out / "harness" / "inputs.h", name, data)
    model_objects, objects, model_flags = _compile_model_and_harness(spec, src, sources, out, opt, profile_layers,
                                                                     extra_cflags)

    elf, map_file = out / "model.elf", out / "model.map"
    _link(spec, objects, elf, f"linking {name} for {target}", stack_bytes, map_file)

    footprint = _footprint(elf, map_file, model_objects)
    stack = analyse_stack([o.with_suffix(".ci") for o in model_objects if o.with_suffix(".ci").exists()],
                          [o.with_suffix(".su") for o in model_objects if o.with_suffix(".su").exists()],
                          [f"{name}_invoke", f"{name}_invoke_n"])
    symbols = _symbols(elf)
    markers = {key: symbols[sym] & ~1 for key, sym in MARKERS.items() if sym in symbols}
    if "begin" not in markers or "end" not in markers:
        raise CortexMError(f"marker functions missing from {elf} (harness not linked?)")
    return Build(
        elf=elf, build_dir=out, name=name, target=target, opt=opt, n_inputs=len(data), input_bytes=len(data[0]),
        profile_layers=profile_layers, machine=spec.machine, qemu_cpu=spec.qemu_cpu, **footprint,
        max_stack_bytes=stack.max_stack_bytes, stack=stack, markers=markers,
        model_objects=model_objects, cflags=model_flags)


def build_program(sources: Sequence[str | os.PathLike], out_dir: str | os.PathLike, target: str = "cortex-m4",
                  opt: str = "-O2", cflags: Sequence[str] = ()) -> Path:
    """Link C `sources` (one defines `int main(void)`) with the startup code into a bare-metal ELF for `target`:
    a test program that prints through semihosting (run_program). Returns the ELF's path.
    Raises CortexMError (one-line message) on a missing toolchain or a failed compile/link."""
    if target not in TARGETS:
        raise CortexMError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    _check_toolchain()
    spec = TARGETS[target]
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    flags = [*spec.cpu_flags, opt, "-std=c99", "-ffunction-sections", "-fdata-sections", *cflags]
    jobs = [(Path(s), out / f"{i}_{Path(s).stem}.o", flags) for i, s in enumerate(sources)]
    jobs.append((CORTEXM_DIR / "startup.c", out / "startup.o", [*spec.cpu_flags, opt, "-std=c99"]))
    _compile_all(jobs)
    elf = out / "program.elf"
    _link(spec, [o for _, o, _ in jobs], elf, f"linking {elf.name} for {target}", DEFAULT_STACK_BYTES)
    return elf


def run_program(elf: str | os.PathLike, target: str = "cortex-m4", timeout: float = 600.0) -> str:
    """Run a build_program ELF in QEMU; returns what it printed. Raises CortexMError if it faults, exits
    non-zero or runs past `timeout` seconds."""
    _require_tool(QEMU, "qemu-system-arm")
    spec = TARGETS[target]
    cmd = _qemu_base(spec, Path(elf))
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise CortexMError(f"QEMU ({spec.machine}) timed out after {timeout:g} s running {Path(elf).name}") from e
    if proc.returncode != 0 or "MR_FAULT" in proc.stdout + proc.stderr:
        raise CortexMError(f"{Path(elf).name} on {target} failed (status {proc.returncode}): "
                           f"{_first_error_line(proc.stderr or proc.stdout)}", detail=proc.stdout + proc.stderr)
    return proc.stdout


def qemu_command(b: Build, plugin: Path | None, plugin_out: Path | None) -> list[str]:
    """The qemu-system-arm command line that runs `b` (with the counting plugin when `plugin` is given)."""
    cmd = _qemu_base(TARGETS[b.target], b.elf)
    if plugin is not None:
        args = [str(plugin)] + [f"{k}={hex(v)}" for k, v in sorted(b.markers.items())]
        if plugin_out is not None:
            args.append(f"out={plugin_out}")
        if any("," in a for a in args):
            raise CortexMError(f"paths given to the QEMU plugin must not contain ',': {args}")
        cmd += ["-plugin", ",".join(args)]
    return cmd


def run(b: Build, timeout: float = 300.0, count_instructions: bool = True) -> Run:
    """Run `b` in QEMU and return the outputs, exact per-inference instruction counts (and per-layer
    counts for profile_layers builds), the measured stack and the wall time.
    Raises CortexMError if QEMU is missing, the image faults or exits non-zero, or `timeout` (s) expires."""
    _require_tool(QEMU, "qemu-system-arm")
    plugin = build_plugin() if count_instructions else None
    plugin_out = b.build_dir / "insn_count.txt"
    if plugin_out.exists():
        plugin_out.unlink()
    cmd = qemu_command(b, plugin, plugin_out if plugin else None)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise CortexMError(f"QEMU ({b.machine}) timed out after {timeout:g} s running {b.elf.name}: "
                           "model hangs or is too slow for the timeout") from e
    wall = time.perf_counter() - t0
    text = proc.stdout + proc.stderr
    fault = re.search(r"MR_FAULT.*", text)
    if fault:
        raise CortexMError(f"{b.name} on {b.target}: {fault.group(0).strip()} (an invalid memory access or "
                           "instruction in the model?)", detail=text)
    done = re.search(r"^MR_DONE (\d+)", proc.stdout, re.M)
    if proc.returncode != 0 or done is None:
        raise CortexMError(f"QEMU exited with status {proc.returncode} before the harness finished: "
                           f"{_first_error_line(proc.stderr or proc.stdout)}", detail=text)

    calib = re.search(r"^MR_CALIB (-?\d+) (\d+)", proc.stdout, re.M)
    calib_stack = int(calib.group(2)) if calib else 0
    outputs, codes, stack = [], [], []
    for m in re.finditer(r"^MR_OUT (\d+) (-?\d+) (\d+) ?([0-9a-f]*)$", proc.stdout, re.M):
        codes.append(int(m.group(2)))
        stack.append(int(m.group(3)) - calib_stack)
        outputs.append(bytes.fromhex(m.group(4)))
    if len(outputs) != b.n_inputs:
        raise CortexMError(f"expected {b.n_inputs} output lines from the harness, got {len(outputs)}", detail=text)

    instructions: list[int] = []
    vectors: list[int] = []
    layers: list[list[int]] = []
    total = 0
    if plugin is not None:
        if not plugin_out.exists():
            raise CortexMError("the QEMU plugin wrote no counts (plugin failed to load?): "
                               f"{_first_error_line(proc.stderr)}", detail=text)
        windows: dict[int, int] = {}
        vector_windows: dict[int, int] = {}
        layer_counts: dict[int, dict[int, int]] = {}
        for line in plugin_out.read_text().splitlines():
            f = line.split()
            if f[0] == "window":
                windows[int(f[1])] = int(f[2])
            elif f[0] == "vwindow":
                vector_windows[int(f[1])] = int(f[2])
            elif f[0] == "layer":
                layer_counts.setdefault(int(f[1]), {})[int(f[2])] = int(f[3])
            elif f[0] == "total":
                total = int(f[1])
        if len(windows) != b.n_inputs + 1:
            raise CortexMError(f"expected {b.n_inputs + 1} counted windows, the plugin saw {len(windows)}",
                               detail=text)
        overhead = windows[0] - CALIBRATION_MODEL_INSTRUCTIONS
        instructions = [windows[k + 1] - overhead for k in range(b.n_inputs)]
        vectors = [vector_windows.get(k + 1, 0) - vector_windows.get(0, 0) for k in range(b.n_inputs)]
        layers = [[c for _, c in sorted(layer_counts.get(k + 1, {}).items())] for k in range(b.n_inputs)]
    return Run(outputs=outputs, return_codes=codes, instructions=instructions,
               layer_instructions=layers[0] if layers else [], layer_instructions_per_input=layers,
               stack_bytes=stack, total_instructions=total, wall_time_s=wall, command=cmd, stdout=proc.stdout,
               vector_instructions=vectors if plugin is not None else [])
