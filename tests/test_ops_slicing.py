"""STRIDED_SLICE, SLICE, GATHER, GATHER_ND: random single-op models against the TFLM wheel."""
import numpy as np

from micro_runtime.lowering.slicing import strided_slice_axes
from shape_ops_check import act, assert_refused, check_cases, check_graphs, const, single
from tflite_patch import Tensor
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


def gather_case(rng):
    shape = random_shape(rng, 1, 4)
    rank = len(shape)
    axis = int(rng.integers(0, rank))
    batch_dims = int(rng.integers(0, axis + 1)) if rng.random() < 0.4 else 0
    coords_shape = shape[:batch_dims] + [int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 3)))]
    if not coords_shape:
        coords_shape = [int(rng.integers(1, 4))]
    if batch_dims == len(coords_shape):
        batch_dims = 0
    out = shape[:axis] + coords_shape[batch_dims:] + shape[axis + 1:]
    x = act(shape, rng)
    if rng.random() < 0.5:
        coords = const(rng.integers(0, shape[axis], size=coords_shape), "coords")
    else:  # a graph input: int32_range below keeps it inside
        coords = Tensor(f"positions_below_{shape[axis]}", tuple(coords_shape), "int32", None)
    tensors = [x, coords, act(out, rng, "y", x.quant)]
    return single(tensors, "GATHER", [0, 1], [2], {"axis": axis - (rank if rng.random() < 0.3 else 0),
                                                   "batchDims": batch_dims}, "GatherOptions")


def gather_nd_case(rng):
    shape = random_shape(rng, 1, 4)
    nd = int(rng.integers(1, len(shape) + 1))
    lead = [int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 3)))]
    x = act(shape, rng)
    if rng.random() < 0.5:
        values = np.stack([rng.integers(0, n, size=lead) for n in shape[:nd]], axis=-1)
        indices = const(values, "indices")
    else:
        indices = Tensor(f"positions_below_{min(shape[:nd])}", tuple(lead + [nd]), "int32", None)
    tensors = [x, indices, act(lead + shape[nd:], rng, "y", x.quant)]
    return single(tensors, "GATHER_ND", [0, 1], [2], {}, "GatherNdOptions")


def in_range(tensor):
    """Positions fed at run time stay inside the input: below the bound the tensor's name records."""
    return 0, int(tensor.name.rsplit("_", 1)[1])


def test_gather():
    assert check_cases(gather_case, 5, CASES, int32_range=in_range) == CASES


def test_gather_nd():
    assert check_cases(gather_nd_case, 6, CASES, int32_range=in_range) == CASES


def test_gather_refuses_constant_positions_outside_the_input():
    rng = np.random.default_rng(0)
    x = act([4, 3], rng)
    g = single([x, const([1, 4], "c"), act([2, 3], rng, "y", x.quant)], "GATHER", [0, 1], [2], {"axis": 0},
               "GatherOptions")
    assert_refused(g, "op GATHER at index 0: constant positions outside 0..3")


def test_strided_slice_refuses_rank_5_as_tflm():
    rng = np.random.default_rng(0)
    x = act([2, 2, 2, 2, 3], rng)
    tensors = [x, const([0] * 5, "b"), const([2, 2, 2, 2, 3], "e"), const([1] * 5, "s"),
               act([2, 2, 2, 2, 3], rng, "y", x.quant)]
    assert_refused(single(tensors, "STRIDED_SLICE", [0, 1, 2, 3], [4], {}, "StridedSliceOptions"),
                   "op STRIDED_SLICE at index 0: input dim should not exceed 4")


def test_gather_from_a_constant_table():
    """An embedding lookup: constant int8 params, positions from the caller."""
    rng = np.random.default_rng(8)
    graphs = []
    for _ in range(6):
        rows, width, count = int(rng.integers(2, 9)), int(rng.integers(1, 6)), int(rng.integers(1, 5))
        x = act([rows, width], rng)
        table = Tensor("table", (rows, width), "int8", x.quant, rng.integers(-128, 128, (rows, width)).astype(np.int8))
        positions = Tensor(f"positions_below_{rows}", (1, count), "int32", None)
        tensors = [table, positions, act([1, count, width], rng, "y", x.quant)]
        graphs.append(single(tensors, "GATHER", [0, 1], [2], {"axis": 0, "batchDims": 0}, "GatherOptions"))
    assert check_graphs(graphs, int32_range=in_range) == 6
