"""Math int8 ops against the TFLM wheel: DIV, L2_NORMALIZATION and LOG_SOFTMAX on seeded random single-op
models (shapes, ranks, broadcasting, quantization drawn at random), our generated C with the fast path and with
-DMR_PORTABLE, byte for byte; EXP and NEG, which the wheel refuses in int8, refused by us in one line."""
import numpy as np
import pytest

import tests.test_single_ops as single
from micro_runtime import quant
from micro_runtime.codegen import generate
from tests.test_ops_elementwise import ACTIVATIONS, binary_graph, rand_quant, select_inputs
from tests.test_single_ops import act_t, check
from tflite_patch import Graph, ModelError, Op, Tensor, save_tflite
from tflite_patch.tflm import random_inputs, run_tflm

CASES = 20


def assert_refused(graph, kind, match):
    """The wheel refuses the model (at Prepare or at its first invoke) and so do we, in one line."""
    model = save_tflite(graph)
    with pytest.raises((ModelError, RuntimeError)):
        x = graph.tensors[graph.inputs[0]]
        run_tflm(model, [[np.zeros(x.shape, np.int8)]])
    with pytest.raises(ModelError, match=rf"^op {kind} at index 0: {match}") as err:
        generate(model, "op")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("seed", range(CASES))
def test_div(seed):
    act = list(ACTIVATIONS)[seed % 4]
    check(binary_graph("DIV", seed, {"fusedActivationFunction": ACTIVATIONS[act]}, "DivOptions",
                       const_second=seed % 5 == 3))


def div_edge_inputs(graph, count, seed=0):
    """Random inputs, half their values one of the zero point and its neighbours: dividends of 0 and -1 (31
    bits of headroom: TFLM's total shift passes 31) and divisors of 0, where TFLM's integer arithmetic leaves
    C's defined ranges."""
    rng = np.random.default_rng(seed + 1)
    sets = random_inputs(graph, count, seed)
    for arrays in sets:
        for t, x in zip(graph.inputs, arrays):
            zp = int(graph.tensors[t].quant.zero_point[0])
            edges = np.clip([zp - 1, zp, zp + 1], -128, 127).astype(np.int8)
            x[...] = np.where(rng.random(x.shape) < 0.5, rng.choice(edges, size=x.shape), x)
    return sets


@pytest.mark.parametrize("seed", range(CASES))
def test_div_at_zero_dividends_and_divisors(seed, monkeypatch):
    monkeypatch.setattr(single, "random_inputs", div_edge_inputs)
    check(binary_graph("DIV", 100 + seed, {}, "DivOptions"))


def rows_graph(kind, seed, options=None, options_type=None, out_quant=None):
    rng = np.random.default_rng(5000 + seed)
    shape = [int(d) for d in rng.integers(1, 9, size=int(rng.integers(1, 5)))]
    s, z = rand_quant(rng)
    y_s, y_z = out_quant or rand_quant(rng)
    tensors = [act_t(shape, s, z, "x"), act_t(shape, y_s, y_z, "y")]
    return Graph(tensors, [Op(kind, [0], [1], options or {}, options_type)], [0], [1])


@pytest.mark.parametrize("seed", range(CASES))
def test_l2_normalization(seed):
    check(rows_graph("L2_NORMALIZATION", seed, {}, "L2NormOptions"))


@pytest.mark.parametrize("seed", range(CASES))
def test_log_softmax(seed):
    check(rows_graph("LOG_SOFTMAX", seed, {}, "LogSoftmaxOptions", out_quant=(16 / 256, 127)))


@pytest.mark.parametrize("kind", ["EXP", "NEG"])
def test_float_only_ops_refused_like_tflm(kind):
    """TFLM's EXP refuses int8 at Prepare, its NEG at the first invoke: both are float32 kernels."""
    g = rows_graph(kind, 0)
    assert_refused(g, kind, f"TFLM's {kind} kernel takes float32 only")


