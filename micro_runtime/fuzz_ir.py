"""Structure-aware fuzzing of the engine: valid models mutated through the IR (`tflite_patch.graph`), not
byte by byte, so that the mutants load and reach the checks, the passes, the planner, the bounds proof and
the kernels with fields that disagree.

Seeds: real models (the MLPerf Tiny ones) and small random single-op models. A mutant changes one to three
of: a tensor's shape, an op option, a quantization scale or zero point, a graph edge (an op's input or
output, the order of two ops), a value of a small constant (paddings, axes, permutations, shapes). Each
mutant is generated; a refusal must be one `ModelError` line; an accepted one is built with ASan + UBSan
and the checked kernels (`target_host.CHECKED_CFLAGS`), run on a random input, and must run clean and give
TF Lite Micro's bytes where the wheel runs it. Anything else is a finding.
"""
from __future__ import annotations

import copy
import dataclasses
import glob
import hashlib
import os
import signal
import subprocess
import time

import numpy as np

from micro_runtime.codegen import generate
from micro_runtime.lowering import lowering_for
from micro_runtime.target_host import CHECKED_CFLAGS, RUN_MODEL, run_model
from tflite_patch.graph import Graph, ModelError, Op, Quantization, Tensor, load_tflite, save_tflite
from tflite_patch.tflm import random_inputs, run_tflm

MAX_RUN_ARENA = 1 << 24  # accepted mutants with a larger arena are generated and proved, not built and run
EDGE_VALUES = (0, 1, 2, 3, 4, 7, -1, 1000, (1 << 31) - 1)
OPTION_KEYS = ("strideH", "strideW", "dilationHFactor", "dilationWFactor", "padding", "filterHeight", "filterWidth",
               "axis", "keepDims", "fusedActivationFunction", "depthMultiplier", "keepNumDims", "alignCorners",
               "halfPixelCenters")


def _q(rng: np.random.Generator, scale: float | None = None) -> Quantization:
    scale = float(rng.choice([0.02, 0.05, 0.1])) if scale is None else scale
    return Quantization(np.array([scale], np.float32), np.array([int(rng.integers(-10, 10))], np.int64))


def _act(shape, rng, name="x") -> Tensor:
    return Tensor(name, tuple(int(d) for d in shape), "int8", _q(rng))


def _weights(shape, rng) -> Tensor:
    data = rng.integers(-127, 128, size=shape).astype(np.int8)
    return Tensor("w", tuple(shape), "int8", Quantization(np.array([0.01], np.float32), np.array([0], np.int64)),
                  data=data)


def _const(values, dtype=np.int32) -> Tensor:
    data = np.asarray(values, dtype)
    return Tensor("c", data.shape, str(data.dtype), None, data=data)


def _graph(kind: str, inputs: list[Tensor], output: Tensor, options=None, options_type=None) -> Graph:
    tensors = inputs + [output]
    op = Op(kind, list(range(len(inputs))), [len(inputs)], dict(options or {}), options_type, 1)
    return Graph(tensors, [op], [k for k, t in enumerate(inputs) if t.data is None], [len(inputs)], "main")


def single_op_seed(rng: np.random.Generator) -> Graph:
    """A small valid single-op model of a random family (shapes consistent with the options)."""
    h, w, c = (int(v) for v in rng.integers(2, 9, size=3))
    x = (1, h, w, c)
    kind = str(rng.choice(["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "AVERAGE_POOL_2D",
                           "ADD", "MUL", "PAD", "SOFTMAX", "CONCATENATION", "TRANSPOSE", "MEAN", "RESHAPE"]))
    window = {"padding": 0, "strideH": 1, "strideW": 1}
    if kind == "CONV_2D":
        return _graph(kind, [_act(x, rng), _weights((4, 3, 3, c), rng)], _act((1, h, w, 4), rng), window, "Conv2DOptions")
    if kind == "DEPTHWISE_CONV_2D":
        return _graph(kind, [_act(x, rng), _weights((1, 3, 3, 2 * c), rng)], _act((1, h, w, 2 * c), rng),
                      {**window, "depthMultiplier": 2}, "DepthwiseConv2DOptions")
    if kind == "FULLY_CONNECTED":
        return _graph(kind, [_act((1, h * c), rng), _weights((w, h * c), rng)], _act((1, w), rng), {},
                      "FullyConnectedOptions")
    if kind.endswith("POOL_2D"):
        x_t = _act(x, rng)
        return _graph(kind, [x_t], dataclasses.replace(x_t, name="y"), {**window, "filterHeight": 2, "filterWidth": 2},
                      "Pool2DOptions")
    if kind in ("ADD", "MUL"):
        return _graph(kind, [_act(x, rng), _act((1, 1, 1, c), rng)], _act(x, rng))
    if kind == "PAD":
        return _graph(kind, [_act(x, rng), _const([[0, 0], [1, 1], [2, 0], [0, 0]])], _act((1, h + 2, w + 2, c), rng))
    if kind == "SOFTMAX":
        return _graph(kind, [_act(x, rng)], Tensor("y", x, "int8", Quantization(np.array([1 / 256], np.float32),
                                                                               np.array([-128], np.int64))),
                      {"beta": 1.0}, "SoftmaxOptions")
    if kind == "CONCATENATION":
        x_t = _act(x, rng)
        return _graph(kind, [x_t, dataclasses.replace(x_t, name="x2")], dataclasses.replace(x_t, shape=(1, h, w, 2 * c)),
                      {"axis": 3}, "ConcatenationOptions")
    if kind == "TRANSPOSE":
        return _graph(kind, [_act(x, rng), _const([0, 2, 1, 3])], _act((1, w, h, c), rng))
    if kind == "MEAN":
        x_t = _act(x, rng)
        return _graph(kind, [x_t, _const([1, 2])], dataclasses.replace(x_t, shape=(1, 1, 1, c)), {"keepDims": True},
                      "ReducerOptions")
    x_t = _act(x, rng)
    return _graph(kind, [x_t, _const([1, h * w * c])], dataclasses.replace(x_t, shape=(1, h * w * c)))


