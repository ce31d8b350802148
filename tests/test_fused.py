"""Fused inverted-residual blocks (tflite_patch/fuse_blocks.py, micro_runtime/fusion.py,
micro_runtime/lowering/inverted_residual.py, kernels/inverted_residual.c): which chains are recognised, the
window's bytes against the C size function, the in-place offsets, the bounds proof over the fused call's
scratch, the per-block choice, and (e2e) whole models bit-exact with TFLM on the host and on a Cortex-M4."""
import ctypes
import dataclasses
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import BUILT_MODELS, ROOT, SHARED_MODELS, read_model
from micro_runtime.bounds import check_bounds
from micro_runtime.codegen import generate
from micro_runtime.fusion import choose_fusion, fusable_blocks
from micro_runtime.lowering.conv_common import conv_struct, geometry
from micro_runtime.lowering.inverted_residual import InvertedResidual, fused_scratch_bytes
from micro_runtime.schedule import plan_engine
from micro_runtime.target_host import HOST_CFLAGS, HostModel
from test_conv_scratch_sizes import ConvParams, _fill
from tflite_patch.fuse_blocks import FUSED_KIND, fuse_inverted_residuals, fused_inplace_offset, inverted_residual_blocks
from tflite_patch.graph import ModelError, load_tflite
from tflite_patch.passes import op_padding, op_window, prepare_for_engine
from tflite_patch.tflm import random_inputs, run_tflm

VWW = os.path.join(SHARED_MODELS, "mlperf_tiny", "vww_96_int8.tflite")
MBV2 = os.path.join(BUILT_MODELS, "mbv2-w0.35-r144_imagenet.int8.tflite")


def _engine(path):
    return prepare_for_engine(load_tflite(read_model(path)))


def _pointwise(engine, op):
    return op.kind == "CONV_2D" and op_window(engine, op) == (1, 1, 1, 1) and op_padding(engine, op) == (0, 0, 0, 0)


@pytest.mark.parametrize("path", [VWW, MBV2], ids=["vww_96", "mbv2"])
def test_blocks_are_pointwise_depthwise_pointwise_chains(path):
    engine = _engine(path)
    starts = inverted_residual_blocks(engine)
    # Every depthwise between two 1x1 convs that read nothing else is found (independently counted here).
    users = engine.consumers()
    chains = [i - 1 for i, op in enumerate(engine.ops) if op.kind == "DEPTHWISE_CONV_2D" and 0 < i < len(engine.ops) - 1
              and _pointwise(engine, engine.ops[i - 1]) and _pointwise(engine, engine.ops[i + 1])
              and users[op.inputs[0]] == [i] and users[op.outputs[0]] == [i + 1]]
    assert starts == chains and starts
    for s in starts:
        expand, dw, project = engine.ops[s:s + 3]
        assert dw.inputs[0] == expand.outputs[0] and project.inputs[0] == dw.outputs[0]
        if project.attrs.fused_add is not None:  # the residual adds the block's own input
            assert project.inputs[-1] == expand.inputs[0]
    chosen = fusable_blocks(engine)  # chains may overlap (MobileNetV1: pw dw pw dw pw): every other one
    assert chosen and set(chosen) <= set(starts) and all(b - a >= 3 for a, b in zip(chosen, chosen[1:]))
    fused = fuse_inverted_residuals(engine, chosen)
    assert len(fused.ops) == len(engine.ops) - 2 * len(chosen)
    assert sum(op.kind == FUSED_KIND for op in fused.ops) == len(chosen)


def test_a_block_whose_expanded_tensor_is_read_elsewhere_is_not_fused():
    engine = _engine(MBV2)
    s = inverted_residual_blocks(engine)[3]
    engine = dataclasses.replace(engine, outputs=list(engine.outputs) + [engine.ops[s].outputs[0]])
    assert s not in inverted_residual_blocks(engine)


@pytest.fixture(scope="module")
def size_function(tmp_path_factory):
    lib = str(tmp_path_factory.mktemp("fused") / "libfused.so")
    sources = [os.path.join(ROOT, "micro_runtime", "kernels", f) for f in InvertedResidual.sources]
    cflags = [f for f in HOST_CFLAGS if f != "-O2"] + ["-O0"]  # only the size function is called
    subprocess.run(["cc", *cflags, "-shared", "-fPIC", "-I", os.path.join(ROOT, "micro_runtime", "include"),
                    *sources, "-o", lib], check=True)
    fn = ctypes.CDLL(lib).mr_inverted_residual_scratch_bytes
    fn.argtypes = [ctypes.POINTER(ConvParams)] * 3 + [ctypes.c_void_p]
    fn.restype = ctypes.c_int32
    return fn