def test_log_softmax_output_quantization_refused_like_tflm():
    """log_softmax.cc's Prepare requires output scale 16/256 and zero point 127."""
    g = rows_graph("LOG_SOFTMAX", 0, {}, "LogSoftmaxOptions", out_quant=(16 / 256, 0))
    assert_refused(g, "LOG_SOFTMAX", r"output quantization \(0.0625, 0\)")


def test_l2_normalization_activation_refused_like_tflm():
    """l2norm.cc's Prepare takes no fused activation."""
    g = rows_graph("L2_NORMALIZATION", 0, {"fusedActivationFunction": ACTIVATIONS["RELU"]}, "L2NormOptions")
    assert_refused(g, "L2_NORMALIZATION", "fused activation RELU")


HIGH_RANK_CASES = 8  # per op: each model compiles twice; the folding is shared by every op


def high_rank_shapes(rng, n_inputs):
    """Shapes of rank 5 to 7 that broadcast, many dimensions alternating between the inputs (what no folding
    brings down to 4), and their broadcast."""
    rank = int(rng.integers(5, 8))
    out = [int(d) for d in rng.integers(2, 4, size=rank)]
    shapes = []
    for j in range(n_inputs):
        shape = [d if (k + j) % 2 or rng.random() < 0.3 else 1 for k, d in enumerate(out)]
        shapes.append(shape[int(rng.integers(0, 2)):])  # some inputs of a lower rank
    full = [[1] * (rank - len(s)) + s for s in shapes]
    return shapes, [max(f[d] for f in full) for d in range(rank)][rank - max(len(s) for s in shapes):]


@pytest.mark.parametrize("seed", range(HIGH_RANK_CASES))
@pytest.mark.parametrize("kind", ["MAXIMUM", "MINIMUM", "SUB", "ADD", "MUL", "DIV", "SQUARED_DIFFERENCE",
                                  "GREATER", "PRELU"])
def test_broadcast_above_rank_4(kind, seed):
    rng = np.random.default_rng(6000 + seed)
    (s1, s2), so = high_rank_shapes(rng, 2)
    (a_s, a_z), (b_s, b_z), (o_s, o_z) = rand_quant(rng), rand_quant(rng), rand_quant(rng)
    options_type = {"SUB": "SubOptions", "ADD": "AddOptions", "MUL": "MulOptions", "DIV": "DivOptions"}.get(kind)
    options = {"fusedActivationFunction": seed % 4} if options_type else {}
    y = Tensor("y", tuple(so), "bool") if kind == "GREATER" else act_t(so, o_s, o_z, "y")
    if kind == "PRELU":  # the input has the output's shape, alpha broadcasts
        s1 = so
    tensors = [act_t(s1, a_s, a_z, "a"), act_t(s2, b_s, b_z, "b"), y]
    check(Graph(tensors, [Op(kind, [0, 1], [2], options, options_type, version=2)], [0, 1], [2]), count=2)


@pytest.mark.parametrize("seed", range(HIGH_RANK_CASES))
def test_select_v2_above_rank_4(seed, monkeypatch):
    monkeypatch.setattr(single, "random_inputs", select_inputs)
    rng = np.random.default_rng(7000 + seed)
    (sc, sx, sy), so = high_rank_shapes(rng, 3)
    s, z = rand_quant(rng)
    tensors = [Tensor("c", tuple(sc), "bool"), act_t(sx, s, z, "x"), act_t(sy, *rand_quant(rng), "y"),
               act_t(so, s, z, "out")]
    check(Graph(tensors, [Op("SELECT_V2", [0, 1, 2], [3], {}, None)], [0, 1, 2], [3]), count=2)


def transpose_graph(shape, perm):
    s, z = 0.05, 3
    out = [shape[p] for p in perm]
    tensors = [act_t(shape, s, z, "x"), Tensor("perm", (len(perm),), "int32", None, np.array(perm, np.int32)),
               act_t(out, s, z, "y")]
    return Graph(tensors, [Op("TRANSPOSE", [0, 1], [2], {}, "TransposeOptions")], [0], [2])


