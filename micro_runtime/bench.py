"""Head to head with TF Lite Micro: the same model, the same inputs, every output byte compared, and
RAM, Flash, instructions and host time side by side."""
from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time
from typing import Callable

import numpy as np

from micro_runtime import target_cortexm
from micro_runtime.codegen import GeneratedModel, generate
from micro_runtime.lowering import describe
from micro_runtime.target_host import HostModel
from tflite_patch.costs import graph_macs, op_macs
from tflite_patch.graph import load_tflite
from tflite_patch.tflm import interpreter, random_inputs, tflm_arena


@dataclasses.dataclass
class BenchResult:
    """One model's row of `scripts/bench.py` (bytes, milliseconds, instructions)."""
    model: str
    macs: int
    bit_exact: bool
    inputs_checked: int
    max_abs_diff: float
    tflm_arena_bytes: int
    tflm_head_bytes: int
    ours_arena_bytes: int
    ours_ram_bytes: int | None
    ours_flash_bytes: int | None
    ours_stack_bytes: int | None
    weights_bytes: int
    tflm_host_ms: float
    ours_host_ms: float
    tflite_ref_host_ms: float | None = None
    tflite_host_ms: float | None = None
    target: str = "host"
    ours_cm4_instructions: int | None = None
    ours_cm4_instructions_per_mac: float | None = None
    cm4_bit_exact: bool | None = None
    cm4_inputs_checked: int = 0
    cm4_layers: list[dict] | None = None
    ours_flash_bytes_os: int | None = None
    ours_cm4_instructions_os: int | None = None
    patch: str = "off"  # the patch schedule of our code (micro_runtime.schedule)
    layer_arena_bytes: int | None = None  # our arena layer by layer, for comparison
    patch_extra_macs: int = 0  # MACs recomputed by the patch schedule
    patch_extra_macs_pct: float = 0.0
    fuse: str = "off"  # the fused-block mode of our code and how many blocks it runs row by row
    fused_blocks: int = 0
    ours_cm4_instructions_portable: int | None = None
    ours_cm4_instructions_per_mac_portable: float | None = None
    # stack: ours_stack_bytes is the larger of the call-graph bound (gcc -fcallgraph-info; it cannot follow calls
    # through function pointers, then `exact` is false) and the high-water mark measured on the target
    ours_stack_bytes_static: int | None = None
    ours_stack_bytes_static_exact: bool | None = None
    ours_stack_bytes_measured: int | None = None
    # Cortex-M55: the coprocessor-space (MVE vector) instructions of the -O2 run, the cycle estimate
    # (m55_cycle_estimate) and the instructions of the DSP-only build (-DMR_NO_MVE: the M4's kernels)
    ours_vector_instructions: int | None = None
    ours_m55_cycle_estimate: int | None = None
    ours_m55_instructions_dsp_only: int | None = None

    @property
    def speedup_vs_tflm(self) -> float:
        return self.tflm_host_ms / self.ours_host_ms if self.ours_host_ms else float("inf")

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["ram_over_tflm_arena"] = round(self.ours_ram_bytes / self.tflm_arena_bytes, 4) if self.ours_ram_bytes else None
        d["host_speedup_vs_tflm"] = round(self.speedup_vs_tflm, 2)
        return d


def _tflite_interpreter_ms(model: bytes, sets, reference: bool) -> float:
    """Median invoke time of TensorFlow Lite's own interpreter (reference or default kernels)."""
    import tensorflow as tf
    resolver = tf.lite.experimental.OpResolverType.BUILTIN_REF if reference else tf.lite.experimental.OpResolverType.AUTO
    it = tf.lite.Interpreter(model_content=model, experimental_op_resolver_type=resolver, num_threads=1)
    it.allocate_tensors()
    details = it.get_input_details()
    times = []
    for arrays in sets:
        for d, a in zip(details, arrays):
            it.set_tensor(d["index"], a)
        start = time.perf_counter()
        it.invoke()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _tflm_outputs(model: bytes, graph, sets) -> tuple[list[bytes], list[float]]:
    """TFLM's output bytes for each input set and the seconds of each invoke."""
    it = interpreter(model)
    outputs, times = [], []
    for arrays in sets:
        for i, a in enumerate(arrays):
            it.set_input(a, i)
        start = time.perf_counter()
        it.invoke()
        times.append(time.perf_counter() - start)
        outputs.append(b"".join(np.ascontiguousarray(it.get_output(i)).tobytes() for i in range(len(graph.outputs))))
    return outputs, times


