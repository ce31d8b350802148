"""micro_runtime.bounds: the generation-time proof that every emitted call stays inside the buffers the
plan gave it. Sound plans of the reference models pass; corrupted plans and outputs larger than declared
are refused in one line naming the op."""
import dataclasses

import numpy as np
import pytest

from conftest import MLPERF, mlperf_ids, read
from micro_runtime.bounds import check_bounds
from micro_runtime.schedule import plan_engine, resolve_patch
from test_hostile_ops import const, single, t
from tflite_patch import ModelError, load_tflite

KWS = next(p for p in MLPERF if "kws" in p)


def planned(path=KWS):
    return plan_engine(load_tflite(read(path)))


def refused(graph, plan, match):
    with pytest.raises(ModelError, match=match) as err:
        check_bounds(graph, plan)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("path", MLPERF, ids=mlperf_ids())
def test_the_reference_models_plans_pass_layer_by_layer_and_patch_by_patch(path):
    check_bounds(*planned(path))
    choice = resolve_patch(load_tflite(read(path)), "auto")
    check_bounds(choice.engine, choice.plan)


def test_a_shrunken_arena_is_refused():
    graph, plan = planned()
    refused(graph, dataclasses.replace(plan, arena_bytes=plan.arena_bytes - 4),
            rf"at arena bytes \[\d+, \d+\) lies outside the {plan.arena_bytes - 4}-byte arena")


def test_an_output_moved_onto_a_live_input_is_refused():
    graph, plan = planned()
    last = graph.ops[-1]  # SOFTMAX, not in place: its input is live while it writes
    offsets = {**plan.offsets, last.outputs[0]: plan.offsets[last.inputs[0]]}
    refused(graph, dataclasses.replace(plan, offsets=offsets),
            rf"op SOFTMAX at index {len(graph.ops) - 1}: its call writes arena bytes .* which tensor "
            rf"{last.inputs[0]} .* holds at that op")


def test_a_scratch_smaller_than_the_kernel_needs_is_refused():
    graph, plan = planned()
    i, (offset, size) = next((i, s) for i, s in sorted(plan.scratch.items()) if s[1] > 0)
    refused(graph, dataclasses.replace(plan, scratch={**plan.scratch, i: (offset, size - 1)}),
            rf"op {graph.ops[i].kind} at index {i}: its call writes bytes \[0, {size}\) of scratch, which has "
            rf"{size - 1}")


def test_a_scratch_moved_onto_a_live_tensor_is_refused():
    graph, plan = planned()
    i, (_, size) = next((i, s) for i, s in sorted(plan.scratch.items()) if s[1] > 0)
    refused(graph, dataclasses.replace(plan, scratch={**plan.scratch, i: (plan.offsets[graph.ops[i].inputs[0]], size)}),
            rf"op {graph.ops[i].kind} at index {i}: its call writes arena bytes .* which the scratch of op {i} holds")


def test_an_output_larger_than_declared_is_refused_even_without_the_shape_check():
    """The proof takes the bytes a call writes from the lowering's formulas, not the declared shape: a
    PAD of 1000 declared as its input's size fails it (codegen's check_outputs refuses it before)."""
    graph = single("PAD", [t((1, 4, 4, 2)), const(np.array([[0, 0], [1000, 1000], [0, 0], [0, 0]]))],
                   t((1, 4, 4, 2)))
    refused(*plan_engine(graph), r"op PAD at index 0: its call writes bytes \[0, 16032\) of tensor 2 \(t\), which has 32")
