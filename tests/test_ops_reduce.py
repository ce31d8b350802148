"""REDUCE_MAX, REDUCE_MIN, SUM, ARG_MAX, ARG_MIN: random single-op models against the TFLM wheel."""
import numpy as np
import pytest

from shape_ops_check import act, assert_refused, check_cases, const, q, single
from tflite_patch import Tensor

CASES = 20


def reduce_case(kind):
    def make(rng):
        shape = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 5)))]
        rank = len(shape)
        n_axes = int(rng.integers(1, min(rank, 3) + 1))
        axes = [int(a) for a in rng.choice(rank, size=n_axes, replace=False)]
        axes = [a - rank if rng.random() < 0.3 else a for a in axes]
        if rng.random() < 0.2:
            axes.append(axes[0])  # a repeated axis
        keep = bool(rng.random() < 0.5)
        reduced = {a % rank for a in axes}
        out = [1 if k in reduced else n for k, n in enumerate(shape) if keep or k not in reduced]
        x = act(shape, rng)
        quant = x.quant
        if kind == "SUM":  # a wider output scale, another zero point
            quant = q(float(x.quant.scale[0]) * rng.uniform(1, 8), int(rng.integers(-128, 128)))
        tensors = [x, const(axes, "axes"), act(out, rng, "y", quant)]
        return single(tensors, kind, [0, 1], [2], {"keepDims": keep}, "ReducerOptions")
    return make


def arg_case(kind):
    def make(rng):
        shape = [int(v) for v in rng.integers(1, 7, size=int(rng.integers(1, 5)))]
        axis = int(rng.integers(-len(shape), len(shape)))
        out = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
        x = act(shape, rng)
        if not out:
            return None
        tensors = [x, const([axis], "axis"), Tensor("y", tuple(out), "int32", None)]
        options, options_type = ({"outputType": 2}, "ArgMaxOptions") if kind == "ARG_MAX" else \
            ({"outputType": 2}, "ArgMinOptions")
        return single(tensors, kind, [0, 1], [2], options, options_type)
    return make


@pytest.mark.parametrize("kind", ["REDUCE_MAX", "REDUCE_MIN", "SUM"])
def test_reduce(kind):
    assert check_cases(reduce_case(kind), {"REDUCE_MAX": 1, "REDUCE_MIN": 2, "SUM": 3}[kind], CASES) == CASES


@pytest.mark.parametrize("kind", ["ARG_MAX", "ARG_MIN"])
def test_arg_min_max(kind):
    assert check_cases(arg_case(kind), {"ARG_MAX": 4, "ARG_MIN": 5}[kind], CASES) == CASES


def test_reduce_max_refuses_a_different_output_quantization():
    rng = np.random.default_rng(0)
    x = act([2, 3], rng)
    g = single([x, const([1], "axes"), act([2], rng, "y", q(0.5, 3))], "REDUCE_MAX", [0, 1], [2],
               {"keepDims": False}, "ReducerOptions")
    assert_refused(g, "op REDUCE_MAX at index 0: input and output quantization differ")


def test_arg_max_with_int64_output_is_refused_in_one_line():
    """The wheel's ARG_MAX fails on int64 indices ("Only int32_t are supported currently"); the engine refuses
    int64 activations (validate.check_int8_model)."""
    rng = np.random.default_rng(0)
    g = single([act([2, 3], rng), const([1], "axis"), Tensor("y", (2,), "int64", None)], "ARG_MAX", [0, 1], [2],
               {"outputType": 4}, "ArgMaxOptions")
    assert_refused(g, "tensor 2 \\(y\\) is int64")