def _mutate_shape(g: Graph, rng: np.random.Generator) -> str:
    j = int(rng.integers(len(g.tensors)))
    t = g.tensors[j]
    shape = list(t.shape)
    how = int(rng.integers(4))
    if how == 0 and shape:
        k = int(rng.integers(len(shape)))
        shape[k] = int(rng.choice([1, shape[k] + 1, max(shape[k] - 1, 0), 2 * shape[k], 1 << 20, (1 << 31) - 1]))
    elif how == 1:
        shape.append(int(rng.choice([1, 2, 3])))
    elif how == 2 and shape:
        shape.pop(int(rng.integers(len(shape))))
    else:
        shape = shape[::-1]
    g.tensors[j] = dataclasses.replace(t, shape=tuple(shape), shape_signature=None)
    return f"tensor {j} shape {list(t.shape)} -> {shape}"


def _mutate_option(g: Graph, rng: np.random.Generator) -> str:
    op = g.ops[int(rng.integers(len(g.ops)))]
    keys = [k for k, v in op.options.items() if isinstance(v, (int, bool, np.integer))] or list(OPTION_KEYS)
    key = str(rng.choice(keys)) if rng.random() < 0.8 else str(rng.choice(OPTION_KEYS))
    old = op.options.get(key)
    op.options[key] = (not old) if isinstance(old, bool) else int(rng.choice(EDGE_VALUES))
    return f"{op.kind} option {key} {old} -> {op.options[key]}"


def _mutate_quant(g: Graph, rng: np.random.Generator) -> str:
    quantized = [j for j, t in enumerate(g.tensors) if t.quant is not None]
    if not quantized:
        return "no quantized tensor"
    j = int(rng.choice(quantized))
    q = g.tensors[j].quant
    if rng.random() < 0.5:
        factor = float(rng.choice([10.0 ** float(rng.uniform(-12, 12)), 0.0, -1.0, float("nan"), float("inf")]))
        with np.errstate(invalid="ignore", over="ignore"):  # inf x 0 and overflows are what is wanted
            new = Quantization((q.scale * factor).astype(np.float32), q.zero_point.copy(), q.axis)
    else:
        new = Quantization(q.scale.copy(), q.zero_point + int(rng.choice([-300, -129, -1, 1, 128, 300])), q.axis)
    g.tensors[j] = dataclasses.replace(g.tensors[j], quant=new)
    return f"tensor {j} quantization {q.scale[:1]}/{q.zero_point[:1]} -> {new.scale[:1]}/{new.zero_point[:1]}"


def _mutate_edge(g: Graph, rng: np.random.Generator) -> str:
    i = int(rng.integers(len(g.ops)))
    op = g.ops[i]
    how = int(rng.integers(3))
    if how == 0 and op.inputs:
        k = int(rng.integers(len(op.inputs)))
        old, op.inputs[k] = op.inputs[k], int(rng.integers(-1, len(g.tensors)))
        return f"op {i} input {k} {old} -> {op.inputs[k]}"
    if how == 1 and op.outputs:
        old, op.outputs[0] = op.outputs[0], int(rng.integers(len(g.tensors)))
        return f"op {i} output {old} -> {op.outputs[0]}"
    j = int(rng.integers(len(g.ops)))
    g.ops[i], g.ops[j] = g.ops[j], g.ops[i]
    return f"ops {i} and {j} swapped"


