"""The TinyNAS cost model against the real thing: converted models, generated C, Cortex-M4 builds."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from conftest import BUILT_MODELS, ROOT, SHARED_MODELS
from mcunet_tf.cost import DEVICES, Budget, Cost, subnet_cost, subnet_graph
from mcunet_tf.space import SearchSpace, SubnetConfig, count_macs, count_params

CONFIG_DIR = os.path.join(SHARED_MODELS, "mcunet_configs")
# Published MACs (M) of the MCUNet configs (mcunet README / shared/models/README.md).
PUBLISHED_MMACS = {
    "mcunet-10fps_imagenet": 6.4, "mcunet-5fps_imagenet": 12.8, "mcunet-256kb-1mb_imagenet": 67.3,
    "mcunet-320kb-1mb_imagenet": 81.8, "mcunet-512kb-2mb_imagenet": 125.9, "mbv2-w0.35-r144_imagenet": 23.5,
    "proxyless-w0.3-r176_imagenet": 38.3,
}
# Small random subnets (low resolution: conversion stays fast): (width, resolution, seed, classes).
SMALL_SUBNETS = [(0.3, 32, 1, 1000), (0.5, 40, 2, 1000), (0.4, 48, 3, 10)]
HAVE_ARM = shutil.which("arm-none-eabi-gcc") is not None


def op_signature(graph):
    """What must agree between the converter's graph and ours: per op its kind, version, options and the
    shape, dtype, constness and quantization layout of every operand."""
    ops = []
    for op in graph.ops:
        operands = []
        for j in list(op.inputs) + list(op.outputs):
            if j < 0:
                operands.append(None)
                continue
            t = graph.tensors[j]
            q = None if t.quant is None else (t.quant.scale.size, t.quant.axis)
            operands.append((t.shape, t.dtype, t.is_constant, q))
        ops.append((op.kind, op.version, op.options_type, sorted(op.options.items()), operands))
    io = [(graph.tensors[j].shape, graph.tensors[j].dtype) for j in list(graph.inputs) + list(graph.outputs)]
    return ops, io


@pytest.fixture(scope="module")
def converted():
    """[(cfg, .tflite bytes)] for SMALL_SUBNETS: random weights (a non-zero classifier bias, as trained nets
    have), BatchNorm calibrated, full-integer int8 conversion."""
    from mcunet_tf import export, zoo

    out = []
    for width, resolution, seed, classes in SMALL_SUBNETS:
        cfg = SearchSpace.mcunet(width, resolution, num_classes=classes).sample(seed)
        model = zoo.build_random_model(cfg, seed=seed, calibration_images=8)
        dense = model.get_layer("classifier")
        kernel, bias = dense.get_weights()
        dense.set_weights([kernel, np.random.default_rng(seed).normal(0, 0.1, bias.shape).astype(np.float32)])
        out.append((cfg, export.convert_int8(model, zoo.random_images(8, resolution, seed=seed), io_dtype="int8")))
    return out


@pytest.mark.e2e
def test_subnet_graph_matches_the_converter(converted):
    from tflite_patch.graph import load_tflite
    from tflite_patch.validate import check_int8_model

    for cfg, data in converted:
        ours = subnet_graph(cfg)
        check_int8_model(ours)
        assert op_signature(ours) == op_signature(load_tflite(data))


@pytest.mark.e2e
def test_sram_is_the_generated_arena_exactly(converted):
    from micro_runtime.codegen import generate

    for cfg, data in converted:
        gen = generate(data, "net")
        declared = int(next(line.split()[2] for line in gen.files["net.h"].splitlines()
                            if line.startswith("#define NET_ARENA_BYTES")))
        assert subnet_cost(cfg).sram_bytes == declared == gen.arena_bytes


@pytest.mark.e2e
@pytest.mark.skipif(not HAVE_ARM, reason="arm-none-eabi-gcc not installed")
def test_flash_within_5_percent_of_the_cortex_m4_build(converted):
    from micro_runtime import target_cortexm
    from micro_runtime.codegen import generate

    for cfg, data in converted:
        gen = generate(data, "net")
        with tempfile.TemporaryDirectory() as work:
            gen.write(os.path.join(work, "src"))
            build = target_cortexm.build(os.path.join(work, "src"), "net", target="cortex-m4", opt="-O2",
                                         inputs=[bytes(gen.input_bytes[0])], out_dir=os.path.join(work, "o"))
        predicted = subnet_cost(cfg).flash_bytes
        assert abs(predicted - build.model_linked_flash_bytes) <= 0.05 * build.model_linked_flash_bytes, \
            (predicted, build.model_linked_flash_bytes)


@pytest.mark.parametrize("stem", sorted(PUBLISHED_MMACS))
def test_published_configs(stem):
    cfg = SubnetConfig.from_proxyless_json(os.path.join(CONFIG_DIR, stem + ".json"))
    cost = subnet_cost(cfg)
    assert cost.macs == count_macs(cfg)
    assert round(cost.macs / 1e6, 1) == PUBLISHED_MMACS[stem]
    assert cost.params == count_params(cfg)
    assert 0 < cost.sram_bytes < cost.flash_bytes and cost.instructions > cost.macs
    built = os.path.join(BUILT_MODELS, stem + ".int8.tflite")
    if os.path.exists(built):  # scripts/build_models.py output: converter graph and arena, full size
        from micro_runtime.schedule import plan_engine
        from tflite_patch.graph import load_tflite
        real = load_tflite(built)
        has_bias = any(op.kind == "FULLY_CONNECTED" and len(op.inputs) > 2 and op.inputs[2] >= 0 for op in real.ops)
        ours = subnet_graph(cfg, classifier_bias=has_bias)
        assert op_signature(ours) == op_signature(real)
        assert plan_engine(real)[1].arena_bytes == plan_engine(ours)[1].arena_bytes == cost.sram_bytes


def test_float_io_graph_matches_build_models():
    built = sorted(glob.glob(os.path.join(BUILT_MODELS, "*.f32io.tflite")))
    if not built:
        pytest.skip("no float-I/O models in build/models (scripts/build_models.py)")
    from tflite_patch.graph import load_tflite
    real = load_tflite(built[0])
    stem = os.path.basename(built[0]).rsplit(".", 2)[0]
    cfg = SubnetConfig.from_proxyless_json(os.path.join(CONFIG_DIR, stem + ".json"))
    has_bias = any(op.kind == "FULLY_CONNECTED" and len(op.inputs) > 2 and op.inputs[2] >= 0 for op in real.ops)
    assert op_signature(subnet_graph(cfg, io_dtype="float32", classifier_bias=has_bias)) == op_signature(real)


def test_budget_fits_and_devices():
    cost = Cost(macs=1, params=1, sram_bytes=256 * 1024, flash_bytes=1024 * 1024, instructions=216_000)
    assert cost.latency_ms(216.0) == pytest.approx(1.0)
    assert cost.latency_ms() == pytest.approx(1.0)  # the default clock
    assert Budget().fits(cost)
    assert Budget(sram_kb=256, flash_kb=1024, latency_ms=1.0, clock_mhz=216).fits(cost)
    assert not Budget(sram_kb=255.9).fits(cost)
    assert not Budget(flash_kb=1023).fits(cost)
    assert not Budget(latency_ms=1.0, clock_mhz=100).fits(cost)
    assert {name: (b.sram_kb, b.flash_kb) for name, b in DEVICES.items()} == {
        "stm32f412": (256, 1024), "stm32f746": (320, 1024), "stm32h743": (512, 2048), "nano33ble": (256, 1024)}
    assert all(b.clock_mhz > 0 for b in DEVICES.values())


def test_latency_model_file_is_small_and_reports_held_out_error():
    from mcunet_tf.cost import LATENCY_MODEL_PATH
    assert os.path.getsize(LATENCY_MODEL_PATH) < 16_000
    with open(LATENCY_MODEL_PATH) as f:
        model = json.load(f)
    assert model["meta"]["held_out"]["subnets"]
    assert model["meta"]["held_out"]["mean_abs_instructions_error_pct"] < 10


def test_cost_is_fast_and_does_not_import_tensorflow():
    code = ("import sys, time\n"
            "from mcunet_tf.space import SearchSpace\n"
            "from mcunet_tf.cost import subnet_cost\n"
            "space = SearchSpace.mcunet(0.5, 160)\n"
            "start = time.time()\n"
            "costs = [subnet_cost(space.sample(seed)) for seed in range(50)]\n"
            "print(time.time() - start)\n"
            "assert 'tensorflow' not in sys.modules, 'cost model imported TensorFlow'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.split()[-1]) < 10.0  # 50 costs; 1000 take ~20x that


def test_cost_is_cached_and_deterministic():
    cfg = SearchSpace.mcunet(0.5, 96).sample(7)
    first = subnet_cost(cfg)
    start = time.time()
    again = subnet_cost(SubnetConfig.from_json(cfg.to_json()))
    assert again == first and time.time() - start < 0.01
    assert subnet_cost(cfg, budget_clock_mhz=100.0).latency_ms() == pytest.approx(first.latency_ms(100.0))


@pytest.mark.e2e
def test_patch_cost_is_the_generated_arena_exactly(converted):
    from micro_runtime.codegen import generate

    for cfg, data in converted[:2]:
        for budget_kb in (None, 0.75 * subnet_cost(cfg).sram_bytes / 1024):
            cost = subnet_cost(cfg, patch="auto", patch_sram_kb=budget_kb)
            gen = generate(data, "net", patch="auto", sram_bytes=None if budget_kb is None else int(budget_kb * 1024))
            assert cost.sram_bytes == gen.ram_bytes and cost.patch == gen.patch.label
            assert cost.patch_extra_macs == gen.patch.extra_macs and cost.macs == count_macs(cfg)
        assert subnet_cost(cfg, patch=cost.patch).sram_bytes == cost.sram_bytes


@pytest.mark.e2e
def test_patch_cost_of_mbv2():
    stem = "mbv2-w0.35-r144_imagenet"
    built = os.path.join(BUILT_MODELS, stem + ".int8.tflite")
    if not os.path.exists(built):
        pytest.skip("build/models not built")
    from micro_runtime.schedule import resolve_patch
    from tflite_patch.graph import load_tflite
    cfg = SubnetConfig.from_proxyless_json(os.path.join(CONFIG_DIR, stem + ".json"))
    layer, patched = subnet_cost(cfg), subnet_cost(cfg, patch="auto")
    choice = resolve_patch(load_tflite(built), "auto")
    assert patched.sram_bytes == choice.ram_bytes <= layer.sram_bytes / 3
    assert patched.patch == choice.label and patched.patch_extra_macs == choice.extra_macs > 0
    assert patched.instructions > layer.instructions  # the recomputation costs time
    assert abs(patched.data_bytes - layer.data_bytes) <= 0.01 * layer.data_bytes  # weights emitted once


def test_patch_cost_fn_lets_a_search_fit_a_smaller_budget():
    from mcunet_tf.cost import patch_cost_fn
    cfg = SubnetConfig.from_proxyless_json(os.path.join(CONFIG_DIR, "mbv2-w0.35-r144_imagenet.json"))
    budget = Budget(sram_kb=100, flash_kb=1024)
    assert not budget.fits(subnet_cost(cfg))
    cost = patch_cost_fn(budget)(cfg)
    assert budget.fits(cost) and cost.patch != "off" and cost.sram_bytes <= 100 * 1024
    assert patch_cost_fn(Budget(sram_kb=512))(cfg).patch == "off"  # fits layer by layer: no recomputation
