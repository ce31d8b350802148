"""Hypothesis-driven single-op models (random shapes, strides, paddings, activations, quantization)
written with tflite_patch.save_tflite, run by stock TFLM and by our generated C: same bytes."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micro_runtime.codegen import generate
from micro_runtime.target_host import HostModel
from tflite_patch import Graph, Op, Quantization, Tensor, save_tflite
from tflite_patch.tflm import random_inputs, run_tflm

ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
PADDINGS = {"SAME": 0, "VALID": 1}
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def q(scale, zero_point=0, axis=0):
    return Quantization(np.asarray(scale, np.float32).reshape(-1), np.asarray(zero_point, np.int64).reshape(-1), axis)


def act_t(shape, scale, zp, name="x"):
    return Tensor(name, tuple(shape), "int8", q(scale, zp))


def check(graph, seed=0, count=8):
    """TFLM on the saved model and our generated code agree byte for byte on random inputs, with the kernels'
    fast path for this host (SSE2 on x86-64) and with their portable C path (-DMR_PORTABLE)."""
    model = save_tflite(graph)
    gen = generate(model, "op")
    sets = random_inputs(graph, count, seed=seed)
    expected = list(run_tflm(model, sets, len(graph.outputs)))
    for path_flags in ((), ("-DMR_PORTABLE",)):
        host = HostModel(gen, cflags=("-std=c99", "-O1", "-Wall", "-Wextra", "-Werror") + path_flags)
        for arrays, want_outputs in zip(sets, expected):
            for got, want in zip(host.invoke(arrays), want_outputs):
                assert got.tobytes() == want.tobytes(), f"flags {path_flags}"


scales = st.floats(0.004, 0.2)
zero_points = st.integers(-128, 127)


@st.composite
def conv_case(draw, depthwise=False):
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    cin = draw(st.integers(1, 9))
    k = draw(st.sampled_from([1, 3, 5, 7] if depthwise else [1, 2, 3, 5]))
    kw = k if depthwise else draw(st.sampled_from([1, 3, k]))
    stride = draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    if padding == "VALID" and (h < k or w < kw):
        padding = "SAME"
    mult = draw(st.integers(1, 2)) if depthwise else 1
    cout = cin * mult if depthwise else draw(st.integers(1, 11))
    out_h = -(-h // stride) if padding == "SAME" else (h - k) // stride + 1
    out_w = -(-w // stride) if padding == "SAME" else (w - kw) // stride + 1
    s_in, zp_in = draw(scales), draw(zero_points)
    per_channel = draw(st.booleans())
    w_scales = rng.uniform(0.002, 0.05, size=cout if per_channel else 1).astype(np.float32)
    fan_in = k * kw * (1 if depthwise else cin)
    s_out = float(s_in * w_scales.mean() * np.sqrt(fan_in) * 40 * draw(st.floats(0.2, 3)))
    filt_shape = (1, k, kw, cout) if depthwise else (cout, k, kw, cin)
    weights = rng.integers(-127, 128, size=filt_shape).astype(np.int8)
    bias_scale = (s_in * w_scales).astype(np.float32)
    bias = rng.integers(-3000, 3000, size=cout).astype(np.int32)
    tensors = [act_t((1, h, w, cin), s_in, zp_in),
               Tensor("w", filt_shape, "int8", q(w_scales, np.zeros(w_scales.size), 3 if depthwise else 0), weights),
               Tensor("b", (cout,), "int32", q(bias_scale, np.zeros(bias_scale.size)), bias),
               act_t((1, out_h, out_w, cout), s_out, draw(zero_points), "y")]
    options = {"padding": PADDINGS[padding], "strideW": stride, "strideH": stride,
               "fusedActivationFunction": ACTIVATIONS[draw(st.sampled_from(list(ACTIVATIONS)))],
               "dilationWFactor": 1, "dilationHFactor": 1}
    if depthwise:
        options["depthMultiplier"] = mult
        op = Op("DEPTHWISE_CONV_2D", [0, 1, 2], [3], options, "DepthwiseConv2DOptions", version=3)
    else:
        op = Op("CONV_2D", [0, 1, 2], [3], options, "Conv2DOptions", version=3)
    return Graph(tensors, [op], [0], [3])


@SETTINGS
@given(conv_case())
def test_conv2d(graph):
    check(graph)


@SETTINGS
@given(conv_case(depthwise=True))
def test_depthwise_conv2d(graph):
    check(graph)


@SETTINGS
@given(st.integers(1, 40), st.integers(1, 20), st.integers(1, 3), scales, zero_points, scales, zero_points,
       st.sampled_from(list(ACTIVATIONS)), st.integers(0, 2**31))
def test_fully_connected(n_in, n_out, batches, s_in, zp_in, s_out, zp_out, act, seed):
    rng = np.random.default_rng(seed)
    w_scale = np.float32(rng.uniform(0.002, 0.05))
    tensors = [act_t((batches, n_in), s_in, zp_in),
               Tensor("w", (n_out, n_in), "int8", q(w_scale), rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)),
               Tensor("b", (n_out,), "int32", q(np.float32(s_in) * w_scale), rng.integers(-500, 500, n_out).astype(np.int32)),
               act_t((batches, n_out), s_out * 4, zp_out, "y")]
    op = Op("FULLY_CONNECTED", [0, 1, 2], [3], {"fusedActivationFunction": ACTIVATIONS[act], "weightsFormat": 0,
                                                 "keepNumDims": False, "asymmetricQuantizeInputs": False},
            "FullyConnectedOptions", version=4)
    check(Graph(tensors, [op], [0], [3]))


@SETTINGS
@given(st.lists(st.integers(1, 7), min_size=4, max_size=4), scales, zero_points, scales, zero_points, scales,
       zero_points, st.sampled_from(list(ACTIVATIONS)), st.sampled_from(["ADD", "MUL"]))
def test_add_and_mul(shape, s1, z1, s2, z2, so, zo, act, kind):
    shape = [1] + shape[1:]
    tensors = [act_t(shape, s1, z1, "a"), act_t(shape, s2, z2, "b"), act_t(shape, so, zo, "y")]
    options_type = "AddOptions" if kind == "ADD" else "MulOptions"
    op = Op(kind, [0, 1], [2], {"fusedActivationFunction": ACTIVATIONS[act]}, options_type, version=2)
    check(Graph(tensors, [op], [0, 1], [2]))


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 6), st.integers(1, 4), st.integers(1, 3),
       st.sampled_from(["SAME", "VALID"]), st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]), scales, zero_points,
       st.sampled_from(list(ACTIVATIONS)))
def test_pooling(h, w, c, k, stride, padding, kind, s, zp, act):
    if padding == "VALID" and (h < k or w < k):
        padding = "SAME"
    out_h = -(-h // stride) if padding == "SAME" else (h - k) // stride + 1
    out_w = -(-w // stride) if padding == "SAME" else (w - k) // stride + 1
    tensors = [act_t((1, h, w, c), s, zp), act_t((1, out_h, out_w, c), s, zp, "y")]
    op = Op(kind, [0], [1], {"padding": PADDINGS[padding], "strideW": stride, "strideH": stride, "filterWidth": k,
                             "filterHeight": k, "fusedActivationFunction": ACTIVATIONS[act]}, "Pool2DOptions", version=2)
    check(Graph(tensors, [op], [0], [1]))


@SETTINGS
@given(st.integers(1, 10), st.integers(1, 10), st.integers(1, 16), scales, zero_points, scales, zero_points,
       st.booleans())
def test_mean_over_height_and_width(h, w, c, s_in, z_in, s_out, z_out, keep):
    out_shape = (1, 1, 1, c) if keep else (1, c)
    tensors = [act_t((1, h, w, c), s_in, z_in), Tensor("axes", (2,), "int32", None, np.array([1, 2], np.int32)),
               act_t(out_shape, s_out, z_out, "y")]
    op = Op("MEAN", [0, 1], [2], {"keepDims": keep}, "ReducerOptions", version=2)
    check(Graph(tensors, [op], [0], [2]))


@SETTINGS
@given(st.integers(1, 4), st.integers(2, 40), scales, zero_points, st.sampled_from([0.5, 1.0, 2.0]))
def test_softmax(rows, depth, s, zp, beta):
    tensors = [act_t((rows, depth), s, zp), act_t((rows, depth), 1 / 256, -128, "y")]
    op = Op("SOFTMAX", [0], [1], {"beta": beta}, "SoftmaxOptions", version=2)
    check(Graph(tensors, [op], [0], [1]))
