"""Patch-based inference (MCUNetV2): tflite_patch.patches unrolls the first ops patch by patch,
micro_runtime.schedule chooses the split and the grid; the generated code stays byte-exact with TFLM."""
import os
import subprocess
import sys

import numpy as np
import pytest

import model_factory
from conftest import BUILT_MODELS, ROOT
from micro_runtime.codegen import generate
from micro_runtime.schedule import choose_patch, plan_engine
from micro_runtime.target_host import HostModel
from tflite_patch import load_tflite
from tflite_patch.graph import ModelError
from tflite_patch.passes import prepare_for_engine
from tflite_patch.patches import PatchSpec, parse_patch, patch_regions, split_candidates, unroll_patches
from tflite_patch.planner import check_plan
from tflite_patch.tflm import random_inputs, run_tflm

MBV2 = os.path.join(BUILT_MODELS, "mbv2-w0.35-r144_imagenet.int8.tflite")
LAYER_ARENA_MBV2 = 250_128


@pytest.fixture(scope="module")
def stage_model():
    return model_factory.patch_stage_model()


@pytest.fixture(scope="module")
def wide_stage_model():
    """One where patching needs less RAM than layer by layer (so auto chooses it)."""
    return model_factory.patch_stage_model(width=32, first_stride=1)


def assert_bit_exact(data, count=3, **kwargs):
    graph = load_tflite(data)
    gen = generate(data, "m", **kwargs)
    check_plan(gen.graph, gen.plan, gen.plan.scratch_bytes)
    host = HostModel(gen)
    sets = random_inputs(graph, count, seed=1)
    for arrays, expected in zip(sets, run_tflm(data, sets, len(graph.outputs))):
        for got, want in zip(host.invoke(arrays), expected):
            assert got.tobytes() == want.tobytes()
    return gen


def test_splits_stop_before_ops_a_patch_cannot_run(stage_model):
    engine = prepare_for_engine(load_tflite(stage_model))
    kinds = [op.kind for op in engine.ops]
    # op 1 (depthwise) is not a split: its output and the residual's skip both cross it; MEAN and
    # FULLY_CONNECTED never run per patch.
    assert split_candidates(engine) == [0, 2, 3, 4, 5, 6, 7, 8]
    assert kinds[9:] == ["MEAN", "FULLY_CONNECTED"]
    with pytest.raises(ModelError, match="op 1 is not a valid split"):
        unroll_patches(engine, PatchSpec(1, 2))
    with pytest.raises(ModelError, match="patches per side"):
        unroll_patches(engine, PatchSpec(8, 7))


def test_patches_tile_the_split_tensor_and_read_only_their_receptive_field(stage_model):
    engine = prepare_for_engine(load_tflite(stage_model))
    spec = PatchSpec(3, 3)  # conv s2 SAME, depthwise, conv+ADD, depthwise s2: 6x6 split tensor
    covered = np.zeros((6, 6), int)
    image = engine.inputs[0]
    for own, region, _ in patch_regions(engine, spec):
        covered[own[0]:own[1], own[2]:own[3]] += 1
        r0, r1, c0, c1 = region[image]
        # 2 output rows of the last stride-2 depthwise need 5 rows of 12x12, 7 of them with the 3x3
        # depthwise halo, 15 of the 23x23 input through the first stride-2 conv (clipped at the border).
        assert r1 - r0 <= 15 and c1 - c0 <= 15
    assert (covered == 1).all()
    first, last = patch_regions(engine, spec)[0][1][image], patch_regions(engine, spec)[-1][1][image]
    assert first[0] == first[2] == 0 and last[1] == last[3] == 23


@pytest.mark.parametrize("split", [0, 2, 3, 4, 5, 6, 7, 8])
def test_every_split_is_bit_exact_with_tflm(stage_model, split):
    # stride 2, SAME, depthwise, a residual ADD, folded and unfolded PAD, max and average pool.
    for n in (2, 3):
        assert_bit_exact(stage_model, patch=PatchSpec(split, n))


def test_float_input_is_quantized_patch_by_patch():
    data = model_factory.patch_stage_model(io_dtype="float32")
    engine = prepare_for_engine(load_tflite(data))
    assert engine.ops[0].kind == "QUANTIZE" and split_candidates(engine)[:2] == [0, 1]
    for spec in (PatchSpec(0, 2), PatchSpec(4, 3)):
        assert_bit_exact(data, patch=spec)


def test_the_input_goes_where_it_costs_less_ram_and_both_placements_are_exact(stage_model):
    from micro_runtime.schedule import plan_schedule, ram_bytes
    graph = load_tflite(stage_model)
    engine = prepare_for_engine(graph)
    spec = PatchSpec(3, 3)
    outside, inside = plan_schedule(engine, spec, True), plan_schedule(engine, spec, False)
    assert graph.inputs[0] in outside[1].external and graph.inputs[0] not in outside[1].offsets
    assert not inside[1].external and graph.inputs[0] in inside[1].offsets
    # RAM of the outside placement counts the caller's input buffer.
    assert ram_bytes(*outside) == outside[1].arena_bytes + graph.tensors[graph.inputs[0]].nbytes
    chosen_engine, chosen = plan_engine(graph, spec)
    assert ram_bytes(chosen_engine, chosen) == min(ram_bytes(*outside), ram_bytes(*inside))
    assert inside[1].arena_bytes > outside[1].arena_bytes  # the input's bytes are in the arena
    copies = [op for op in chosen_engine.ops if op.kind == "PATCH_COPY"]
    assert len(copies) >= 2 * 9  # a load and a store per patch (plus crops for the residual)


