"""SPACE_TO_DEPTH, DEPTH_TO_SPACE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND: random single-op models against
the TFLM wheel."""
import numpy as np
import pytest

from shape_ops_check import act, assert_refused, check_cases, const, single

CASES = 20


def space_to_depth_case(rng):
    b = int(rng.integers(1, 4))
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 5))
    h, w = b * int(rng.integers(1, 4)), b * int(rng.integers(1, 4))
    x = act((n, h, w, c), rng)
    tensors = [x, act((n, h // b, w // b, c * b * b), rng, "y", x.quant)]
    return single(tensors, "SPACE_TO_DEPTH", [0], [1], {"blockSize": b}, "SpaceToDepthOptions")


def depth_to_space_case(rng):
    b = int(rng.integers(1, 4))
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    x = act((n, h, w, c * b * b), rng)
    tensors = [x, act((n, h * b, w * b, c), rng, "y", x.quant)]
    return single(tensors, "DEPTH_TO_SPACE", [0], [1], {"blockSize": b}, "DepthToSpaceOptions")


def space_to_batch_case(rng):
    rank = int(rng.choice([3, 4]))
    spatial = rank - 2
    block = [int(v) for v in rng.integers(1, 4, size=spatial)]
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    sizes, pads = [], []
    for bs in block:
        before = int(rng.integers(0, 3))
        total = bs * int(rng.integers(1, 4))
        size = int(rng.integers(max(1, total - before - 2), total - before + 1)) if total > before else None
        if size is None or size < 1:
            before, size = 0, total
        pads += [before, total - before - size]
        sizes.append(size)
    out = [n * int(np.prod(block))] + [(s + pads[2 * k] + pads[2 * k + 1]) // bs for k, (s, bs) in
                                       enumerate(zip(sizes, block))] + [c]
    x = act([n] + sizes + [c], rng)
    tensors = [x, const(block, "block"), const(np.reshape(pads, (spatial, 2)), "pads"), act(out, rng, "y", x.quant)]
    return single(tensors, "SPACE_TO_BATCH_ND", [0, 1, 2], [3], {}, "SpaceToBatchNDOptions")


def batch_to_space_case(rng):
    rank = int(rng.choice([3, 4]))
    spatial = rank - 2
    block = [int(v) for v in rng.integers(1, 4, size=spatial)]
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    sizes, crops = [int(v) for v in rng.integers(1, 4, size=spatial)], []
    for s, bs in zip(sizes, block):
        full = s * bs
        top = int(rng.integers(0, min(2, full - 1) + 1)) if full > 1 else 0
        bottom = int(rng.integers(0, min(2, full - 1 - top) + 1))
        crops += [top, bottom]
    out = [n] + [s * bs - crops[2 * k] - crops[2 * k + 1] for k, (s, bs) in enumerate(zip(sizes, block))] + [c]
    x = act([n * int(np.prod(block))] + sizes + [c], rng)
    tensors = [x, const(block, "block"), const(np.reshape(crops, (spatial, 2)), "crops"), act(out, rng, "y", x.quant)]
    return single(tensors, "BATCH_TO_SPACE_ND", [0, 1, 2], [3], {}, "BatchToSpaceNDOptions")


@pytest.mark.parametrize("make,seed", [(space_to_depth_case, 1), (depth_to_space_case, 2),
                                       (space_to_batch_case, 3), (batch_to_space_case, 4)],
                         ids=["SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"])
def test_space_depth(make, seed):
    # The pinned wheel pads SPACE_TO_BATCH_ND with SpaceToBatchParams.output_offset, which its Prepare never
    # sets (newer TFLM sets the zero point): a fresh process's arena holds 0 there, as a device's zeroed one
    # does, while a long test process's may hold any byte. Its reference runs in a fresh process.
    fresh = make is space_to_batch_case
    assert check_cases(make, seed, CASES, fresh_reference=fresh) == CASES


def test_space_to_depth_refuses_a_height_not_a_multiple_of_the_block():
    rng = np.random.default_rng(0)
    x = act((1, 3, 4, 2), rng)
    g = single([x, act((1, 1, 2, 8), rng, "y", x.quant)], "SPACE_TO_DEPTH", [0], [1], {"blockSize": 2},
               "SpaceToDepthOptions")
    assert_refused(g, "op SPACE_TO_DEPTH at index 0: input height 3 and width 4 must be multiples")
