"""Elementwise int8 ops against the TFLM wheel: seeded random single-op models (shapes, ranks, broadcasting,
quantization drawn at random), our generated C with the fast path and with -DMR_PORTABLE, byte for byte."""
import numpy as np
import pytest

import tests.test_single_ops as single
from micro_runtime import quant
from micro_runtime.codegen import generate
from tests.test_single_ops import act_t, check, q
from tflite_patch import Graph, ModelError, Op, Tensor, save_tflite
from tflite_patch.tflm import interpreter, run_tflm

CASES = 20
ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def rand_quant(rng):
    return float(rng.uniform(0.004, 0.2)), int(rng.integers(-128, 128))


def broadcast_shapes(rng):
    """Two shapes of rank 1..4 that broadcast, and their broadcast."""
    rank = int(rng.integers(1, 5))
    out = [int(d) for d in rng.integers(1, 6, size=rank)]
    shapes = []
    for _ in range(2):
        r = int(rng.integers(1, rank + 1))
        s = [d if rng.random() < 0.6 else 1 for d in out[rank - r:]]
        shapes.append(s)
    # the broadcast of what was drawn (a dim all ones in both inputs becomes 1)
    full = [[1] * (rank - len(s)) + s for s in shapes]
    out = [max(a, b) for a, b in zip(*full)]
    return shapes[0], shapes[1], out


def binary_graph(kind, seed, options=None, options_type=None, const_second=False):
    rng = np.random.default_rng(seed)
    s1, s2, so = broadcast_shapes(rng)
    (a_s, a_z), (b_s, b_z), (o_s, o_z) = rand_quant(rng), rand_quant(rng), rand_quant(rng)
    if rng.random() < 0.2:  # the same quantization everywhere (the common case in real models)
        b_s, b_z, o_s, o_z = a_s, a_z, a_s, a_z
    second = act_t(s2, b_s, b_z, "b")
    if const_second:
        second.data = rng.integers(-128, 128, size=s2).astype(np.int8)
    tensors = [act_t(s1, a_s, a_z, "a"), second, act_t(so, o_s, o_z, "y")]
    op = Op(kind, [0, 1], [2], options or {}, options_type, version=2)
    return Graph(tensors, [op], [0] if const_second else [0, 1], [2])


def unary_graph(kind, seed, options=None, options_type=None, same_quant=False):
    rng = np.random.default_rng(seed)
    shape = [int(d) for d in rng.integers(1, 7, size=int(rng.integers(1, 5)))]
    (x_s, x_z), (y_s, y_z) = rand_quant(rng), rand_quant(rng)
    if same_quant or rng.random() < 0.2:
        y_s, y_z = x_s, x_z
    tensors = [act_t(shape, x_s, x_z, "x"), act_t(shape, y_s, y_z, "y")]
    return Graph(tensors, [Op(kind, [0], [1], options or {}, options_type, version=1)], [0], [1])


@pytest.mark.parametrize("seed", range(CASES))
@pytest.mark.parametrize("kind", ["MAXIMUM", "MINIMUM"])
def test_maximum_minimum(kind, seed):
    check(binary_graph(kind, seed, const_second=seed % 5 == 4))


@pytest.mark.parametrize("seed", range(CASES))
@pytest.mark.parametrize("kind", ["RELU", "RELU6"])
def test_relu(kind, seed):
    check(unary_graph(kind, seed))


@pytest.mark.parametrize("seed", range(CASES))
def test_leaky_relu(seed):
    alpha = float(np.random.default_rng(1000 + seed).choice([0.0, 0.01, 0.1, 0.2, 0.3, 0.5, 0.99, 1.5, -0.25]))
    check(unary_graph("LEAKY_RELU", seed, {"alpha": alpha}, "LeakyReluOptions"))


@pytest.mark.parametrize("seed", range(CASES))
def test_prelu(seed):
    rng = np.random.default_rng(2000 + seed)
    shape = [int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 5)))]
    alpha_shape = [d if rng.random() < 0.7 else 1 for d in shape[len(shape) - int(rng.integers(1, len(shape) + 1)):]]
    (x_s, x_z), (y_s, y_z) = rand_quant(rng), rand_quant(rng)
    a_s, a_z = float(rng.uniform(0.001, 0.02)), int(rng.integers(-128, 128))
    tensors = [act_t(shape, x_s, x_z, "x"),
               Tensor("alpha", tuple(alpha_shape), "int8", q(a_s, a_z),
                      rng.integers(-128, 128, size=alpha_shape).astype(np.int8)),
               act_t(shape, y_s, y_z, "y")]
    check(Graph(tensors, [Op("PRELU", [0, 1], [2], {}, None, version=1)], [0], [2]))


