"""STRIDED_SLICE, SLICE, GATHER, GATHER_ND: random single-op models against the TFLM wheel."""
import numpy as np

from micro_runtime.lowering.slicing import strided_slice_axes
from shape_ops_check import act, assert_refused, check_cases, const, single
from tflite_patch.graph import ModelError

CASES = 24


def random_shape(rng, low=1, high=4, max_dim=6):
    return [int(v) for v in rng.integers(1, max_dim + 1, size=int(rng.integers(low, high + 1)))]


def strided_slice_case(rng):
    shape = random_shape(rng, 1, 4)
    rank = len(shape)
    begin = [int(rng.integers(-n - 1, n + 1)) for n in shape]
    end = [int(rng.integers(-n - 1, n + 2)) for n in shape]
    steps = [int(rng.choice([1, 1, 2, 3, -1, -2])) for _ in shape]
    masks = [int(rng.integers(0, 1 << rank)) for _ in range(3)]
    masks[2] &= int(rng.integers(0, 1 << rank))  # shrink fewer axes
    try:
        axes = strided_slice_axes(shape, begin, end, steps, *masks)
    except ModelError:  # a shrunk axis outside the input: TFLM leaves the output undefined
        return None
    if any(count == 0 for _, count, _, _ in axes):
        return None
    out = [count for _, count, _, keep in axes if keep]
    x = act(shape, rng)
    tensors = [x, const(begin, "b"), const(end, "e"), const(steps, "s"), act(out, rng, "y", x.quant)]
    options = {"beginMask": masks[0], "endMask": masks[1], "shrinkAxisMask": masks[2], "ellipsisMask": 0,
               "newAxisMask": 0, "offset": False}
    return single(tensors, "STRIDED_SLICE", [0, 1, 2, 3], [4], options, "StridedSliceOptions")


def slice_case(rng):
    shape = random_shape(rng, 1, 5)
    begin = [int(rng.integers(0, n)) for n in shape]
    size = [int(rng.integers(1, n - b + 1)) if rng.random() < 0.8 else -1 for n, b in zip(shape, begin)]
    out = [n - b if s == -1 else s for n, b, s in zip(shape, begin, size)]
    x = act(shape, rng)
    tensors = [x, const(begin, "b"), const(size, "s"), act(out, rng, "y", x.quant)]
    return single(tensors, "SLICE", [0, 1, 2], [3], {}, "SliceOptions")


def test_strided_slice():
    assert check_cases(strided_slice_case, 1, CASES) == CASES


def test_slice():
    assert check_cases(slice_case, 2, CASES) == CASES


def test_strided_slice_refuses_wrong_output_shape():
    rng = np.random.default_rng(0)
    x = act([4, 6], rng)
    tensors = [x, const([0, 0], "b"), const([2, 6], "e"), const([1, 1], "s"), act([2, 5], rng, "y", x.quant)]
    g = single(tensors, "STRIDED_SLICE", [0, 1, 2, 3], [4], {}, "StridedSliceOptions")
    assert_refused(g, "op STRIDED_SLICE at index 0: output int8 \\[2, 5\\] is not the slice")
