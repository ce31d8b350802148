"""16x8 ops (int16 activations, int8 weights) against the TFLM wheel: seeded random single-op models
(shapes, quantization, bias type drawn at random), our generated C byte for byte. The cases of one op are
independent single-op subgraphs of one model, so that one compile checks them all; the int16 kernels
have no fast path, so the default build and -DMR_PORTABLE compile the same C and one build is checked."""
import numpy as np
import pytest

from micro_runtime.codegen import generate
from micro_runtime.target_host import HostModel
from tests.shape_ops_check import merge
from tests.test_ops_elementwise import broadcast_shapes
from tests.test_single_ops import ACTIVATIONS, q
from tflite_patch import Graph, ModelError, Op, Tensor, save_tflite
from tflite_patch.tflm import random_inputs, run_tflm

CASES = 24
CFLAGS = ("-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-DMR_PORTABLE")


def t16(shape, scale, name="x"):
    return Tensor(name, tuple(int(d) for d in shape), "int16", q(scale, 0))


def check_all(graphs: list[Graph], seed=0, count=3) -> None:
    """TFLM and our C agree byte for byte on every output of the merged model, on random inputs."""
    graph = merge(graphs)
    model = save_tflite(graph)
    sets = random_inputs(graph, count, seed=seed)
    rng = np.random.default_rng(seed)
    for arrays in sets:  # int32 inputs (QUANTIZE's) over +-2^20, where their quantizations reach
        for j, t in enumerate(graph.inputs):
            if graph.tensors[t].dtype == "int32":
                arrays[j] = rng.integers(-(1 << 20), 1 << 20, size=graph.tensors[t].shape).astype(np.int32)
    expected = run_tflm(model, sets, len(graph.outputs))
    host = HostModel(generate(model, "op"), cflags=CFLAGS)
    for arrays, want_outputs in zip(sets, expected):
        for k, (got, want) in enumerate(zip(host.invoke(arrays), want_outputs)):
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), f"case {k}"