@pytest.mark.parametrize("seed", range(CASES))
def test_sub(seed):
    act = list(ACTIVATIONS)[seed % 4]
    check(binary_graph("SUB", seed, {"fusedActivationFunction": ACTIVATIONS[act]}, "SubOptions",
                       const_second=seed % 5 == 3))


@pytest.mark.parametrize("seed", range(CASES))
def test_squared_difference(seed):
    check(binary_graph("SQUARED_DIFFERENCE", seed, {}, "SquaredDifferenceOptions", const_second=seed % 5 == 3))


def test_mixed_input_types_refused_like_tflm():
    """TFLM's SquaredDifferencePrepare requires equal input types; we refuse in one line too."""
    g = binary_graph("SQUARED_DIFFERENCE", 0, {}, "SquaredDifferenceOptions")
    g.tensors[1].dtype = "uint8"
    model = save_tflite(g)
    with pytest.raises(ModelError):
        interpreter(model)
    with pytest.raises(ModelError, match=r"^op SQUARED_DIFFERENCE at index 0: input tensor 1 is uint8") as err:
        generate(model, "op")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("seed", range(CASES))
@pytest.mark.parametrize("kind", ["ABS", "ELU", "TANH"])
def test_unary(kind, seed):
    check(unary_graph(kind, seed))


def positive_inputs(graph, count, seed=0):
    """Inputs at or above the zero point (TFLM's RSQRT fails the invoke on a negative value)."""
    rng = np.random.default_rng(seed)
    x = graph.tensors[graph.inputs[0]]
    zp = int(x.quant.zero_point[0])
    return [[rng.integers(zp, 128, size=x.shape).astype(np.int8)] for _ in range(count)]


@pytest.mark.parametrize("seed", range(CASES))
def test_rsqrt(seed, monkeypatch):
    monkeypatch.setattr(single, "random_inputs", positive_inputs)
    check(unary_graph("RSQRT", seed))


def comparison_inputs(graph, count, seed=0):
    """Random inputs with many equal pairs (EQUAL is rarely true on random bytes of different scales)."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(count):
        arrays = [rng.integers(-128, 128, size=graph.tensors[t].shape).astype(np.int8) for t in graph.inputs]
        if len(arrays) == 2 and arrays[0].shape == arrays[1].shape:
            same = rng.random(arrays[0].shape) < 0.3
            arrays[1][same] = arrays[0][same]
        sets.append(arrays)
    return sets


@pytest.mark.parametrize("seed", range(CASES))
@pytest.mark.parametrize("kind", ["EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL"])
def test_comparison(kind, seed, monkeypatch):
    monkeypatch.setattr(single, "random_inputs", comparison_inputs)
    g = binary_graph(kind, seed, {}, None, const_second=seed % 5 == 2)
    if seed % 3 == 0:  # same quantization on both sides: equal bytes compare equal
        g.tensors[1].quant = g.tensors[0].quant
    y = g.tensors[2]
    g.tensors[2] = Tensor(y.name, y.shape, "bool")
    check(g)


def select_inputs(graph, count, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.random(graph.tensors[t].shape) < 0.5 if graph.tensors[t].dtype == "bool"
             else rng.integers(-128, 128, size=graph.tensors[t].shape).astype(np.int8) for t in graph.inputs]
            for _ in range(count)]


@pytest.mark.parametrize("seed", range(CASES))
def test_select_v2(seed, monkeypatch):
    monkeypatch.setattr(single, "random_inputs", select_inputs)
    rng = np.random.default_rng(3000 + seed)
    sx, sy, _ = broadcast_shapes(rng)
    sc, _, _ = broadcast_shapes(rng)
    rank = max(len(sc), len(sx), len(sy))
    full = [[1] * (rank - len(s)) + list(s) for s in (sc, sx, sy)]
    for d in range(rank):  # make the three broadcast: a dimension is 1 or the common size
        size = max(f[d] for f in full)
        for f in full:
            f[d] = f[d] if f[d] in (1, size) else size
    sc, sx, sy = (f[rank - len(s):] for f, s in zip(full, (sc, sx, sy)))
    out = [max(f[d] for f in full) for d in range(rank)]
    (x_s, x_z), (y_s, y_z) = rand_quant(rng), rand_quant(rng)
    tensors = [Tensor("c", tuple(sc), "bool"), act_t(sx, x_s, x_z, "x"), act_t(sy, y_s, y_z, "y"),
               act_t(out, x_s, x_z, "out")]
    check(Graph(tensors, [Op("SELECT_V2", [0, 1, 2], [3], {}, None)], [0, 1, 2], [3]))


@pytest.mark.parametrize("seed", range(CASES))
def test_zeros_like_and_fill(seed):
    rng = np.random.default_rng(4000 + seed)
    shape = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 5))))
    s, z = rand_quant(rng)
    if seed % 2:
        check(Graph([act_t(shape, s, z, "x"), act_t(shape, s, z, "y")], [Op("ZEROS_LIKE", [0], [1], {}, None)],
                    [0], [1]))
        return
    dims = Tensor("dims", (len(shape),), "int32", None, np.array(shape, np.int32))
    value = act_t((), s, z, "v")
    if seed % 4 == 2:
        value.data = np.array(rng.integers(-128, 128), np.int8)
    # a model needs an input: with a constant value, FILL's output goes through MAXIMUM with one
    tensors = [dims, value, act_t(shape, s, z, "y")]
    inputs = [] if value.is_constant else [1]
    if not inputs:
        tensors += [act_t(shape, s, z, "x"), act_t(shape, s, z, "m")]
        ops = [Op("FILL", [0, 1], [2], {}, None), Op("MAXIMUM", [3, 2], [4], {}, None)]
        check(Graph(tensors, ops, [3], [4]))
    else:
        check(Graph(tensors, [Op("FILL", [0, 1], [2], {}, None)], inputs, [2]))


def test_fill_dims_mismatch_refused_like_tflm():
    """TFLM's FILL Prepare requires constant dims equal to the output shape; we refuse in one line too."""
    tensors = [Tensor("dims", (2,), "int32", None, np.array([2, 3], np.int32)), act_t((), 0.1, 0),
               act_t((3, 2), 0.1, 0, "y")]
    model = save_tflite(Graph(tensors, [Op("FILL", [0, 1], [2], {}, None)], [1], [2]))
    with pytest.raises(ModelError):
        interpreter(model)
    with pytest.raises(ModelError, match=r"^op FILL at index 0: dims \[2, 3\] differ from the output shape"):
        generate(model, "op")