def _mutate_constant(g: Graph, rng: np.random.Generator) -> str:
    small = [j for j, t in enumerate(g.tensors) if t.data is not None and t.dtype == "int32" and t.data.size <= 16]
    if not small:
        return "no small constant"
    j = int(rng.choice(small))
    data = g.tensors[j].data.copy()
    k = int(rng.integers(data.size))
    data.reshape(-1)[k] = int(rng.choice([-5, -1, 0, 1, 2, 3, 4, 9, 1000, data.reshape(-1)[k] + 1]))
    g.tensors[j] = dataclasses.replace(g.tensors[j], data=data)
    return f"constant {j} element {k} -> {data.reshape(-1)[k]}"


MUTATIONS = (_mutate_shape, _mutate_option, _mutate_quant, _mutate_edge, _mutate_constant)


def _repair_outputs(g: Graph) -> None:
    """Each op's outputs reshaped, in order, to what its lowering computes from its inputs and options (where
    it can): the mutant is then consistent, and reaches the kernels with unusual shapes and options."""
    for op in g.ops:
        try:
            shapes = lowering_for(op, g).output_shapes(g, op)
        except Exception:  # noqa: BLE001 - an op the lowering cannot shape keeps its declared outputs
            shapes = None
        for t, shape in zip(op.outputs, shapes or []):
            if 0 <= t < len(g.tensors) and g.tensors[t].data is None:
                g.tensors[t] = dataclasses.replace(g.tensors[t], shape=tuple(int(d) for d in shape), shape_signature=None)


def mutate(graph: Graph, rng: np.random.Generator) -> tuple[Graph, str]:
    """A deep copy of `graph` with one to three random mutations, and what they were; half of the time the
    outputs are then reshaped to follow from the inputs and options (`_repair_outputs`)."""
    g = copy.deepcopy(graph)
    done = [MUTATIONS[int(rng.integers(len(MUTATIONS)))](g, rng) for _ in range(int(rng.integers(1, 4)))]
    if rng.random() < 0.5:
        _repair_outputs(g)
        done.append("outputs reshaped")
    return g, "; ".join(done)


@dataclasses.dataclass
class Stats:
    """What a campaign did: cases run, refused in one line, accepted but too large to run, accepted (built,
    run, compared), compared with
    TFLM, mutants the IR could not write, findings (a description each), and the seconds taken."""
    cases: int = 0
    refused: int = 0
    large: int = 0
    accepted: int = 0
    compared: int = 0
    unwritable: int = 0
    findings: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0.0
        return (f"{self.cases} cases in {self.seconds:.1f} s ({rate:.2f}/s): {self.refused} refused in one line, "
                f"{self.large} accepted with an arena over {MAX_RUN_ARENA >> 20} MB (not run), "
                f"{self.accepted} accepted and run clean ({self.compared} equal to TFLM), {self.unwritable} not "
                f"writable, {len(self.findings)} findings")


def _compile(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"compile failed: {(res.stderr.strip().splitlines() or [''])[0]}")


def build_cached(gen, src: str, exe: str, cache: str) -> None:
    """`target_host.build_run_model` with CHECKED_CFLAGS, the runtime's files compiled once per content (they
    are the same bytes in every generated folder): only the model's own file is compiled per case."""
    headers = b"".join(open(h, "rb").read() for h in sorted(glob.glob(os.path.join(src, "*.h"))))
    defines = [f"-DMR_MODEL_HEADER=\"{gen.name}.h\"", f"-DMR_MODEL_INVOKE={gen.name}_invoke",
               f"-DMR_MODEL_INPUT_BYTES={sum(gen.input_bytes)}", f"-DMR_MODEL_OUTPUT_BYTES={sum(gen.output_bytes)}"]
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", *CHECKED_CFLAGS, f"-I{src}"]
    objects = []
    for c in sorted(glob.glob(os.path.join(src, "*.c"))) + [RUN_MODEL]:
        own = c == RUN_MODEL or os.path.basename(c) == f"{gen.name}.c"
        text = open(c, "rb").read()
        key = hashlib.sha256(text + headers + " ".join(flags + (defines if own else [])).encode()).hexdigest()[:24]
        obj = os.path.join(cache, f"{key}.o")
        if not os.path.exists(obj):
            # the model's own files change every case: -O0 compiles them fastest, under the same sanitizers
            _compile(["cc", *flags, *(defines + ["-O0"] if own else []), "-c", c, "-o", obj + ".tmp"])
            os.replace(obj + ".tmp", obj)
        objects.append(obj)
    _compile(["cc", *CHECKED_CFLAGS, *objects, "-lm", "-o", exe])