def _host_outputs_match(host: HostModel, graph, packed: list[bytes],
                        expected_outputs: list[bytes]) -> tuple[list[float], bool, float]:
    """Run our host build on each packed input: (seconds of each invoke, all bytes equal to TFLM's, and the
    largest absolute difference of the first output's dtype where they differ)."""
    times, bit_exact, max_diff = [], True, 0.0
    out_dtypes = [graph.tensors[t].dtype for t in graph.outputs]
    for data, expected in zip(packed, expected_outputs):
        got, seconds = host.invoke_bytes(data)
        times.append(seconds)
        if got != expected:
            bit_exact = False
            dtype = np.dtype(out_dtypes[0])
            a = np.frombuffer(got, dtype=dtype).astype(np.float64)
            b = np.frombuffer(expected, dtype=dtype).astype(np.float64)
            max_diff = max(max_diff, float(np.max(np.abs(a - b))))
    return times, bit_exact, max_diff


def _set_patch_figures(result: BenchResult, gen: GeneratedModel) -> None:
    if gen.patch is not None:
        result.patch, result.layer_arena_bytes = gen.patch.label, gen.patch.layer_arena_bytes
        result.patch_extra_macs = gen.patch.extra_macs
        result.patch_extra_macs_pct = round(gen.patch.extra_macs_pct, 2)


@dataclasses.dataclass
class _CortexMBench:
    """What the Cortex-M builds of one bench run share: the generated sources, where to build, the target and
    the inputs with TFLM's outputs."""
    name: str
    gen: GeneratedModel
    src: str
    work: str
    target: str
    packed: list[bytes]
    tflm_out: list[bytes]
    log: Callable[[str], None]

    def build(self, opt: str, inputs: list[bytes], label: str, **kwargs) -> target_cortexm.Build:
        return target_cortexm.build(self.src, "model", target=self.target, opt=opt, inputs=inputs,
                                    out_dir=os.path.join(self.work, self.target + label), **kwargs)


def _set_cortexm_figures(result: BenchResult, cm: _CortexMBench, on_target: bool, cm_inputs: int,
                         portable: bool) -> None:
    """Flash, RAM and stack of the -O2 build; on a Cortex-M target also the runs in QEMU (`_run_on_target`)."""
    try:
        n_cm = min(cm_inputs, len(cm.packed)) if on_target else 1
        b = cm.build("-O2", cm.packed[:n_cm], "-O2")
    except target_cortexm.CortexMError as e:
        cm.log(f"  {cm.name}: no Cortex-M figures ({e})")
        return
    result.ours_flash_bytes = b.model_linked_flash_bytes
    # An input read in place (patch-based) must be held by the caller for the whole call: count it.
    result.ours_ram_bytes = b.model_linked_ram_bytes + cm.gen.outside_arena_input_bytes
    result.ours_stack_bytes = result.ours_stack_bytes_static = b.max_stack_bytes
    result.ours_stack_bytes_static_exact = b.stack.exact
    if on_target:
        _run_on_target(result, cm, b, n_cm, portable)


def m55_cycle_estimate(instructions: int, vector_instructions: int) -> int:
    """Cycles of a Cortex-M55 run from its instruction counts, by the published beat rule: the M55 is a
    dual-beat Helium core (a 128-bit vector instruction is four 32-bit beats, two per cycle: 2 cycles), scalar
    instructions take 1 cycle; no overlap of vector instructions is credited, nor are stalls or memory waits
    counted (an estimate for comparing kernels, not a cycle-accurate model)."""
    return (instructions - vector_instructions) + 2 * vector_instructions


def _set_m55_figures(result: BenchResult, cm: _CortexMBench, run: target_cortexm.Run) -> None:
    """The cycle estimate of the -O2 run, and the DSP-only build's instructions (checked against TFLM)."""
    result.ours_vector_instructions = run.vector_instructions[0]
    result.ours_m55_cycle_estimate = m55_cycle_estimate(run.instructions[0], run.vector_instructions[0])
    dsp = target_cortexm.run(cm.build("-O2", cm.packed[:1], "-dsp-only", extra_cflags=["-DMR_NO_MVE"]))
    result.ours_m55_instructions_dsp_only = dsp.instructions[0]
    result.cm4_bit_exact = result.cm4_bit_exact and dsp.outputs[0] == cm.tflm_out[0]


