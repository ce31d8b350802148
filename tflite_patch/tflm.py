"""Stock TF Lite Micro (the `tflite-micro` wheel) as the reference: run models, measure their arena,
and hand it our memory plan as `OfflineMemoryAllocation` metadata."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import tempfile

import numpy as np

from tflite_patch.graph import Graph, ModelError
from tflite_patch.planner import ArenaPlan

OFFLINE_PLAN_METADATA = "OfflineMemoryAllocation"
# Large enough for every model we plan; TFLM only uses what it needs and reports that.
DEFAULT_ARENA = 32 * 1024 * 1024


@dataclasses.dataclass
class TflmArena:
    """TFLM's arena use: `head` holds the planned (non-persistent) tensors and scratch, `tail` its
    persistent structures; `total` is what a user must give `arena_size`."""
    total: int
    head: int
    tail: int


def _runtime():
    from tflite_micro.python.tflite_micro import runtime
    return runtime


@contextlib.contextmanager
def _captured_fds():
    """Capture what C code writes to file descriptors 1 and 2 (TFLM's print_allocations)."""
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = [os.dup(1), os.dup(2)]
        box = {}
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield box
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            box["text"] = sink.read().decode("utf-8", "replace")


def interpreter(model: bytes, arena_size: int = DEFAULT_ARENA):
    """A TFLM interpreter on `model` (its kernels are TFLM's reference kernels). A model TFLM refuses
    (a kernel's Prepare check fails) raises ModelError with TFLM's own first message, not its log."""
    failure = None
    with _captured_fds() as log:
        try:
            it = _runtime().Interpreter.from_bytes(bytes(model), arena_size=arena_size)
        except RuntimeError as err:
            failure = err
    if failure is not None:
        lines = [ln.strip() for ln in log["text"].splitlines() if ln.strip()]
        raise ModelError(f"TFLM refuses the model: {lines[0] if lines else failure}")
    return it


def tflm_arena(model: bytes) -> TflmArena:
    """The arena TFLM allocates for `model` (x86-64 wheel; TFLM's RecordingMicroAllocator figures)."""
    it = interpreter(model)
    with _captured_fds() as out:
        it.print_allocations()
    found = dict(re.findall(r"Arena allocation (total|head|tail) (\d+) bytes", out["text"]))
    if len(found) != 3:
        raise RuntimeError("TFLM did not report its arena allocation")
    return TflmArena(total=int(found["total"]), head=int(found["head"]), tail=int(found["tail"]))


def run_tflm(model: bytes, inputs: list[list[np.ndarray]], n_outputs: int = 1) -> list[list[np.ndarray]]:
    """Run `model` in TFLM on each input set (one array per model input); returns its `n_outputs`
    outputs per input set."""
    it = interpreter(model)
    results = []
    for arrays in inputs:
        for i, a in enumerate(arrays):
            it.set_input(a, i)
        it.invoke()
        results.append([np.array(it.get_output(i), copy=True) for i in range(n_outputs)])
    return results


def random_inputs(graph: Graph, count: int, seed: int = 0) -> list[list[np.ndarray]]:
    """`count` random input sets for `graph`: the full integer range for int8/uint8/int16 inputs, the range
    the input quantization covers for float32 inputs."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(count):
        arrays = []
        for t in graph.inputs:
            tensor = graph.tensors[t]
            if tensor.dtype in ("int8", "uint8", "int16"):
                info = np.iinfo(tensor.dtype)
                arrays.append(rng.integers(info.min, info.max + 1, size=tensor.shape).astype(tensor.dtype))
            else:
                arrays.append(rng.uniform(-1.0, 1.0, size=tensor.shape).astype(tensor.dtype))
        sets.append(arrays)
    return sets


def with_offline_plan(graph: Graph, plan: ArenaPlan) -> Graph:
    """A copy of `graph` carrying `plan` as TFLM `OfflineMemoryAllocation` metadata:
    int32 [version=1, subgraphs=1, n_tensors, offset or -1 per tensor], offsets from the arena head.

    The plan must have been made without in-place ops (`plan_arena(..., inplace=False)` on
    `passes.prepare_for_tflm(graph)`): TFLM's kernels cannot read and write one buffer.
    """
    if plan.inplace_ops:
        raise ValueError("TFLM cannot run in place: plan with inplace=False")
    offsets = [plan.offsets.get(t, -1) for t in range(len(graph.tensors))]
    words = np.array([1, 1, len(offsets)] + offsets, dtype="<i4").tobytes()
    g = dataclasses.replace(graph, metadata=[(k, v) for k, v in graph.metadata if k != OFFLINE_PLAN_METADATA]
                            + [(OFFLINE_PLAN_METADATA, words)])
    return g