def test_input_read_in_place_is_bit_exact_and_counted_as_ram(stage_model, monkeypatch):
    """Force the other placement (input left in the caller's buffer) and check it end to end."""
    import micro_runtime.schedule as schedule
    monkeypatch.setattr(schedule, "plan_prepared", lambda engine, patch=None, fuse="off": schedule.plan_schedule(
        engine, patch, patch is not None, fuse))
    gen = assert_bit_exact(stage_model, patch=PatchSpec(3, 3))
    assert gen.outside_arena_input_bytes == gen.graph.tensors[gen.graph.inputs[0]].nbytes > 0
    assert gen.ram_bytes == gen.arena_bytes + gen.outside_arena_input_bytes


def test_auto_respects_the_sram_budget(wide_stage_model):
    engine = prepare_for_engine(load_tflite(wide_stage_model))
    smallest = choose_patch(engine)
    layer = smallest.layer_arena_bytes
    assert smallest.spec is not None and smallest.ram_bytes < layer
    assert choose_patch(engine, sram_bytes=layer).spec is None  # fits already: no recomputation
    budget = (smallest.ram_bytes + layer) // 2
    fit = choose_patch(engine, sram_bytes=budget)
    assert fit.ram_bytes <= budget and fit.extra_macs <= smallest.extra_macs
    assert_bit_exact(wide_stage_model, patch="auto", sram_bytes=budget)


def test_parse_patch():
    assert parse_patch("off") is None and parse_patch("AUTO") == "auto" and parse_patch("12:4") == PatchSpec(12, 4)
    for bad in ("bad", "3", "3:0", "a:b", "1:2:3"):
        with pytest.raises(ValueError):
            parse_patch(bad)


@pytest.mark.e2e
@pytest.mark.skipif(not os.path.exists(MBV2), reason="build/models not built")
def test_mbv2_auto_needs_a_third_of_the_layer_by_layer_ram():
    with open(MBV2, "rb") as f:
        data = f.read()
    gen = assert_bit_exact(data, count=2, patch="auto")
    assert gen.patch.layer_arena_bytes == LAYER_ARENA_MBV2
    assert gen.arena_bytes == gen.patch.arena_bytes and gen.ram_bytes == gen.patch.ram_bytes
    assert gen.ram_bytes <= LAYER_ARENA_MBV2 / 3  # the input counted, wherever it is kept
    assert 0 < gen.patch.extra_macs_pct < 30
    assert f"#define M_ARENA_BYTES {gen.arena_bytes}" in gen.files["m.h"]


def test_shared_constants_are_emitted_once(stage_model):
    layer, patched = generate(stage_model, "m"), generate(stage_model, "m", patch=PatchSpec(3, 3))
    count = lambda gen: gen.files["m.c"].count("static const int8_t")  # noqa: E731
    assert count(patched) == count(layer)


def run_script(name, *args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", name), *args], capture_output=True,
                          text=True, timeout=300)


def test_scripts_take_patch_and_refuse_bad_values(wide_stage_model, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(wide_stage_model)
    res = run_script("codegen.py", f"--tflite={path}", f"--out_dir={tmp_path / 'gen'}", "--patch=auto")
    assert res.returncode == 0, res.stderr
    assert "extra MACs" in res.stdout and (tmp_path / "gen" / "model.c").exists()
    for script, extra in (("codegen.py", [f"--out_dir={tmp_path / 'bad'}"]), ("bench.py", [])):
        res = run_script(script, f"--tflite={path}", "--patch=bad", *extra)
        assert res.returncode != 0
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: --patch"), res.stderr
    res = run_script("codegen.py", f"--tflite={path}", f"--out_dir={tmp_path / 'bad'}", "--patch=1:2")
    assert res.returncode != 0 and res.stderr.strip().count("\n") == 0 and "not a valid split" in res.stderr
    assert not (tmp_path / "bad").exists()


def test_bench_reports_the_patch_schedule(wide_stage_model):
    from micro_runtime.bench import bench_model, format_table
    r = bench_model(wide_stage_model, "stage", inputs=5, tflite_interpreter=False, patch="auto", log=lambda s: None)
    assert r.bit_exact and r.patch != "off" and r.ours_arena_bytes < r.layer_arena_bytes
    if r.ours_ram_bytes is not None:  # a Cortex-M build: arena + static state, + an input read in place
        assert r.ours_ram_bytes >= r.ours_arena_bytes
    assert r.to_json()["patch_extra_macs_pct"] == r.patch_extra_macs_pct >= 0
    assert "extra MACs" in format_table([r])
