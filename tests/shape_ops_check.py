"""Shared by tests/test_ops_{slicing,packing,space_depth,reduce,misc}.py: seeded random single-op models
merged several to a graph (one generated C file and two compilations for a batch: CPU is scarce), run by
the TFLM wheel and by our generated C (fast path and -DMR_PORTABLE): same bytes for every output."""
from __future__ import annotations

import numpy as np
import pytest

from micro_runtime.codegen import generate
from micro_runtime.target_host import HostModel
from tflite_patch import Graph, Op, Quantization, Tensor, save_tflite
from tflite_patch.graph import ModelError
from tflite_patch.tflm import run_tflm

CFLAGS = ("-std=c99", "-O1", "-Wall", "-Wextra", "-Werror")


def q(scale, zero_point=0):
    return Quantization(np.asarray(scale, np.float32).reshape(-1), np.asarray(zero_point, np.int64).reshape(-1), 0)


def act(shape, rng, name="x", quant=None):
    """An int8 activation tensor with random (or given) quantization."""
    if quant is None:
        quant = q(rng.uniform(0.005, 0.2), int(rng.integers(-128, 128)))
    return Tensor(name, tuple(int(d) for d in shape), "int8", quant)


def const(values, name="c", dtype="int32"):
    arr = np.asarray(values, dtype)
    return Tensor(name, tuple(arr.shape), dtype, None, arr)


def single(tensors, kind, inputs, outputs, options=None, options_type=None, graph_inputs=None, version=1):
    """A one-op graph; graph inputs default to the op's non-constant inputs."""
    if graph_inputs is None:
        graph_inputs = [t for t in inputs if t >= 0 and tensors[t].data is None]
    op = Op(kind, list(inputs), list(outputs), dict(options or {}), options_type, version=version)
    return Graph(list(tensors), [op], list(graph_inputs), list(outputs))


def merge(graphs: list[Graph]) -> Graph:
    """The disjoint union of single-op graphs (inputs and outputs concatenated)."""
    tensors, ops, inputs, outputs = [], [], [], []
    for g in graphs:
        base = len(tensors)
        tensors += g.tensors
        for op in g.ops:
            ops.append(Op(op.kind, [t + base if t >= 0 else t for t in op.inputs], [t + base for t in op.outputs],
                          dict(op.options), op.options_type, version=op.version))
        inputs += [t + base for t in g.inputs]
        outputs += [t + base for t in g.outputs]
    return Graph(tensors, ops, inputs, outputs)


def random_arrays(graph: Graph, rng, int32_range=None) -> list[np.ndarray]:
    """One input set: full-range int8/uint8, float32 in -300..300, int32 in `int32_range(tensor)` (low, high)
    when given."""
    arrays = []
    for t in graph.inputs:
        tensor = graph.tensors[t]
        if tensor.dtype == "int32":
            low, high = int32_range(tensor) if int32_range else (-1000, 1000)
            arrays.append(rng.integers(low, high, size=tensor.shape).astype(np.int32))
        elif tensor.dtype == "float32":
            arrays.append(rng.uniform(-300, 300, size=tensor.shape).astype(np.float32))
        else:
            info = np.iinfo(tensor.dtype)
            arrays.append(rng.integers(info.min, info.max + 1, size=tensor.shape).astype(tensor.dtype))
    return arrays


def run_tflm_fresh(model: bytes, sets, n_outputs: int):
    """`run_tflm` in a new (spawned) process: the wheel's arena then starts zeroed, as on a device."""
    import multiprocessing
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_tflm, (model, sets, n_outputs))


def check_graphs(graphs: list[Graph], seed: int = 0, count: int = 4, batch: int = 6, int32_range=None,
                 fresh_reference: bool = False) -> int:
    """Compare every graph of `graphs`, `batch` merged to one model; returns the number compared.
    `fresh_reference`: TFLM runs in a new process (`run_tflm_fresh`)."""
    rng = np.random.default_rng(seed)
    for start in range(0, len(graphs), batch):
        part = graphs[start:start + batch]
        graph = merge(part)
        model = save_tflite(graph)
        gen = generate(model, "op")
        sets = [random_arrays(graph, rng, int32_range) for _ in range(count)]
        expected = list((run_tflm_fresh if fresh_reference else run_tflm)(model, sets, len(graph.outputs)))
        owner = [k for k, g in enumerate(part) for _ in g.outputs]
        for flags in ((), ("-DMR_PORTABLE",)):
            host = HostModel(gen, cflags=CFLAGS + flags)
            for arrays, want in zip(sets, expected):
                for j, (got, w) in enumerate(zip(host.invoke(arrays), want)):
                    assert got.tobytes() == w.tobytes(), \
                        f"case {start + owner[j]} ({part[owner[j]].ops[0].kind}) output {j} flags {flags}:\n" \
                        f"got {got.reshape(-1)[:16]}\nwant {w.reshape(-1)[:16]}"
    return len(graphs)


def check_cases(make, seed: int, n: int = 20, **kwargs) -> int:
    """`n` graphs from `make(rng)` (None: draw again), compared as `check_graphs`."""
    rng = np.random.default_rng(seed)
    graphs = []
    while len(graphs) < n:
        g = make(rng)
        if g is not None:
            graphs.append(g)
    return check_graphs(graphs, **kwargs)


def assert_bit_exact_on_cortex_m4(graph: Graph, rng, out_dir, count: int = 3) -> None:
    """The graph built for the Cortex-M4 (the Arm DSP fast kernels, and -DMR_PORTABLE) gives TFLM's bytes in QEMU on
    `count` random inputs."""
    from micro_runtime import target_cortexm
    model = save_tflite(graph)
    sets = [random_arrays(graph, rng) for _ in range(count)]
    expected = [b"".join(np.ascontiguousarray(o).tobytes() for o in outs)
                for outs in run_tflm(model, sets, len(graph.outputs))]
    packed = [b"".join(np.ascontiguousarray(a).tobytes() for a in s) for s in sets]
    generate(model, "model", target="cortex-m").write(str(out_dir / "src"))
    for label, flags in (("dsp", []), ("portable", ["-DMR_PORTABLE"])):
        build = target_cortexm.build(out_dir / "src", "model", target="cortex-m4", opt="-O2", inputs=packed,
                                     extra_cflags=flags, out_dir=out_dir / label)
        assert target_cortexm.run(build, count_instructions=False).outputs == expected, f"{label} path differs"


def assert_refused(graph: Graph, message: str) -> None:
    """Generating `graph` fails with one line matching `message` (a regular expression)."""
    with pytest.raises(ModelError, match=message) as info:
        generate(save_tflite(graph), "op")
    assert "\n" not in str(info.value)
