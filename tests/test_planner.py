"""tflite_patch.planner: placements never overlap, reach the lower bound, and TFLM runs our plan."""
import numpy as np
import pytest

from conftest import MLPERF, mlperf_ids, read
from tflite_patch import load_tflite, save_tflite
from tflite_patch.graph import Graph, Op, Quantization, Tensor
from tflite_patch.passes import prepare_for_engine, prepare_for_tflm
from tflite_patch.planner import arena_buffers, check_plan, inplace_candidates, lower_bound_bytes, plan_arena
from tflite_patch.tflm import random_inputs, run_tflm, tflm_arena, with_offline_plan


def chain(sizes):
    """A graph of QUANTIZE-free int8 RESHAPE-less ops: t0 -> t1 -> ... with the given byte sizes."""
    q = Quantization(np.array([0.1], np.float32), np.array([0]))
    tensors = [Tensor(f"t{i}", (1, s), "int8", q) for i, s in enumerate(sizes)]
    ops = [Op("LOGISTIC", [i], [i + 1]) for i in range(len(sizes) - 1)]
    return Graph(tensors, ops, [0], [len(sizes) - 1])


def test_chain_lower_bound_is_the_largest_neighbour_pair():
    graph = chain([100, 300, 50, 400, 10])
    assert lower_bound_bytes(graph, inplace=False) == 450
    plan = plan_arena(graph, alignment=1, inplace=False)
    check_plan(graph, plan)
    assert plan.arena_bytes == 450


def test_overlapping_buffers_are_detected():
    graph = chain([100, 300, 50])
    plan = plan_arena(graph, alignment=1, inplace=False)
    plan.offsets[1] = plan.offsets[0]
    with pytest.raises(AssertionError):
        check_plan(graph, plan)


def test_inplace_chain_grows_and_shrinks_with_its_tensors():
    # LOGISTIC is in-place capable: with in-place the chain is one buffer, sized per op.
    from tflite_patch.passes import mark_inplace
    graph = mark_inplace(chain([100, 100, 100]))
    buffers = arena_buffers(graph, inplace_candidates(graph))
    assert len(buffers) == 1 and buffers[0].size == 100
    assert plan_arena(graph, alignment=1).arena_bytes == 100


@pytest.mark.parametrize("path", MLPERF, ids=mlperf_ids())
def test_plans_are_valid_and_within_5_percent_of_the_lower_bound(path):
    graph = prepare_for_engine(load_tflite(read(path)))
    plan = plan_arena(graph)
    check_plan(graph, plan)
    assert plan.arena_bytes <= 1.05 * plan.lower_bound_bytes
    assert all(0 <= off < plan.arena_bytes for off in plan.offsets.values())


@pytest.mark.parametrize("path", MLPERF, ids=mlperf_ids())
def test_tflm_runs_our_offline_plan_with_identical_outputs(path):
    data = read(path)
    graph = load_tflite(data)
    tflm_graph = prepare_for_tflm(graph)
    plan = plan_arena(tflm_graph, alignment=16, inplace=False)
    check_plan(tflm_graph, plan)
    planned = save_tflite(with_offline_plan(graph, plan))
    stock, ours = tflm_arena(data), tflm_arena(planned)
    # TFLM's head holds our plan plus whatever it plans online itself (scratch buffers).
    assert ours.head >= plan.arena_bytes and ours.head <= stock.head
    sets = random_inputs(graph, 10, seed=3)
    for a, b in zip(run_tflm(data, sets, len(graph.outputs)), run_tflm(planned, sets, len(graph.outputs))):
        assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_inplace_plan_is_smaller_than_tflm_head_on_conv_models():
    for name in ("vww", "kws", "pretrainedResnet"):
        data = read(next(p for p in MLPERF if name in p))
        plan = plan_arena(prepare_for_engine(load_tflite(data)))
        assert plan.arena_bytes < tflm_arena(data).head
