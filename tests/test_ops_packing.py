"""PACK, UNPACK, SPLIT, SPLIT_V: random single-op models (several outputs or inputs) against the TFLM wheel."""
import numpy as np
import pytest

from shape_ops_check import act, assert_refused, check_cases, const, single

CASES = 20


def shape_and_axis(rng, max_rank=4):
    shape = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, max_rank + 1)))]
    return shape, int(rng.integers(-len(shape), len(shape)))


def pack_case(rng):
    shape, _ = shape_and_axis(rng, 3)
    n = int(rng.integers(1, 5))
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    out = list(shape)
    out.insert(axis % (len(shape) + 1), n)
    x = act(shape, rng)
    tensors = [act(shape, rng, f"x{k}", x.quant) for k in range(n)] + [act(out, rng, "y", x.quant)]
    return single(tensors, "PACK", list(range(n)), [n], {"valuesCount": n, "axis": axis}, "PackOptions")


def unpack_case(rng):
    shape, axis = shape_and_axis(rng)
    out = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
    x = act(shape, rng)
    n = shape[axis]
    tensors = [x] + [act(out, rng, f"y{k}", x.quant) for k in range(n)]
    return single(tensors, "UNPACK", [0], list(range(1, n + 1)), {"num": n, "axis": axis}, "UnpackOptions")


def split_case(rng):
    shape, axis = shape_and_axis(rng)
    n = int(rng.integers(1, 4))
    shape[axis] = n * int(rng.integers(1, 4))
    out = list(shape)
    out[axis] //= n
    x = act(shape, rng)
    tensors = [const([axis], "axis"), x] + [act(out, rng, f"y{k}", x.quant) for k in range(n)]
    return single(tensors, "SPLIT", [0, 1], list(range(2, n + 2)), {"numSplits": n}, "SplitOptions",
                  graph_inputs=[1])


def split_v_case(rng):
    shape, axis = shape_and_axis(rng)
    n = int(rng.integers(1, 4))
    sizes = [int(v) for v in rng.integers(1, 4, size=n)]
    shape[axis] = sum(sizes)
    given = list(sizes)
    if rng.random() < 0.4:
        given[int(rng.integers(0, n))] = -1
    x = act(shape, rng)
    outs = []
    for size in sizes:
        out = list(shape)
        out[axis] = size
        outs.append(act(out, rng, "y", x.quant))
    tensors = [x, const(given, "sizes"), const([axis], "axis")] + outs
    return single(tensors, "SPLIT_V", [0, 1, 2], list(range(3, n + 3)), {"numSplits": n}, "SplitVOptions")


@pytest.mark.parametrize("make,seed", [(pack_case, 1), (unpack_case, 2), (split_case, 3), (split_v_case, 4)],
                         ids=["PACK", "UNPACK", "SPLIT", "SPLIT_V"])
def test_packing(make, seed):
    assert check_cases(make, seed, CASES) == CASES


def test_split_refuses_pieces_that_do_not_cover_the_input():
    rng = np.random.default_rng(0)
    x = act([2, 6], rng)
    tensors = [const([1], "axis"), x, act([2, 2], rng, "a", x.quant), act([2, 2], rng, "b", x.quant)]
    g = single(tensors, "SPLIT", [0, 1], [2, 3], {"numSplits": 2}, "SplitOptions", graph_inputs=[1])
    assert_refused(g, "op SPLIT at index 0: pieces of 4 along axis 1 do not make 6")