def tflm_bytes(model: bytes, sets, n_outputs: int, timeout: int = 60) -> bytes | None:
    """TFLM's output bytes on `sets`, run in a child process (a model that crashes or hangs the wheel
    must not stop the campaign); None where the wheel refuses or fails it."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, write the bytes, exit without running the parent's cleanup
        os.close(read_end)
        code = 1
        try:
            signal.alarm(timeout)
            outs = run_tflm(model, sets, n_outputs)
            payload = memoryview(b"".join(b"".join(np.asarray(o).tobytes() for o in s) for s in outs))
            while payload:
                payload = payload[os.write(write_end, payload):]
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as f:
        chunks.append(f.read())
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks) if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else None


def run_case(graph: Graph, work: str, cache: str, seed: int, stats: Stats) -> str | None:
    """Generate, and build, run and compare what is accepted (the module docstring); a finding's
    description, or None."""
    try:
        data = save_tflite(graph)
        model = load_tflite(data)
    except Exception:  # noqa: BLE001 - the mutant is not a model the IR can write: nothing was tested
        stats.unwritable += 1
        return None
    stats.cases += 1
    try:
        gen = generate(data, "m")
    except ModelError as err:
        stats.refused += 1
        return f"refusal of {len(str(err).splitlines())} lines: {str(err)[:200]!r}" if "\n" in str(err) else None
    except Exception as err:  # noqa: BLE001 - anything but a ModelError is what the fuzzer looks for
        return f"generate raised {type(err).__name__}: {str(err)[:200]}"
    if gen.arena_bytes > MAX_RUN_ARENA:
        stats.large += 1
        return None
    src = os.path.join(work, "src")
    gen.write(src)
    exe = os.path.join(work, "run")
    try:
        build_cached(gen, src, exe, cache)
    except RuntimeError as err:
        return f"accepted, but {err}"
    sets = random_inputs(model, 1, seed=seed)
    code, ours, stderr = run_model(exe, b"".join(np.ascontiguousarray(a).tobytes() for a in sets[0]), work)
    if code != 0 or "runtime error" in stderr or "Sanitizer" in stderr:
        lines = [ln for ln in stderr.splitlines() if "MR_CHECK" in ln or "ERROR" in ln or "runtime error" in ln]
        return f"accepted, run failed ({code}): {(lines or [stderr[-200:]])[0][:300]}"
    stats.accepted += 1
    theirs = tflm_bytes(data, sets, len(model.outputs))
    if theirs is not None:
        stats.compared += 1
        if theirs != ours:
            return "accepted, output differs from TFLM's"
    return None


def seed_graphs(seeds_dir: str | None) -> list[Graph]:
    """The real models under `seeds_dir` (*.tflite) that the engine accepts as they are."""
    graphs = []
    for path in sorted(glob.glob(os.path.join(seeds_dir, "*.tflite"))) if seeds_dir else []:
        with open(path, "rb") as f:
            data = f.read()
        generate(data, "m")  # a seed must be valid: its mutants then differ from a valid model in one place
        graphs.append(load_tflite(data))
    return graphs


def fuzz(seconds: float, runs: int, seed: int, seeds_dir: str | None, out_dir: str, work: str,
         real_share: float = 0.3, log=print) -> Stats:
    """A campaign of at most `runs` cases (-1: no limit) and `seconds`: each case a mutant of a real seed
    (with probability `real_share`) or of a fresh single-op model. Findings are written to `out_dir` as
    finding-<n>.tflite with finding-<n>.txt (the mutations and what went wrong)."""
    rng = np.random.default_rng(seed)
    real = seed_graphs(seeds_dir)
    cache = os.path.join(out_dir, "objects")  # keyed by content: kept between campaigns
    os.makedirs(cache, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    stats, start = Stats(), time.monotonic()
    while (runs < 0 or stats.cases < runs) and time.monotonic() - start < seconds:
        base = real[int(rng.integers(len(real)))] if real and rng.random() < real_share else single_op_seed(rng)
        graph, what = mutate(base, rng)
        finding = run_case(graph, work, cache, int(rng.integers(1 << 30)), stats)
        if finding is not None:
            n = len(stats.findings)
            stats.findings.append(f"{what}: {finding}")
            with open(os.path.join(out_dir, f"finding-{n}.txt"), "w") as f:
                f.write(stats.findings[-1] + "\n")
            with open(os.path.join(out_dir, f"finding-{n}.tflite"), "wb") as f:
                f.write(save_tflite(graph))
            log(f"finding {n}: {stats.findings[-1]}")
    stats.seconds = time.monotonic() - start
    return stats