def refused(graph: Graph, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        generate(save_tflite(graph), "op")


def fully_connected_case(seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    n_in, n_out, batches = int(rng.integers(1, 40)), int(rng.integers(1, 20)), int(rng.integers(1, 4))
    if seed % 5 == 4:  # more than MR_S16_EXACT_INT32_TAPS products: the kernel's int64 sum
        n_in = int(rng.integers(512, 700))
    per_channel = seed % 4 == 3
    bias_type = ("int64", "int32", None)[seed % 3]
    s_in = float(rng.uniform(1e-4, 1e-2))
    w_scales = rng.uniform(0.002, 0.05, size=n_out if per_channel else 1).astype(np.float32)
    s_out = float(s_in * w_scales.mean() * np.sqrt(n_in) * 127 * rng.uniform(0.2, 3))
    tensors = [t16((batches, n_in), s_in),
               Tensor("w", (n_out, n_in), "int8", q(w_scales, np.zeros(w_scales.size)),
                      rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)),
               t16((batches, n_out), s_out, "y")]
    inputs = [0, 1, -1]
    if bias_type:
        bias = rng.integers(-(1 << 20), 1 << 20, n_out).astype(bias_type)
        b_scales = (np.float32(s_in) * w_scales).astype(np.float32)
        tensors.append(Tensor("b", (n_out,), bias_type, q(b_scales, np.zeros(b_scales.size)), bias))
        inputs[2] = 3
    act = list(ACTIVATIONS.values())[int(rng.integers(0, 4))]
    op = Op("FULLY_CONNECTED", inputs, [2], {"fusedActivationFunction": act, "weightsFormat": 0, "keepNumDims": False,
                                             "asymmetricQuantizeInputs": False}, "FullyConnectedOptions", version=7)
    return Graph(tensors, [op], [0], [2])


def test_fully_connected():
    check_all([fully_connected_case(seed) for seed in range(CASES)])


def arithmetic_case(kind: str, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    s1, s2, so = broadcast_shapes(rng)
    scales = rng.uniform(1e-4, 1e-2, size=3)
    if kind == "MUL":
        scales[2] = scales[0] * scales[1] * 32768 * rng.uniform(0.3, 3)
    elif seed % 5 == 0:  # the same scale everywhere
        scales[:] = scales[0]
    tensors = [t16(s1, scales[0], "a"), t16(s2, scales[1], "b"), t16(so, scales[2], "y")]
    act = list(ACTIVATIONS.values())[int(rng.integers(0, 4))]
    options_type = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}[kind]
    options = {"fusedActivationFunction": act}
    if kind != "MUL":  # TFLM reads no pot_scale_int16: the general path either way
        options["potScaleInt16"] = bool(seed % 2)
    op = Op(kind, [0, 1], [2], options, options_type, version=3 if kind == "SUB" else 4)
    return Graph(tensors, [op], [0, 1], [2])


@pytest.mark.parametrize("kind", ["ADD", "SUB", "MUL"])
def test_arithmetic(kind):
    check_all([arithmetic_case(kind, seed) for seed in range(CASES)])


QUANTIZE_PAIRS = [("float32", "int16"), ("int8", "int16"), ("int16", "int8"), ("int16", "int16"), ("int16", "int32"),
                  ("int16", "float32"), ("int32", "int16"), ("int8", "int32"), ("int32", "int8")]


def quantize_case(src: str, dst: str, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    shape = [int(d) for d in rng.integers(1, 7, size=int(rng.integers(1, 5)))]

    def tensor(dtype, name):
        if dtype == "float32":
            return Tensor(name, tuple(shape), dtype, None)
        scale = {"int8": rng.uniform(0.004, 0.2), "int16": rng.uniform(1e-5, 1e-3), "int32": rng.uniform(1e-7, 1e-5)}
        zero_point = {"int8": rng.integers(-128, 128), "int16": 0, "int32": rng.integers(-1000, 1000)}[dtype]
        return Tensor(name, tuple(shape), dtype, q(scale[dtype], zero_point))

    x, y = tensor(src, "x"), tensor(dst, "y")
    kind = "DEQUANTIZE" if dst == "float32" else "QUANTIZE"
    return Graph([x, y], [Op(kind, [0], [1], {}, None, version=2)], [0], [1])


@pytest.mark.parametrize("src,dst", QUANTIZE_PAIRS)
def test_quantize(src, dst):
    check_all([quantize_case(src, dst, seed) for seed in range(CASES)])


def conv_case(seed: int, depthwise: bool) -> Graph:
    rng = np.random.default_rng(seed)
    h, w, cin = int(rng.integers(1, 10)), int(rng.integers(1, 10)), int(rng.integers(1, 7))
    k, kw = int(rng.choice([1, 2, 3, 5])), int(rng.choice([1, 3]))
    if seed % 6 == 5:  # more than MR_S16_EXACT_INT32_TAPS products: the kernel's int64 sum
        cin, k, kw = (cin, 23, 23) if depthwise else (int(rng.integers(57, 70)), 3, 3)
    kw = k if depthwise else kw
    stride, dil = int(rng.integers(1, 3)), int(rng.choice([1, 1, 2]))
    padding = "SAME" if rng.random() < 0.5 or h < (k - 1) * dil + 1 or w < (kw - 1) * dil + 1 else "VALID"
    mult = int(rng.integers(1, 3)) if depthwise else 1
    cout = cin * mult if depthwise else int(rng.integers(1, 9))
    out_h = -(-h // stride) if padding == "SAME" else (h - (k - 1) * dil - 1) // stride + 1
    out_w = -(-w // stride) if padding == "SAME" else (w - (kw - 1) * dil - 1) // stride + 1
    s_in = float(rng.uniform(1e-4, 1e-2))
    w_scales = rng.uniform(0.002, 0.05, size=cout if seed % 2 else 1).astype(np.float32)
    fan_in = k * kw * (1 if depthwise else cin)
    s_out = float(s_in * w_scales.mean() * np.sqrt(fan_in) * 127 * rng.uniform(0.2, 3))
    filt_shape = (1, k, kw, cout) if depthwise else (cout, k, kw, cin)
    tensors = [t16((1, h, w, cin), s_in),
               Tensor("w", filt_shape, "int8", q(w_scales, np.zeros(w_scales.size), 3 if depthwise else 0),
                      rng.integers(-127, 128, size=filt_shape).astype(np.int8)),
               t16((1, out_h, out_w, cout), s_out, "y")]
    inputs = [0, 1, -1]
    bias_type = "int64" if depthwise else ("int64", "int32", None)[seed % 3]
    if bias_type:
        b_scales = (np.float32(s_in) * w_scales).astype(np.float32)
        tensors.append(Tensor("b", (cout,), bias_type, q(b_scales, np.zeros(b_scales.size)),
                              rng.integers(-(1 << 20), 1 << 20, cout).astype(bias_type)))
        inputs[2] = 3
    options = {"padding": {"SAME": 0, "VALID": 1}[padding], "strideW": stride, "strideH": stride,
               "fusedActivationFunction": list(ACTIVATIONS.values())[int(rng.integers(0, 4))],
               "dilationWFactor": dil, "dilationHFactor": dil}
    if depthwise:
        options["depthMultiplier"] = mult
        op = Op("DEPTHWISE_CONV_2D", inputs, [2], options, "DepthwiseConv2DOptions", version=5)
    else:
        op = Op("CONV_2D", inputs, [2], options, "Conv2DOptions", version=4)
    return Graph(tensors, [op], [0], [2])


@pytest.mark.parametrize("depthwise", [False, True])
def test_conv(depthwise):
    check_all([conv_case(seed, depthwise) for seed in range(CASES)])


def test_depthwise_bias_other_than_int64_refused():
    """The wheel's int16 depthwise kernel reads an int64 bias whatever the model has: it crashes without one
    and reads past an int32 one (outputs differ from run to run). Both refused in one line."""
    graph = conv_case(0, True)
    bias = graph.tensors[3]
    bias.dtype, bias.data = "int32", bias.data.astype(np.int32)
    refused(graph, "op DEPTHWISE_CONV_2D at index 0: a 16x8 DEPTHWISE_CONV_2D needs an int64 bias")
    graph.ops[0].inputs[2] = -1
    graph.tensors.pop()
    refused(graph, "op DEPTHWISE_CONV_2D at index 0: a 16x8 DEPTHWISE_CONV_2D needs an int64 bias")


def sigmoid_tanh_case(kind: str, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    shape = [int(d) for d in rng.integers(1, 7, size=int(rng.integers(1, 5)))]
    # powers of two around TFLM's 2^-12 (its table's own scale) and arbitrary scales
    scale = 2.0 ** int(rng.integers(-15, -8)) if seed % 3 == 0 else float(rng.uniform(1e-5, 2e-3))
    op = Op(kind, [0], [1], {}, None, version=3)
    return Graph([t16(shape, scale), t16(shape, 2.0 ** -15, "y")], [op], [0], [1])


@pytest.mark.parametrize("kind", ["LOGISTIC", "TANH"])
def test_sigmoid_tanh(kind):
    check_all([sigmoid_tanh_case(kind, seed) for seed in range(CASES)])


def test_sigmoid_output_scale_refused():
    graph = sigmoid_tanh_case("LOGISTIC", 1)
    graph.tensors[1].quant = q(1.0 / 32000, 0)
    refused(graph, "op LOGISTIC at index 0: output scale 3.125e-05 is not 2\\^-15")


def softmax_case(src: str, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    shape = [int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 4)))] + [int(rng.integers(1, 40))]
    if src == "int8":
        x = Tensor("x", tuple(shape), "int8", q(rng.uniform(0.004, 0.2), rng.integers(-128, 128)))
        y = Tensor("y", tuple(shape), "int16", q(2.0 ** -16, -32768))
    else:
        x, y = t16(shape, rng.uniform(1e-5, 2e-3)), t16(shape, 2.0 ** -15, "y")
    beta = float(rng.choice([0.5, 1.0, 2.0]))
    return Graph([x, y], [Op("SOFTMAX", [0], [1], {"beta": beta}, "SoftmaxOptions", version=3)], [0], [1])


@pytest.mark.parametrize("src", ["int8", "int16"])
def test_softmax(src):
    check_all([softmax_case(src, seed) for seed in range(CASES)])


def test_softmax_quantization_tflm_refuses_is_refused():
    """TFLM's int8 -> int16 SOFTMAX takes zero point -32768 and scale 2^-16 only, int16 -> int16 scale 2^-15."""
    graph = softmax_case("int8", 0)
    graph.tensors[1].quant = q(2.0 ** -16, 0)
    refused(graph, r"tensor 1 \(y\): zero point 0 outside \[-32768, -32768\] of int16")
    graph.tensors[1].quant = q(1e-4, -32768)
    refused(graph, r"op SOFTMAX at index 0: output scale 0.0001 is not 2\^-16")
    graph = softmax_case("int16", 0)
    graph.tensors[1].quant = q(1e-4, 0)
    refused(graph, r"op SOFTMAX at index 0: output scale 0.0001 is not 2\^-15")


def cnn_16x8(io_dtype: str) -> bytes:
    """A small CNN (conv, depthwise, residual ADD, strided conv, reshape, dense + TANH, SOFTMAX) quantized
    16x8 by TF's converter, with int16 or float32 inputs and outputs."""
    from tests.model_factory import _tf
    tf, keras = _tf()
    layers = keras.layers
    inp = keras.Input((12, 12, 3))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    y = layers.Conv2D(8, 1)(layers.DepthwiseConv2D(3, padding="same", activation="relu")(x))
    x = layers.Conv2D(6, 3, strides=2)(layers.Add()([x, y]))
    x = layers.Dense(5, bias_initializer="ones")(layers.Dense(16, activation="tanh")(layers.Flatten()(x)))
    model = keras.Model(inp, layers.Softmax()(x))
    data = np.random.default_rng(0).uniform(-1, 1, (32, 1, 12, 12, 3)).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([d] for d in data)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    if io_dtype == "int16":
        converter.inference_input_type = converter.inference_output_type = tf.int16
    return bytes(converter.convert())


@pytest.mark.e2e
@pytest.mark.parametrize("io_dtype", ["int16", "float32"])
def test_cnn_16x8(io_dtype):
    """TF's 16x8 conversion of a CNN, generated and compiled (fast path and portable), bit-exact with TFLM."""
    from tflite_patch.graph import load_tflite
    model = cnn_16x8(io_dtype)
    graph = load_tflite(model)
    kinds = {op.kind for op in graph.ops}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "FULLY_CONNECTED", "TANH", "SOFTMAX"} <= kinds
    gen = generate(model, "cnn")
    sets = random_inputs(graph, 8, seed=1)
    expected = run_tflm(model, sets, 1)
    for flags in ((), ("-DMR_PORTABLE",)):
        host = HostModel(gen, cflags=("-std=c99", "-O1", "-Wall", "-Wextra", "-Werror") + flags)
        for arrays, want in zip(sets, expected):
            assert host.invoke(arrays)[0].tobytes() == want[0].tobytes(), f"flags {flags}"


def svdf_case(state_type: str, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    batches, n_input, memory = int(rng.integers(1, 3)), int(rng.integers(1, 12)), int(rng.integers(1, 9))
    rank, units = int(rng.integers(1, 3)), int(rng.integers(1, 6))
    filters = rank * units
    s_in, s_feature, s_time = rng.uniform(0.004, 0.1), rng.uniform(0.002, 0.05), rng.uniform(1e-4, 1e-2)
    state_zp = 0 if state_type == "int16" else int(rng.integers(-20, 20))
    state_range = 30000 if state_type == "int16" else 100
    s_state = s_in * s_feature * np.sqrt(n_input) * 127 * rng.uniform(0.5, 2) / state_range
    s_out = s_state * s_time * np.sqrt(memory * rank) * state_range * 127 / 60
    w_time_max = 32767 if state_type == "int16" else 127
    tensors = [Tensor("x", (batches, n_input), "int8", q(s_in, rng.integers(-128, 128))),
               Tensor("wf", (filters, n_input), "int8", q(s_feature),
                      rng.integers(-127, 128, (filters, n_input)).astype(np.int8)),
               Tensor("wt", (filters, memory), state_type, q(s_time),
                      rng.integers(-w_time_max, w_time_max + 1, (filters, memory)).astype(state_type)),
               Tensor("b", (units,), "int32", q(np.float32(s_state) * np.float32(s_time)),
                      rng.integers(-5000, 5000, units).astype(np.int32)),
               Tensor("state", (batches, memory * filters), state_type, q(s_state, state_zp), is_variable=True),
               Tensor("y", (batches, units), "int8", q(s_out, rng.integers(-128, 128)))]
    op = Op("SVDF", [0, 1, 2, 3, 4], [5], {"rank": rank, "fusedActivationFunction": 0,
                                          "asymmetricQuantizeInputs": False}, "SVDFOptions", version=4)
    return Graph(tensors, [op], [0], [5])


@pytest.mark.parametrize("state_type", ["int16", "int8"])
def test_svdf_sequence_and_reset(state_type):
    """20 consecutive invocations (the state carries over), then reset and 20 more, byte for byte with TFLM's
    interpreter doing the same."""
    from tflite_patch.tflm import interpreter
    graph = merge([svdf_case(state_type, seed) for seed in range(CASES)])
    model = save_tflite(graph)
    gen = generate(model, "op")
    assert "#define OP_STATEFUL 1" in gen.files["op.h"]
    host = HostModel(gen, cflags=CFLAGS)
    tflm = interpreter(model)
    sets = random_inputs(graph, 20, seed=3)
    for run in range(2):
        for step, arrays in enumerate(sets):
            for i, a in enumerate(arrays):
                tflm.set_input(a, i)
            tflm.invoke()
            for k, got in enumerate(host.invoke(arrays)):
                assert got.tobytes() == np.asarray(tflm.get_output(k)).tobytes(), f"run {run} step {step} case {k}"
        tflm.reset()
        host.lib.op_reset()


def test_svdf_int16_input_refused():
    """TFLM's SVDF takes float32 or int8 input only (svdf_common.cc): an int16 one is refused in one line."""
    graph = svdf_case("int16", 1)
    graph.tensors[0].dtype, graph.tensors[0].quant = "int16", q(1e-4, 0)
    graph.tensors[5].dtype, graph.tensors[5].quant = "int16", q(1e-3, 0)
    refused(graph, "op SVDF at index 0: input int16, weights int8/int16, state int16, output int16")


@pytest.mark.e2e
def test_svdf_sequence_on_cortex_m4(tmp_path):
    """SVDF layers (int16 and int8 state) on the Cortex-M4 in QEMU: 20 invocations in sequence, the state
    carried over, byte for byte with TFLM's sequence."""
    import micro_runtime.target_cortexm as cm
    graph = merge([svdf_case(state_type, seed) for state_type in ("int16", "int8") for seed in range(3)])
    model = save_tflite(graph)
    generate(model, "kws").write(tmp_path / "src")
    sets = random_inputs(graph, 20, seed=5)
    expected = [b"".join(o.tobytes() for o in outs) for outs in run_tflm(model, sets, len(graph.outputs))]
    inputs = [b"".join(a.tobytes() for a in s) for s in sets]
    build = cm.build(tmp_path / "src", "kws", target="cortex-m4", inputs=inputs, out_dir=tmp_path / "build")
    assert cm.run(build, timeout=120).outputs == expected


def pool_case(kind: str, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(1, 12)), int(rng.integers(1, 12)), int(rng.integers(1, 7))
    k, stride = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    padding = "SAME" if rng.random() < 0.5 or h < k or w < k else "VALID"
    out_h = -(-h // stride) if padding == "SAME" else (h - k) // stride + 1
    out_w = -(-w // stride) if padding == "SAME" else (w - k) // stride + 1
    scale = float(rng.uniform(1e-4, 1e-2))
    op = Op(kind, [0], [1], {"padding": {"SAME": 0, "VALID": 1}[padding], "strideW": stride, "strideH": stride,
                             "filterWidth": k, "filterHeight": k,
                             "fusedActivationFunction": list(ACTIVATIONS.values())[int(rng.integers(0, 4))]},
            "Pool2DOptions", version=3)
    return Graph([t16((1, h, w, c), scale), t16((1, out_h, out_w, c), scale, "y")], [op], [0], [1])


@pytest.mark.parametrize("kind", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_pooling(kind):
    check_all([pool_case(kind, seed) for seed in range(CASES)])


def mean_case(seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    shape = (1, int(rng.integers(1, 10)), int(rng.integers(1, 10)), int(rng.integers(1, 12)))
    axes = [[1, 2], [1], [2], [3], [2, 3]][seed % 5]
    keep = bool(seed % 2)
    out = tuple(1 if d in axes else n for d, n in enumerate(shape)) if keep else \
        tuple(n for d, n in enumerate(shape) if d not in axes)
    tensors = [t16(shape, rng.uniform(1e-4, 1e-2)),
               Tensor("axes", (len(axes),), "int32", None, np.array(axes, np.int32)),
               t16(out, rng.uniform(1e-4, 1e-2), "y")]
    return Graph(tensors, [Op("MEAN", [0, 1], [2], {"keepDims": keep}, "ReducerOptions", version=3)], [0], [2])


def test_mean():
    check_all([mean_case(seed) for seed in range(CASES)])


def test_svdf_bad_operands_refused():
    graph = svdf_case("int16", 2)
    graph.tensors[3].dtype, graph.tensors[3].data = "int16", graph.tensors[3].data.astype(np.int16)
    refused(graph, "op SVDF at index 0: bias must be a constant int32 vector")
    graph = svdf_case("int16", 2)
    graph.tensors[4].quant = None
    refused(graph, "op SVDF at index 0: input, weights, state and output need per-tensor quantization")


def as_int16(make):
    """A case maker of the int8 shape-op tests with its int8 tensors made int16 (zero point 0, constants
    widened): the byte-moving ops serve every activation type."""
    def made(rng):
        graph = make(rng)
        if graph is None:
            return None
        for tensor in graph.tensors:
            if tensor.dtype == "int8":
                tensor.dtype = "int16"
                tensor.quant = q(tensor.quant.scale, np.zeros(tensor.quant.scale.size)) if tensor.quant else None
                if tensor.data is not None:
                    tensor.data = tensor.data.astype(np.int16) * 3
        return graph
    return made


@pytest.mark.parametrize("maker", ["strided_slice_case", "slice_case", "pack_case", "unpack_case", "split_case",
                                   "split_v_case"])
def test_byte_moving_ops(maker):
    import tests.test_ops_packing as packing
    import tests.test_ops_slicing as slicing
    from tests.shape_ops_check import check_cases
    make = getattr(slicing, maker, None) or getattr(packing, maker)
    assert check_cases(as_int16(make), 7, CASES // 2, int32_range=slicing.in_range) == CASES // 2


def test_int16_gather_refused():
    """The wheel's GATHER refuses int16 ("Type 'INT16' is not supported by gather"): so do we, in one line."""
    import tests.test_ops_slicing as slicing
    graph = as_int16(slicing.gather_case)(np.random.default_rng(0))
    refused(graph, "unsupported op GATHER with int16 activations")


def keyword_graph(seed: int = 0) -> Graph:
    """A keyword-spotting shaped model as the issue describes them: int16 features quantized to int8, an SVDF
    with an int16 state, a FULLY_CONNECTED, an int8 -> int16 SOFTMAX and an int16 -> int32 QUANTIZE."""
    rng = np.random.default_rng(seed)
    svdf = svdf_case("int16", seed)
    x, wf, wt, b, state, y = svdf.tensors
    n_input, units, classes = x.shape[1], y.shape[1], 4
    s_y = float(y.quant.scale[0])
    tensors = [t16(x.shape, 1e-4, "features"), x, wf, wt, b, state, y,
               Tensor("fc_w", (classes, units), "int8", q(0.02),
                      rng.integers(-127, 128, (classes, units)).astype(np.int8)),
               Tensor("fc_b", (classes,), "int32", q(np.float32(s_y) * np.float32(0.02)),
                      rng.integers(-2000, 2000, classes).astype(np.int32)),
               Tensor("logits", (x.shape[0], classes), "int8", q(s_y * 0.02 * np.sqrt(units) * 60, 3)),
               Tensor("probs", (x.shape[0], classes), "int16", q(2.0 ** -16, -32768)),
               Tensor("probs32", (x.shape[0], classes), "int32", q(2.0 ** -20, 100))]
    ops = [Op("QUANTIZE", [0], [1], {}, None, version=2), Op("SVDF", [1, 2, 3, 4, 5], [6], svdf.ops[0].options,
                                                              "SVDFOptions", version=4),
           Op("FULLY_CONNECTED", [6, 7, 8], [9], {"fusedActivationFunction": 0, "weightsFormat": 0,
                                                 "keepNumDims": False, "asymmetricQuantizeInputs": False},
              "FullyConnectedOptions", version=4),
           Op("SOFTMAX", [9], [10], {"beta": 1.0}, "SoftmaxOptions", version=3),
           Op("QUANTIZE", [10], [11], {}, None, version=2)]
    return Graph(tensors, ops, [0], [10, 11])


def test_keyword_model_sequence_and_reset():
    """The keyword model: 20 invocations in sequence, reset, 20 more, byte for byte with TFLM's interpreter."""
    from tflite_patch.tflm import interpreter
    graph = keyword_graph(5)  # 19 distinct outputs in 20 steps
    model = save_tflite(graph)
    host = HostModel(generate(model, "kws"), cflags=CFLAGS)
    tflm = interpreter(model)
    sets = random_inputs(graph, 20, seed=4)
    for run in range(2):
        for step, arrays in enumerate(sets):
            tflm.set_input(arrays[0], 0)
            tflm.invoke()
            for k, got in enumerate(host.invoke(arrays)):
                assert got.tobytes() == np.asarray(tflm.get_output(k)).tobytes(), f"run {run} step {step} output {k}"
        tflm.reset()
        host.lib.kws_reset()


def concatenation_case(seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    shape = [int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 5)))]
    axis = int(rng.integers(-len(shape), len(shape)))
    sizes = [int(d) for d in rng.integers(1, 4, size=int(rng.integers(1, 4)))]
    pieces = [shape[:axis % len(shape)] + [n] + shape[axis % len(shape) + 1:] for n in sizes]
    out = shape[:axis % len(shape)] + [sum(sizes)] + shape[axis % len(shape) + 1:]
    tensors = [t16(s, rng.uniform(1e-4, 1e-2), f"x{k}") for k, s in enumerate(pieces)] + [t16(out, 1e-3, "y")]
    op = Op("CONCATENATION", list(range(len(pieces))), [len(pieces)],
            {"axis": axis, "fusedActivationFunction": 0}, "ConcatenationOptions", version=3)
    return Graph(tensors, [op], list(range(len(pieces))), [len(pieces)])


def test_concatenation():
    """Inputs of any scale are copied as they are, as TFLM's int16 CONCATENATION does."""
    check_all([concatenation_case(seed) for seed in range(CASES)])


def pad_case(seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    shape = [int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 5)))]
    pads = rng.integers(0, 3, size=(len(shape), 2)).astype(np.int32)
    out = [int(n + a + b) for n, (a, b) in zip(shape, pads)]
    tensors = [t16(shape, 1e-3), Tensor("pads", pads.shape, "int32", None, pads), t16(out, 1e-3, "y")]
    if seed % 2:  # PADV2 with its own value
        tensors.append(Tensor("value", (1,), "int16", q(1e-3), np.array([rng.integers(-32768, 32768)], np.int16)))
        op = Op("PADV2", [0, 1, 3], [2], {}, "PadV2Options", version=4)
    else:
        op = Op("PAD", [0, 1], [2], {}, "PadOptions", version=4)
    return Graph(tensors, [op], [0], [2])


def test_pad():
    check_all([pad_case(seed) for seed in range(CASES)])


def test_pad_folded_into_conv():
    """An int16 PAD read only by an int16 conv is folded into the conv's padding (the pass's rule: zeros, the
    zero point): same bytes as TFLM running both ops."""
    from tflite_patch.passes import prepare_for_engine
    graphs, seed = [], 0
    while len(graphs) < 6:
        seed += 1
        conv = conv_case(seed * 6, False)  # made VALID, stride 1, undilated below
        conv.ops[0].options.update(dilationHFactor=1, dilationWFactor=1, padding=1, strideH=1, strideW=1)
        x, w, y = conv.tensors[0], conv.tensors[1], conv.tensors[2]
        n, h, wd, c = x.shape
        k_h, k_w = w.shape[1:3]
        top, left = seed % 2 + 1, seed % 3
        if h + top + 2 - k_h < 1 or wd + left + 2 - k_w < 1:
            continue
        padded = t16((n, h + top + 1, wd + left + 1, c), float(x.quant.scale[0]), "padded")
        y.shape = (1, h + top + 2 - k_h, wd + left + 2 - k_w, y.shape[3])
        pads = Tensor("pads", (4, 2), "int32", None, np.array([[0, 0], [top, 1], [left, 1], [0, 0]], np.int32))
        tensors = conv.tensors + [padded, pads]
        p, pd = len(conv.tensors), len(conv.tensors) + 1
        conv.ops[0].inputs[0] = p
        graphs.append(Graph(tensors, [Op("PAD", [0, pd], [p], {}, "PadOptions", version=4), conv.ops[0]], [0], [2]))
    assert all(len(prepare_for_engine(g).ops) == 1 for g in graphs)
    check_all(graphs)
