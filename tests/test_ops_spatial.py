"""RESIZE_BILINEAR, TRANSPOSE_CONV, BATCH_MATMUL: seeded random single-op models against the TFLM wheel (our C
with the fast path and with -DMR_PORTABLE), and the models TFLM refuses, refused in one line."""
import numpy as np
import pytest

from shape_ops_check import act, assert_refused, check_cases, const, q, single
from tflite_patch import Quantization, Tensor, save_tflite
from tflite_patch.graph import ModelError
from tflite_patch.tflm import run_tflm

CASES = 24
ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def resize_bilinear_case(rng):
    shape = [int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 7, size=2)), int(rng.integers(1, 5))]
    size = [int(v) for v in rng.integers(1, 13, size=2)]
    align, half = [(False, False), (True, False), (False, True)][int(rng.integers(0, 3))]
    x = act(shape, rng)
    quant = x.quant if rng.random() < 0.7 else None  # TFLM copies raw values whatever the output's quantization
    tensors = [x, const(size, "size"), act([shape[0], *size, shape[3]], rng, "y", quant)]
    return single(tensors, "RESIZE_BILINEAR", [0, 1], [2], {"alignCorners": align, "halfPixelCenters": half},
                  "ResizeBilinearOptions")


def filter_tensor(rng, shape, per_channel):
    n = shape[0] if per_channel else 1
    scale = np.asarray(rng.uniform(0.002, 0.05, size=n), np.float32)
    quant = Quantization(scale, np.zeros(n, np.int64), 0)
    data = rng.integers(-127, 128, size=shape).astype(np.int8)
    return Tensor("w", tuple(shape), "int8", quant, data)


def transpose_conv_case(rng, activation="NONE"):
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    in_c, out_c = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    padding = int(rng.integers(0, 2))  # SAME, VALID
    out_h, out_w = (h * s_h, w * s_w) if padding == 0 else ((h - 1) * s_h + k_h, (w - 1) * s_w + k_w)
    x = act([n, h, w, in_c], rng)
    y = act([n, out_h, out_w, out_c], rng, "y", q(rng.uniform(0.02, 0.5), int(rng.integers(-128, 128))))
    tensors = [const([n, out_h, out_w, out_c], "output_shape"), filter_tensor(rng, [out_c, k_h, k_w, in_c],
                                                                              rng.random() < 0.7), x, y]
    inputs = [0, 1, 2]
    if rng.random() < 0.6:
        tensors.append(const(rng.integers(-3000, 3000, size=out_c), "bias"))
        inputs.append(4)
    options = {"padding": padding, "strideH": s_h, "strideW": s_w,
               "fusedActivationFunction": ACTIVATIONS[activation]}
    return single(tensors, "TRANSPOSE_CONV", inputs, [3], options, "TransposeConvOptions", graph_inputs=[2])


def batch_matmul_case(rng):
    rank = int(rng.integers(2, 6))
    batch = [int(v) for v in rng.integers(1, 4, size=rank - 2)]
    lhs_batch = [d if rng.random() < 0.7 else 1 for d in batch]
    rhs_batch = [d if rng.random() < 0.7 else 1 for d in batch]
    lhs_batch = lhs_batch[int(rng.integers(0, len(lhs_batch) + 1)):] if rng.random() < 0.3 else lhs_batch
    rows, depth, cols = (int(v) for v in rng.integers(1, 7, size=3))
    adj_x, adj_y = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    lhs = lhs_batch + ([depth, rows] if adj_x else [rows, depth])
    rhs = rhs_batch + ([cols, depth] if adj_y else [depth, cols])
    if len(lhs) < 2:
        return None
    out = [max(a, b) for a, b in zip([1] * (len(batch) - len(lhs_batch)) + lhs_batch, rhs_batch)] + [rows, cols]
    tensors = [act(lhs, rng, "lhs"), act(rhs, rng, "rhs"), act(out, rng, "y", q(rng.uniform(0.05, 1.0),
                                                                                   int(rng.integers(-128, 128))))]
    if rng.random() < 0.4:  # a constant RHS (TFLM transposes it once)
        tensors[1] = Tensor("rhs", tuple(rhs), "int8", tensors[1].quant,
                            rng.integers(-128, 128, size=rhs).astype(np.int8))
    return single(tensors, "BATCH_MATMUL", [0, 1], [2], {"adjX": adj_x, "adjY": adj_y}, "BatchMatMulOptions")


def test_resize_bilinear():
    assert check_cases(resize_bilinear_case, 11, CASES) == CASES


def test_transpose_conv():
    assert check_cases(transpose_conv_case, 12, CASES) == CASES


def test_batch_matmul():
    assert check_cases(batch_matmul_case, 13, CASES) == CASES


def refused_by_tflm(graph):
    """The wheel refuses the model (its Prepare fails)."""
    with pytest.raises(ModelError, match="TFLM refuses"):
        run_tflm(save_tflite(graph), [[np.zeros(graph.tensors[t].shape, np.int8) for t in graph.inputs]])
    return graph


def test_resize_bilinear_with_align_corners_and_half_pixel_centers_is_refused():
    g = resize_bilinear_case(np.random.default_rng(0))
    g.ops[0].options.update(alignCorners=True, halfPixelCenters=True)
    assert_refused(refused_by_tflm(g), "op RESIZE_BILINEAR at index 0: align_corners and half_pixel_centers")


def test_batch_matmul_of_mismatched_depths_is_refused():
    rng = np.random.default_rng(0)
    g = single([act([2, 3, 4], rng, "lhs"), act([2, 5, 6], rng, "rhs"), act([2, 3, 6], rng, "y")], "BATCH_MATMUL",
               [0, 1], [2], {"adjX": False, "adjY": False}, "BatchMatMulOptions")
    assert_refused(refused_by_tflm(g), "op BATCH_MATMUL at index 0: LHS \\[2, 3, 4\\] and RHS \\[2, 5, 6\\] do not")


def test_batch_matmul_of_batches_that_do_not_broadcast_is_refused():
    rng = np.random.default_rng(0)
    g = single([act([2, 3, 4], rng, "lhs"), act([3, 4, 6], rng, "rhs"), act([3, 3, 6], rng, "y")], "BATCH_MATMUL",
               [0, 1], [2], {"adjX": False, "adjY": False}, "BatchMatMulOptions")
    assert_refused(refused_by_tflm(g), "op BATCH_MATMUL at index 0: batch dimensions of \\[2, 3, 4\\]")