@pytest.mark.parametrize("path", [VWW, MBV2], ids=["vww_96", "mbv2"])
def test_window_bytes_equal_the_kernels_size_function(size_function, path):
    engine = fuse_inverted_residuals(_engine(path), fusable_blocks(_engine(path)))
    placeholders = dict(in_offset=0, out_offset=0, act=(-128, 127), mult="NULL", shift="NULL")
    add = ctypes.create_string_buffer(64)
    for op in engine.ops:
        if op.kind != FUSED_KIND:
            continue
        block = op.attrs.block
        params = [_fill(ConvParams(), conv_struct(geometry(engine, layer), placeholders, "NULL", "NULL", True))
                  for layer in (block.expand, block.depthwise, block.project)]
        c_bytes = size_function(*[ctypes.byref(p) for p in params],
                                add if block.project.attrs.fused_add is not None else None)
        assert fused_scratch_bytes(engine, op) == c_bytes
        dw = geometry(engine, block.depthwise)  # no more than k expanded rows and one output row, plus kernel scratch
        assert dw.k_h * dw.in_w * dw.in_c <= c_bytes < (dw.k_h * dw.in_w + dw.out_w + 64) * dw.in_c + 4096


def test_inplace_offsets():
    engine = _engine(MBV2)
    fused = fuse_inverted_residuals(engine, fusable_blocks(engine))
    marked = [op for op in fused.ops if op.kind == FUSED_KIND and op.attrs.inplace is not None]
    assert marked
    for op in marked:
        offset = op.attrs.inplace.offset
        assert offset == fused_inplace_offset(fused, op) and offset <= 0 and offset % 16 == 0
        if op.attrs.block.project.attrs.fused_add is not None:
            assert offset == 0  # output row y over input row y, read (expand and skip) before it is written
        # Each output row is written only over input rows already expanded.
        _, in_h, in_w, in_c = fused.tensors[op.inputs[0]].shape
        _, out_h, out_w, out_c = fused.tensors[op.outputs[0]].shape
        kh, _, sh, _ = op_window(fused, op.attrs.block.depthwise)
        top = op_padding(fused, op.attrs.block.depthwise)[0]
        for y in range(out_h - 1):
            assert offset + (y + 1) * out_w * out_c <= min(y * sh - top + kh, in_h) * in_w * in_c


def test_bounds_proof_covers_the_window():
    engine, plan = plan_engine(load_tflite(read_model(MBV2)), fuse="all")
    check_bounds(engine, plan)
    i = next(i for i, op in enumerate(engine.ops) if op.kind == FUSED_KIND)
    offset, size = plan.scratch[i]
    short = dataclasses.replace(plan, scratch={**plan.scratch, i: (offset, size - 1)})
    with pytest.raises(ModelError, match=f"op {FUSED_KIND} at index {i}: .*scratch"):
        check_bounds(engine, short)


def test_auto_fuses_only_the_blocks_that_lower_the_peak():
    graph = load_tflite(read_model(MBV2))
    engine = prepare_for_engine(graph)
    (_, off), (auto_engine, auto) = plan_engine(graph, fuse="off"), plan_engine(graph, fuse="auto")
    assert auto.arena_bytes < off.arena_bytes
    fused = sum(op.kind == FUSED_KIND for op in auto_engine.ops)
    assert 0 < fused < len(fusable_blocks(engine))
    assert plan_engine(graph, fuse="all")[1].arena_bytes >= auto.arena_bytes
    with pytest.raises(ValueError, match="--fuse=sometimes: choose one of auto, off, all"):
        choose_fusion(engine, "sometimes")
    with pytest.raises(ModelError, match="unknown fuse mode 'sometimes'"):
        generate(read_model(MBV2), fuse="sometimes")


def _tflm_outputs(model, graph, sets):
    return [b"".join(a.tobytes() for a in out) for out in run_tflm(model, sets, len(graph.outputs))]


@pytest.mark.e2e
@pytest.mark.parametrize("path,count", [(VWW, 20), (MBV2, 5)], ids=["vww_96", "mbv2"])
def test_every_block_fused_is_bit_exact_with_tflm(path, count, tmp_path):
    model = read_model(path)
    graph = load_tflite(model)
    gen = generate(model, "model", fuse="all")
    assert sum(op.kind == FUSED_KIND for op in gen.graph.ops) == len(fusable_blocks(prepare_for_engine(graph)))
    sets = random_inputs(graph, count, seed=1)  # scripts/bench.py --fuse=all checks 100 (TFLM is the slow side)
    host = HostModel(gen, work_dir=str(tmp_path))
    expected = _tflm_outputs(model, graph, sets)
    for arrays, want in zip(sets, expected):
        assert host.invoke_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays))[0] == want


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_fused_blocks_bit_exact_on_cortex_m4(tmp_path):
    from micro_runtime import target_cortexm
    model = read_model(VWW)
    graph = load_tflite(model)
    gen = generate(model, "model", fuse="all")
    gen.write(str(tmp_path / "src"))
    sets = random_inputs(graph, 10, seed=2)
    packed = [b"".join(np.ascontiguousarray(a).tobytes() for a in s) for s in sets]
    run = target_cortexm.run(target_cortexm.build(str(tmp_path / "src"), "model", inputs=packed,
                                                  out_dir=str(tmp_path / "m4")))
    assert run.outputs == _tflm_outputs(model, graph, sets)