@pytest.mark.parametrize("seed", range(CASES))
def test_transpose_rank_5(seed):
    rng = np.random.default_rng(8000 + seed)
    shape = [int(d) for d in rng.integers(1, 5, size=5)]
    check(transpose_graph(shape, [int(p) for p in rng.permutation(5)]), count=2)


def test_transpose_rank_6_refused_like_tflm():
    """transpose_common.cc's Prepare takes 1 to 5 dimensions."""
    assert_refused(transpose_graph([2, 1, 2, 1, 2, 3], [5, 4, 3, 2, 1, 0]), "TRANSPOSE",
                   r"permutation \[5, 4, 3, 2, 1, 0\] of an input of rank 6 \(TFLM takes up to 5\)")


@pytest.mark.parametrize("seed", range(6))
def test_div_rescale_with_a_left_shift_above_22_as_the_wheel(seed, monkeypatch):
    """in1 / (in2 * out) of 5e6 to 1e9 needs a left shift of 23 to 30: TFLM's total shift then turns left and its
    RoundingDivideByPOT takes a negative exponent (undefined C), whose bytes on the wheel's x86 build div.c
    reproduces; half the cases with dividends and divisors at their zero points."""
    rng = np.random.default_rng(seed)
    g = binary_graph("DIV", seed, {}, "DivOptions")
    s2 = 10 ** rng.uniform(-4, -2)
    for t, scale in zip(g.tensors, (1.0, s2, 1 / (s2 * 10 ** rng.uniform(6.7, 9.0)))):
        t.quant = act_t((), scale, int(rng.integers(-20, 20))).quant
    p = quant.div_params(*(v for t in g.tensors[:3] for v in (float(t.quant.scale[0]), int(t.quant.zero_point[0]))))
    assert 22 < p["output_shift"] <= 30
    if seed % 2:
        monkeypatch.setattr(single, "random_inputs", div_edge_inputs)
    check(g, seed=seed)


@pytest.mark.parametrize("seed", range(3))
def test_div_rescale_far_below_one_at_zero_point_dividends(seed, monkeypatch):
    """in1 / (in2 * out) of 1e-9 to 1e-7 (right shifts of 23 to 30) with dividends at the zero point and its
    neighbours (31 bits of headroom): the exponent of TFLM's RoundingDivideByPOT passes 63, where the wheel's mask
    (1ll << exponent) - 1 shifts by the exponent mod 64."""
    rng = np.random.default_rng(50 + seed)
    g = binary_graph("DIV", 50 + seed, {}, "DivOptions")
    s2 = 10 ** rng.uniform(-4, -2)
    for t, scale in zip(g.tensors, (1.0, s2, 1 / (s2 * 10 ** rng.uniform(-9.0, -7.0)))):
        t.quant = act_t((), scale, int(rng.integers(-20, 20))).quant
    p = quant.div_params(*(v for t in g.tensors[:3] for v in (float(t.quant.scale[0]), int(t.quant.zero_point[0]))))
    assert -30 <= p["output_shift"] < -22
    monkeypatch.setattr(single, "random_inputs", div_edge_inputs)
    check(g, seed=seed)


def test_math_ops_chained_at_rank_6():
    """MAXIMUM and DIV looped outside their kernels, then LOG_SOFTMAX, in one graph (the arena shared)."""
    shape = [2, 3, 3, 2, 2, 3]
    tensors = [act_t([2, 1, 3, 1, 2, 1], 0.05, 1, "a"), act_t([1, 3, 1, 2, 1, 3], 0.04, 2, "b"),
               act_t(shape, 0.03, 0, "m"), act_t(shape, 0.05, 0, "q"), act_t(shape, 16 / 256, 127, "y")]
    ops = [Op("MAXIMUM", [0, 1], [2], {}, None, version=2), Op("DIV", [2, 1], [3], {}, "DivOptions", version=2),
           Op("LOG_SOFTMAX", [3], [4], {}, "LogSoftmaxOptions")]
    check(Graph(tensors, ops, [0, 1], [4]))