def _run_on_target(result: BenchResult, cm: _CortexMBench, b: target_cortexm.Build, n_cm: int,
                   portable: bool) -> None:
    """The -O2 build's outputs, instructions and measured stack in QEMU, then the per-layer profile, the -Os
    build and (portable) the -DMR_PORTABLE build, each checked against TFLM on the first input."""
    run = target_cortexm.run(b)
    result.ours_stack_bytes_measured = max(run.stack_bytes)
    result.ours_stack_bytes = max(b.max_stack_bytes, result.ours_stack_bytes_measured)
    result.cm4_inputs_checked = len(run.outputs)
    result.cm4_bit_exact = len(run.outputs) == n_cm and all(o == e for o, e in zip(run.outputs, cm.tflm_out))
    result.ours_cm4_instructions = run.instructions[0]
    result.ours_cm4_instructions_per_mac = round(run.instructions[0] / max(result.macs, 1), 3)
    cm.log(f"  {cm.name}: {cm.target} -O2 {len(run.outputs)} inputs, bit_exact={result.cm4_bit_exact}, "
           f"{run.instructions[0]:,} instructions")
    if cm.target == "cortex-m55":
        _set_m55_figures(result, cm, run)
    # Per layer (marker calls add a few instructions per layer, so the total above is a separate build).
    profiled = target_cortexm.run(cm.build("-O2", cm.packed[:1], "-prof", profile_layers=True))
    graph = cm.gen.graph
    result.cm4_layers = [
        {"layer": i, "op": describe(graph, op), "macs": op_macs(graph, op), "instructions": n,
         "instructions_per_mac": round(n / op_macs(graph, op), 3) if op_macs(graph, op) else None}
        for i, (op, n) in enumerate(zip(graph.ops, profiled.layer_instructions))]
    small = cm.build("-Os", cm.packed[:1], "-Os")
    small_run = target_cortexm.run(small)
    result.ours_flash_bytes_os = small.model_linked_flash_bytes
    result.ours_cm4_instructions_os = small_run.instructions[0]
    result.cm4_bit_exact = result.cm4_bit_exact and small_run.outputs[0] == cm.tflm_out[0]
    if portable:
        plain = target_cortexm.run(cm.build("-O2", cm.packed[:1], "-portable", extra_cflags=["-DMR_PORTABLE"]))
        result.ours_cm4_instructions_portable = plain.instructions[0]
        result.ours_cm4_instructions_per_mac_portable = round(plain.instructions[0] / max(result.macs, 1), 3)
        result.cm4_bit_exact = result.cm4_bit_exact and plain.outputs[0] == cm.tflm_out[0]


def bench_model(model: bytes, name: str, inputs: int = 100, target: str = "host", cm_inputs: int = 10,
                tflite_interpreter: bool = True, seed: int = 0, portable: bool = False, log=print,
                patch=None, sram_bytes: int | None = None, fuse: str = "off") -> BenchResult:
    """Generate, compile and run `model` against TFLM on `inputs` random input sets.

    target "cortex-m4" (or -m7/-m55) also runs the first `cm_inputs` sets in QEMU, checks those outputs
    byte for byte against TFLM too, and counts the instructions of one inference (per layer as well).
    Flash, RAM and stack always come from a Cortex-M4 -O2 build when arm-none-eabi-gcc is installed.
    portable: with a Cortex-M target, also count one inference of the portable C kernels (-DMR_PORTABLE),
    checked against TFLM like the others.
    `patch` / `sram_bytes`: our code's patch-based schedule; `fuse`: its fused blocks (`codegen.generate`).
    """
    graph = load_tflite(model)
    gen = generate(model, "model", patch=patch, sram_bytes=sram_bytes, fuse=fuse)
    if gen.patch is not None:
        log(f"  {name}: {gen.patch.describe()}")
    work = tempfile.mkdtemp(prefix=f"mr_bench_{name}_")
    host = HostModel(gen, work_dir=work)
    sets = random_inputs(graph, inputs, seed=seed)
    packed = [b"".join(np.ascontiguousarray(a).tobytes() for a in s) for s in sets]

    tflm_out, tflm_times = _tflm_outputs(model, graph, sets)
    ours_times, bit_exact, max_diff = _host_outputs_match(host, graph, packed, tflm_out)
    log(f"  {name}: host {len(sets)} inputs, bit_exact={bit_exact}")

    arena = tflm_arena(model)
    weights = sum(t.nbytes for t in graph.tensors if t.is_constant)
    result = BenchResult(
        model=name, macs=graph_macs(graph), bit_exact=bit_exact, inputs_checked=len(sets), max_abs_diff=max_diff,
        tflm_arena_bytes=arena.total, tflm_head_bytes=arena.head, ours_arena_bytes=gen.arena_bytes,
        ours_ram_bytes=None, ours_flash_bytes=None, ours_stack_bytes=None, weights_bytes=weights,
        tflm_host_ms=statistics.median(tflm_times) * 1e3, ours_host_ms=statistics.median(ours_times) * 1e3,
        target=target)
    _set_patch_figures(result, gen)
    result.fuse, result.fused_blocks = fuse, sum(op.attrs.block is not None for op in gen.graph.ops)
    if tflite_interpreter:
        result.tflite_ref_host_ms = _tflite_interpreter_ms(model, sets[:20], reference=True)
        result.tflite_host_ms = _tflite_interpreter_ms(model, sets[:20], reference=False)

    on_target = target.startswith("cortex-m")
    cm = _CortexMBench(name=name, gen=gen, src=os.path.join(work, "src"), work=work,
                       target=target if on_target else "cortex-m4", packed=packed, tflm_out=tflm_out, log=log)
    _set_cortexm_figures(result, cm, on_target, cm_inputs, portable)
    return result