@pytest.mark.parametrize("kind", ["NEG", "EXP"])
def test_int8_neg_and_exp_refused_like_tflm(kind):
    """The wheel takes NEG and EXP for float only (EXP fails at Prepare, NEG at invoke); we refuse both."""
    graph = unary_graph(kind, 0)
    model = save_tflite(graph)
    with pytest.raises((ModelError, RuntimeError)):
        run_tflm(model, [[np.zeros(graph.tensors[0].shape, np.int8)]])
    with pytest.raises(ModelError, match=f"^op {kind} at index 0: TFLM.s {kind} kernel takes float32 only"):
        generate(model, "op")


@pytest.mark.parametrize("case", [
    # (kind, s1, zp1, s2, zp2, s_out, zp_out, x, y), found by search over all input pairs: the multipliers in
    # float32 (as some sub_common.cc versions write SUB's) give another byte than in double; the wheel's is
    # double's. SUB: input multipliers, then output multiplier; SQUARED_DIFFERENCE: the ratios.
    ("SUB", 0.16204439103603363, -96, 0.16692522168159485, -87, 0.038853853940963745, 32, 89, 82),
    ("SUB", 0.08686579763889313, 43, 0.12810413539409637, 94, 0.19361744821071625, 46, -72, -86),
    ("SQUARED_DIFFERENCE", 0.06604605913162231, -77, 0.14247964322566986, 2, 0.15502074360847473, -114, -111, 29)])
def test_multipliers_in_double_as_the_wheel(case, monkeypatch):
    kind, s1, z1, s2, z2, so, zo, x, y = case
    tensors = [act_t((2,), s1, z1, "a"), act_t((2,), s2, z2, "b"), act_t((2,), so, zo, "y")]
    options = ({"fusedActivationFunction": 0}, "SubOptions") if kind == "SUB" else ({}, "SquaredDifferenceOptions")
    graph = Graph(tensors, [Op(kind, [0, 1], [2], *options, version=2)], [0, 1], [2])
    inputs = [[np.array([x, 0], np.int8), np.array([y, 0], np.int8)]]
    monkeypatch.setattr(single, "random_inputs", lambda g, n, seed=0: inputs)
    check(graph)


def test_relu_and_prelu_multipliers_in_double_as_the_wheel(monkeypatch):
    """Found by search: a float32 ratio would give RELU -30 (wheel -29) and PRELU 40 (wheel 41) here."""
    relu = Graph([act_t((1,), 0.06467267870903015, 46, "x"), act_t((1,), 0.15521442890167236, -31, "y")],
                 [Op("RELU", [0], [1], {}, None)], [0], [1])
    alpha = Tensor("alpha", (1,), "int8", q(0.09609279781579971, -30), np.array([-83], np.int8))
    prelu = Graph([act_t((1,), 0.02976980432868004, 90, "x"), alpha, act_t((1,), 0.16897809505462646, -95, "y")],
                  [Op("PRELU", [0, 1], [2], {}, None)], [0], [2])
    for graph, x in ((relu, 49), (prelu, -61)):
        monkeypatch.setattr(single, "random_inputs", lambda g, n, seed=0, x=x: [[np.array([x], np.int8)]])
        check(graph)