def format_layers(result: BenchResult) -> str:
    """Per-layer instruction table of one model (Cortex-M runs): where the instructions go."""
    rows = [("layer", "op", "MACs", "instructions", "instr/MAC", "share")]
    total = sum(layer["instructions"] for layer in result.cm4_layers or []) or 1
    for layer in result.cm4_layers or []:
        ipm = layer["instructions_per_mac"]
        rows.append((str(layer["layer"]), layer["op"], f"{layer['macs']:,}", f"{layer['instructions']:,}",
                     "-" if ipm is None else f"{ipm:.2f}", f"{100 * layer['instructions'] / total:.1f}%"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 1 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def format_table(results: list[BenchResult]) -> str:
    """The bench table: correctness, memory and speed, ours next to TFLM, with the ratios."""
    header = ["model", "MACs", "bit-exact", "inputs", "TFLM arena B", "ours RAM B", "RAM ratio", "ours Flash B",
              "stack B", "TFLM ms", "ours ms", "speed-up", "TFLite ref ms", "TFLite ms"]
    cm = any(r.ours_cm4_instructions is not None for r in results)
    patched = any(r.patch != "off" for r in results)
    if patched:
        header += ["patch", "ours arena B", "layer arena B", "extra MACs"]
    if cm:
        header += ["target instr -O2", "instr/MAC", "instr -Os", "Flash -Os", "on-target exact"]
    portable = any(r.ours_cm4_instructions_portable is not None for r in results)
    if portable:
        header += ["portable instr/MAC", "ours/portable", "Flash - weights B"]
    m55 = any(r.ours_m55_cycle_estimate is not None for r in results)
    if m55:
        header += ["vector instr", "M55 cycles est.", "M55 DSP-only instr"]
    rows = [header]

    def num(v, fmt="{:,}"):
        return "-" if v is None else fmt.format(v)

    for r in results:
        row = [r.model, f"{r.macs / 1e6:.2f}M", "yes" if r.bit_exact else "NO", str(r.inputs_checked),
               num(r.tflm_arena_bytes), num(r.ours_ram_bytes),
               num(r.ours_ram_bytes / r.tflm_arena_bytes if r.ours_ram_bytes else None, "{:.3f}"),
               num(r.ours_flash_bytes), num(r.ours_stack_bytes), f"{r.tflm_host_ms:.3f}", f"{r.ours_host_ms:.3f}",
               f"{r.speedup_vs_tflm:.1f}x", num(r.tflite_ref_host_ms, "{:.3f}"), num(r.tflite_host_ms, "{:.3f}")]
        if patched:
            row += [r.patch, num(r.ours_arena_bytes), num(r.layer_arena_bytes), f"{r.patch_extra_macs_pct:.1f}%"]
        if cm:
            row += [num(r.ours_cm4_instructions), num(r.ours_cm4_instructions_per_mac, "{:.2f}"),
                    num(r.ours_cm4_instructions_os), num(r.ours_flash_bytes_os),
                    "-" if r.cm4_bit_exact is None else ("yes" if r.cm4_bit_exact else "NO")]
        if portable:
            ratio = (r.ours_cm4_instructions / r.ours_cm4_instructions_portable
                     if r.ours_cm4_instructions and r.ours_cm4_instructions_portable else None)
            row += [num(r.ours_cm4_instructions_per_mac_portable, "{:.2f}"), num(ratio, "{:.3f}"),
                    num(r.ours_flash_bytes - r.weights_bytes if r.ours_flash_bytes else None)]
        if m55:
            row += [num(r.ours_vector_instructions), num(r.ours_m55_cycle_estimate),
                    num(r.ours_m55_instructions_dsp_only)]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
