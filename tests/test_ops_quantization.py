"""Quantization as TFLM reads it: filter scales of either sign (and zero), filter zero points TFLM's int8 convs
ignore, a rank-1 bias whose quantized_dimension is outside its rank, activation zero points outside int8's range. Seeded random CONV_2D, DEPTHWISE_CONV_2D
and FULLY_CONNECTED models against the TFLM wheel, on the fast path and the portable one (-DMR_PORTABLE)."""
import os
import shutil

import numpy as np
import pytest

from conftest import BUILT_MODELS, read_model
from micro_runtime import target_cortexm
from micro_runtime.codegen import generate
from micro_runtime.lowering.conv_common import negated_channels
from micro_runtime.quant import multiply_by_quantized_multiplier, quantize_multiplier
from micro_runtime.target_host import HOST_CFLAGS, HostModel
from shape_ops_check import (act, assert_bit_exact_on_cortex_m4, assert_refused, check_cases, check_graphs, merge,
                             random_arrays, single)
from tflite_patch import Graph, Op, Quantization, Tensor, load_tflite, save_tflite
from tflite_patch.graph import ModelError
from tflite_patch.tflm import random_inputs, run_tflm

CASES = 24
needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                               reason="arm-none-eabi-gcc / qemu-system-arm not installed")
ACTIVATIONS = (0, 1, 3)  # NONE, RELU, RELU6


def quant(scale, zero_point=0, axis=0):
    scale = np.asarray(scale, np.float32).reshape(-1)
    return Quantization(scale, np.broadcast_to(np.asarray(zero_point, np.int64), scale.shape).copy(), axis)


def filter_scales(rng, channels):
    """Per-channel scales of random sign (a few zero), or one per-tensor scale of random sign."""
    if rng.random() < 0.2:
        return np.float32(rng.uniform(0.002, 0.05) * rng.choice([-1, 1])).reshape(1)
    scales = rng.uniform(0.002, 0.05, channels) * rng.choice([-1, 1], channels)
    scales[rng.random(channels) < 0.05] = 0.0
    return scales.astype(np.float32)


def weights(rng, shape):
    """int8 weights; a third of the models use -128 too (a channel the fast kernels cannot negate)."""
    low = -128 if rng.random() < 0.33 else -127
    return rng.integers(low, 128, shape).astype(np.int8)


def widened(rng, tensor):
    """`tensor` with, one time in five, a zero point outside int8's range (TFLM takes it)."""
    if rng.random() < 0.2:
        tensor.quant = quant(tensor.quant.scale, int(rng.choice([-1, 1]) * rng.integers(129, 400)))
    return tensor


def bias_tensor(rng, s_in, scales, channels):
    """The bias, its quantized_dimension sometimes 3 (outside its rank: TFLM ignores it)."""
    axis = 3 if rng.random() < 0.3 else 0
    bias_scales = np.abs(np.float32(s_in) * np.broadcast_to(scales, (channels,))) + np.float32(1e-9)
    return Tensor("b", (channels,), "int32", quant(bias_scales, 0, axis),
                  rng.integers(-4000, 4000, channels).astype(np.int32))


def conv_case(depthwise):
    def make(rng):
        h, w, cin = (int(v) for v in rng.integers(1, 9, 3))
        k, stride = int(rng.choice([1, 3] if depthwise else [1, 2, 3])), int(rng.integers(1, 3))
        cout = cin if depthwise else int(rng.integers(1, 10))
        x = widened(rng, act((1, h, w, cin), rng))
        scales = filter_scales(rng, cout)
        shape = (1, k, k, cout) if depthwise else (cout, k, k, cin)
        zero_point = rng.integers(-3, 4, scales.size) if rng.random() < 0.3 else 0  # ignored by TFLM
        filt = Tensor("w", shape, "int8", quant(scales, zero_point, 3 if depthwise else 0), weights(rng, shape))
        fan_in = k * k * (1 if depthwise else cin)
        s_out = float(x.quant.scale[0]) * 0.02 * np.sqrt(fan_in) * 40 * rng.uniform(0.2, 3)
        out = (1, -(-h // stride), -(-w // stride), cout)
        y = widened(rng, act(out, rng, "y", quant(s_out, int(rng.integers(-128, 128)))))
        options = {"padding": 0, "strideW": stride, "strideH": stride, "dilationWFactor": 1, "dilationHFactor": 1,
                   "fusedActivationFunction": int(rng.choice(ACTIVATIONS))}
        tensors = [x, filt, bias_tensor(rng, x.quant.scale[0], scales, cout), y]
        if depthwise:
            return single(tensors, "DEPTHWISE_CONV_2D", [0, 1, 2], [3], dict(options, depthMultiplier=1),
                          "DepthwiseConv2DOptions", version=3)
        return single(tensors, "CONV_2D", [0, 1, 2], [3], options, "Conv2DOptions", version=3)
    return make


def fully_connected_case(rng):
    n_in, n_out, batches = int(rng.integers(1, 40)), int(rng.integers(1, 20)), int(rng.integers(1, 3))
    x = widened(rng, act((batches, n_in), rng))
    scales = filter_scales(rng, n_out)
    if scales.size == 1:  # TFLM refuses a negative per-tensor scale (test below)
        scales = np.abs(scales)
    zero_point = rng.integers(-3, 4, scales.size) if rng.random() < 0.3 else 0  # TFLM's FC reads filter_offset
    filt = Tensor("w", (n_out, n_in), "int8", quant(scales, zero_point), weights(rng, (n_out, n_in)))
    s_out = float(x.quant.scale[0]) * 0.02 * np.sqrt(n_in) * 10 * rng.uniform(0.2, 3)
    y = widened(rng, act((batches, n_out), rng, "y", quant(s_out, int(rng.integers(-128, 128)))))
    options = {"fusedActivationFunction": int(rng.choice(ACTIVATIONS)), "weightsFormat": 0, "keepNumDims": False,
               "asymmetricQuantizeInputs": False}
    tensors = [x, filt, bias_tensor(rng, x.quant.scale[0], scales, n_out), y]
    return single(tensors, "FULLY_CONNECTED", [0, 1, 2], [3], options, "FullyConnectedOptions", version=4)


@pytest.mark.parametrize("kind", ["CONV_2D", "DEPTHWISE_CONV_2D"])
def test_conv_with_filter_scales_of_either_sign(kind):
    assert check_cases(conv_case(kind == "DEPTHWISE_CONV_2D"), {"CONV_2D": 11, "DEPTHWISE_CONV_2D": 12}[kind],
                       CASES) == CASES


def test_fully_connected_with_filter_scales_of_either_sign():
    # more inputs than the convs: few outputs each, and the signs matter only at rounding ties
    assert check_cases(fully_connected_case, 13, CASES, count=24) == CASES


def test_negative_channels_run_negated_on_the_fast_kernels_unless_a_weight_is_minus_128():
    rng = np.random.default_rng(5)
    x = act((1, 4, 4, 2), rng)
    filt = Tensor("w", (2, 1, 1, 2), "int8", quant([0.01, -0.02]), np.array([[[[3, -4]]], [[[5, 6]]]], np.int8))
    tensors = [x, filt, bias_tensor(rng, 0.01, np.array([0.01, 0.02], np.float32), 2), act((1, 4, 4, 2), rng, "y")]
    options = {"padding": 0, "strideW": 1, "strideH": 1, "dilationWFactor": 1, "dilationHFactor": 1,
               "fusedActivationFunction": 0}
    graph = single(tensors, "CONV_2D", [0, 1, 2], [3], options, "Conv2DOptions", version=3)
    assert negated_channels(graph, graph.ops[0]).tolist() == [False, True]
    graph.tensors[1].data[1, 0, 0, 0] = -128
    assert negated_channels(graph, graph.ops[0]) is None
    assert check_graphs([graph], count=8) == 1  # the reference kernel, not the 1x1 fast one


def test_zero_point_outside_int8_is_refused_by_ops_not_verified_with_it():
    rng = np.random.default_rng(6)
    x, b = act((1, 8), rng, quant=quant(0.1, 200)), act((1, 8), rng, "b", quant(0.1, 200))
    graph = single([x, b, Tensor("y", (1, 8), "bool", None)], "EQUAL", [0, 1], [2])
    assert_refused(graph, r"op EQUAL at index 0: tensor 0 \(x\) has zero point 200 outside \[-128, 127\] of int8")


def test_fully_connected_negative_per_tensor_scale_is_refused_as_tflm_does():
    rng = np.random.default_rng(3)
    graph = fully_connected_case(rng)
    graph.tensors[1].quant = quant([-0.01])
    assert_refused(graph, "negative per-tensor weight scale")


@pytest.mark.e2e
@needs_arm
def test_arm_dsp_and_portable_paths_are_bit_exact_on_mixed_sign_scales(tmp_path):
    """The Cortex-M4 build (Arm DSP fast kernels, and -DMR_PORTABLE) in QEMU on a few mixed-sign models merged
    to one, against TFLM."""
    rng = np.random.default_rng(21)
    graphs = [make(rng) for make in (conv_case(False), conv_case(False), conv_case(True), conv_case(True),
                                     fully_connected_case, fully_connected_case)]
    assert_bit_exact_on_cortex_m4(merge(graphs), rng, tmp_path)


def with_mixed_signs(data: bytes, seed: int) -> bytes:
    """The model with the filter scale and the weights of random output channels of every conv and per-channel
    FC negated: the same real-valued network, quantized as the MCUNet paper's released models are (mixed signs)."""
    graph = load_tflite(data)
    rng = np.random.default_rng(seed)
    for op in graph.ops:
        w = graph.tensors[op.inputs[1]] if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") else None
        if w is None or w.quant.scale.size == 1:
            continue
        flip = rng.random(w.quant.scale.size) < 0.5
        axis = 3 if op.kind == "DEPTHWISE_CONV_2D" else 0
        sign = np.where(flip, -1, 1).reshape([-1 if k == axis else 1 for k in range(w.data.ndim)])
        w.data = (w.data.astype(np.int16) * sign).astype(np.int8)
        w.quant = Quantization(w.quant.scale * np.where(flip, -1, 1).astype(np.float32), w.quant.zero_point,
                               w.quant.axis)
    return save_tflite(graph)


MIXED_MODELS = [os.path.join(BUILT_MODELS, f"{stem}_imagenet.int8.tflite")
                for stem in ("mcunet-10fps", "mcunet-320kb-1mb")]


@pytest.mark.e2e
@pytest.mark.parametrize("path", MIXED_MODELS, ids=[os.path.basename(p).split("_")[0] for p in MIXED_MODELS])
def test_built_imagenet_models_with_mixed_sign_scales_are_bit_exact(path, tmp_path):
    """Whole MCUNet models (in-place depthwise rings, convs fused with their ADD, in-place 1x1) with mixed-sign
    per-channel scales: SSE2 and portable paths on the host against TFLM."""
    data = with_mixed_signs(read_model(path), seed=4)
    graph = load_tflite(data)
    assert any((t.quant is not None and t.data is not None and (t.quant.scale < 0).any()) for t in graph.tensors)
    sets = random_inputs(graph, 3, seed=2)
    expected = run_tflm(data, sets, len(graph.outputs))
    gen = generate(data, "model")
    for label, flags in (("sse2", ()), ("portable", ("-DMR_PORTABLE",))):
        host = HostModel(gen, work_dir=str(tmp_path / label), cflags=HOST_CFLAGS + flags)
        for arrays, want in zip(sets, expected):
            assert [o.tobytes() for o in host.invoke(arrays)] == [w.tobytes() for w in want], label


@pytest.mark.e2e
@needs_arm
def test_built_model_with_mixed_sign_scales_is_bit_exact_on_the_arm_dsp_path(tmp_path):
    data = with_mixed_signs(read_model(MIXED_MODELS[0]), seed=4)
    graph = load_tflite(data)
    sets = random_inputs(graph, 2, seed=2)
    expected = [b"".join(o.tobytes() for o in outs) for outs in run_tflm(data, sets, len(graph.outputs))]
    generate(data, "model", target="cortex-m").write(str(tmp_path / "src"))
    build = target_cortexm.build(tmp_path / "src", "model", target="cortex-m4", opt="-O2",
                                 inputs=[b"".join(a.tobytes() for a in s) for s in sets], out_dir=tmp_path / "dsp")
    assert target_cortexm.run(build, count_instructions=False).outputs == expected


def test_quantize_multiplier_keeps_the_sign_as_tflm():
    """QuantizeMultiplier: frexp and rounding keep the sign; only q_fixed == +2^31 is halved (shift + 1), so a
    factor just above -1 gives -2^31, which the fast kernels cannot negate (the reference kernel takes it)."""
    assert quantize_multiplier(-0.75) == (-1610612736, 0)
    assert quantize_multiplier(0.75) == (1610612736, 0)
    assert quantize_multiplier(1 - 2 ** -34) == (1 << 30, 1)
    assert quantize_multiplier(-(1 - 2 ** -34)) == (-(1 << 31), 0)
    assert quantize_multiplier(-3e-12) == (0, 0)  # shift < -31: flushed to zero


def test_fully_connected_per_tensor_scale_product_is_double_as_tflm():
    """TFLM's per-tensor FULLY_CONNECTED multiplier (GetQuantizedConvolutionMultipler) takes input scale x filter
    scale in double, not float32 as BATCH_MATMUL does: on scales where the two multipliers differ and accumulators
    (the biases, input 0) where their outputs do, the wheel gives the double ones, and so do we."""
    s_in, s_w, s_out = np.float32(0.02936667), np.float32(0.0010495392), np.float32(32.84352)
    double = quantize_multiplier(float(s_in) * float(s_w) / float(s_out))
    single_precision = quantize_multiplier(float(np.float32(s_in * s_w)) / float(s_out))
    assert double != single_precision
    accs = [4795223, 5860828, 10123249, 11188854, 12254459, 14385670, 15451275, 16516880]
    want = [multiply_by_quantized_multiplier(a, *double) for a in accs]
    assert want != [multiply_by_quantized_multiplier(a, *single_precision) for a in accs]
    n = len(accs)
    tensors = [Tensor("x", (1, 1), "int8", quant(s_in)),
               Tensor("w", (n, 1), "int8", quant(s_w), np.ones((n, 1), np.int8)),
               Tensor("b", (n,), "int32", quant(float(s_in) * float(s_w)), np.asarray(accs, np.int32)),
               Tensor("y", (1, n), "int8", quant(s_out))]
    options = {"fusedActivationFunction": 0, "weightsFormat": 0, "keepNumDims": False,
               "asymmetricQuantizeInputs": False}
    model = save_tflite(single(tensors, "FULLY_CONNECTED", [0, 1, 2], [3], options, "FullyConnectedOptions", version=4))
    x = [np.zeros((1, 1), np.int8)]
    (tflm,), = run_tflm(model, [x], 1)
    assert tflm.reshape(-1).tolist() == want
    for flags in ((), ("-DMR_PORTABLE",)):
        assert HostModel(generate(model, "op"), cflags=HOST_CFLAGS + flags).invoke(x)[0].reshape(-1).tolist() == want


def moved(kind, zero_point):
    """A data-movement (or reducing) `kind` op, or DEQUANTIZE, on fixed small shapes, every int8 tensor's zero point
    `zero_point`."""
    def t(shape, name):
        return Tensor(name, shape, "int8", quant(0.05, zero_point))

    def c(values):
        return Tensor("c", np.shape(values), "int32", None, np.asarray(values, np.int32))
    cases = {
        "DEQUANTIZE": ([t((2, 5), "x"), Tensor("y", (2, 5), "float32", None)], {}, None),
        "TRANSPOSE": ([t((2, 3, 4), "x"), c([2, 0, 1]), t((4, 2, 3), "y")], {}, None),
        "SLICE": ([t((3, 4, 5), "x"), c([1, 0, 2]), c([2, 3, 2]), t((2, 3, 2), "y")], {}, None),
        "STRIDED_SLICE": ([t((4, 6), "x"), c([0, 1]), c([4, 6]), c([2, 2]), t((2, 3), "y")],
                          {"beginMask": 0, "endMask": 0}, "StridedSliceOptions"),
        "GATHER": ([t((5, 3), "x"), c([4, 0, 2]), t((3, 3), "y")], {"axis": 0, "batchDims": 0}, "GatherOptions"),
        "RESIZE_NEAREST_NEIGHBOR": ([t((1, 2, 3, 2), "x"), c([4, 6]), t((1, 4, 6, 2), "y")],
                                    {"alignCorners": False, "halfPixelCenters": False},
                                    "ResizeNearestNeighborOptions"),
        "DEPTH_TO_SPACE": ([t((1, 2, 2, 8), "x"), t((1, 4, 4, 2), "y")], {"blockSize": 2}, "DepthToSpaceOptions"),
        "SPACE_TO_DEPTH": ([t((1, 4, 4, 2), "x"), t((1, 2, 2, 8), "y")], {"blockSize": 2}, "SpaceToDepthOptions"),
        "SQUEEZE": ([t((1, 3, 1, 4), "x"), t((3, 4), "y")], {"squeezeDims": [0, 2]}, "SqueezeOptions"),
        "EXPAND_DIMS": ([t((3, 4), "x"), c([1]), t((3, 1, 4), "y")], {}, None),
        "PACK": ([t((2, 3), "x"), t((2, 3), "b"), t((2, 2, 3), "y")], {"valuesCount": 2, "axis": 0}, "PackOptions"),
        "REDUCE_MAX": ([t((2, 3, 4), "x"), c([1]), t((2, 4), "y")], {"keepDims": False}, "ReducerOptions"),
        "ARG_MAX": ([t((2, 5), "x"), c([1]), Tensor("y", (2,), "int32", None)], {"outputType": 2}, "ArgMaxOptions"),
        "MIRROR_PAD": ([t((1, 3, 3, 2), "x"), c([[0, 0], [1, 1], [1, 1], [0, 0]]), t((1, 5, 5, 2), "y")],
                       {"mode": 0}, "MirrorPadOptions"),
        "SPACE_TO_BATCH_ND": ([t((1, 4, 4, 2), "x"), c([2, 2]), c([[1, 1], [1, 1]]), t((4, 3, 3, 2), "y")], {}, None),
        "BATCH_TO_SPACE_ND": ([t((4, 2, 2, 2), "x"), c([2, 2]), c([[0, 0], [0, 0]]), t((1, 4, 4, 2), "y")], {}, None),
        "SPLIT": ([c([1]), t((2, 6), "x"), t((2, 3), "y"), t((2, 3), "z")], {"numSplits": 2}, "SplitOptions"),
        "UNPACK": ([t((2, 3), "x"), t((3,), "y"), t((3,), "z")], {"num": 2, "axis": 0}, "UnpackOptions"),
        "REDUCE_MIN": ([t((2, 3, 4), "x"), c([1]), t((2, 4), "y")], {"keepDims": False}, "ReducerOptions"),
        "SUM": ([t((2, 3, 4), "x"), c([1]), t((2, 4), "y")], {"keepDims": False}, "ReducerOptions"),
        "ARG_MIN": ([t((2, 5), "x"), c([1]), Tensor("y", (2,), "int32", None)], {"outputType": 2}, "ArgMinOptions"),
        "RESIZE_BILINEAR": ([t((1, 2, 3, 2), "x"), c([4, 6]), t((1, 4, 6, 2), "y")],
                            {"alignCorners": False, "halfPixelCenters": True}, "ResizeBilinearOptions"),
        "LOG_SOFTMAX": ([t((2, 5), "x"), Tensor("y", (2, 5), "int8", quant(16 / 256, 127))], {}, None),
        "L2_NORMALIZATION": ([t((2, 5), "x"), Tensor("y", (2, 5), "int8", quant(1 / 128, 0))],
                             {"fusedActivationFunction": 0}, "L2NormOptions"),
        "DIV": ([t((2, 5), "x"), t((2, 5), "b"), t((2, 5), "y")], {"fusedActivationFunction": 0}, "DivOptions")}
    tensors, options, options_type = cases[kind]
    n = len(tensors) - (2 if kind in ("SPLIT", "UNPACK") else 1)  # their two outputs last
    return single(tensors, kind, list(range(n)), list(range(n, len(tensors))), options, options_type, version=3)


MOVED_KINDS = ("DEQUANTIZE", "TRANSPOSE", "SLICE", "STRIDED_SLICE", "GATHER", "RESIZE_NEAREST_NEIGHBOR",
               "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "SQUEEZE", "EXPAND_DIMS", "PACK", "REDUCE_MAX", "ARG_MAX",
               "MIRROR_PAD", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "SPLIT", "UNPACK", "REDUCE_MIN", "SUM",
               "ARG_MIN", "RESIZE_BILINEAR", "LOG_SOFTMAX", "L2_NORMALIZATION", "DIV")


def wide_case(kind):
    """A single `kind` op whose int8 activations have zero points outside int8's range (equal on both sides where
    TFLM wants them equal), small shapes, random fused activations (their ranges then empty or wrapped)."""
    def make(rng):
        zero_point = int(rng.choice([-1, 1]) * rng.integers(129, 2000))
        if kind in MOVED_KINDS:
            return moved(kind, zero_point)
        same = kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "CONCATENATION", "RESHAPE")
        z_out = zero_point if same else int(rng.integers(-2000, 2000))
        s = float(rng.uniform(0.01, 0.1))
        shape = tuple(int(v) for v in (1, *rng.integers(1, 6, 3)))
        x = act(shape, rng, "x", quant(s, zero_point))
        if kind in ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"):
            other = act(shape, rng, "b", quant(float(rng.uniform(0.01, 0.1)), int(rng.integers(-300, 300))))
            y = act(shape, rng, "y", quant(s if kind in ("MAXIMUM", "MINIMUM") else 2 * s, z_out))
            options_type = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}.get(kind)
            options = {"fusedActivationFunction": int(rng.choice(ACTIVATIONS))} if options_type else {}
            return single([x, other, y], kind, [0, 1], [2], options, options_type, version=2)
        if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            out = (1, -(-shape[1] // 2), -(-shape[2] // 2), shape[3])
            options = {"padding": 0, "strideW": 2, "strideH": 2, "filterWidth": 2, "filterHeight": 2,
                       "fusedActivationFunction": int(rng.choice(ACTIVATIONS))}
            return single([x, act(out, rng, "y", quant(s, z_out))], kind, [0], [1], options, "Pool2DOptions", version=2)
        if kind == "MEAN":
            axes = Tensor("axes", (2,), "int32", None, np.array([1, 2], np.int32))
            y = act((1, shape[3]), rng, "y", quant(s * rng.uniform(0.5, 2), z_out))
            return single([x, axes, y], kind, [0, 1], [2], {"keepDims": False}, "ReducerOptions", version=2)
        if kind == "CONCATENATION":
            y = act((*shape[:3], 2 * shape[3]), rng, "y", quant(s, z_out))
            return single([x, act(shape, rng, "b", quant(s, zero_point)), y], kind, [0, 1], [2],
                          {"axis": 3, "fusedActivationFunction": 0}, "ConcatenationOptions", version=2)
        if kind in ("SOFTMAX", "LOGISTIC", "TANH"):  # TFLM fixes their output quantization
            y = act(shape, rng, "y", quant(1 / 128, 0) if kind == "TANH" else quant(1 / 256, -128))
            options = ({"beta": float(rng.uniform(0.5, 2))}, "SoftmaxOptions") if kind == "SOFTMAX" else ({}, None)
            return single([x, y], kind, [0], [1], *options, version=2)
        if kind in ("HARD_SWISH", "LEAKY_RELU", "QUANTIZE", "ABS", "RELU", "RELU6"):
            y = act(shape, rng, "y", quant(float(rng.uniform(0.01, 0.1)), z_out))
            options = ({"alpha": float(rng.uniform(0.05, 0.5))}, "LeakyReluOptions") if kind == "LEAKY_RELU" \
                else ({}, None)
            return single([x, y], kind, [0], [1], *options, version=2)
        size = Tensor("s", (2,), "int32", None, np.array([1, int(np.prod(shape))], np.int32))
        return single([x, size, act((1, int(np.prod(shape))), rng, "y", quant(s, z_out))], "RESHAPE", [0, 1], [2])
    return make


WIDE_KINDS = ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D", "CONCATENATION",
              "RESHAPE", "SOFTMAX", "LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "QUANTIZE", "ABS", "RELU", "RELU6",
              *MOVED_KINDS)


@pytest.mark.parametrize("kind", WIDE_KINDS)
def test_zero_points_outside_int8_on_ops_tflm_runs_with_them(kind):
    assert check_cases(wide_case(kind), seed=31, n=3, count=3) == 3


@pytest.mark.e2e
@needs_arm
def test_zero_points_outside_int8_are_bit_exact_on_the_arm_dsp_path(tmp_path):
    rng = np.random.default_rng(32)
    assert_bit_exact_on_cortex_m4(merge([wide_case(kind)(rng) for kind in WIDE_KINDS for _ in range(2)]), rng,
                                  tmp_path)


@pytest.mark.parametrize("kind", ["PAD", "SQUARED_DIFFERENCE"])
def test_zero_points_outside_int8_are_refused_where_tflm_refuses_them(kind):
    rng = np.random.default_rng(33)
    x, y = act((1, 2, 2, 2), rng, quant=quant(0.1, 200)), act((1, 2, 2, 2), rng, "y", quant(0.1, 200))
    if kind == "PAD":
        pads = Tensor("p", (4, 2), "int32", None, np.zeros((4, 2), np.int32))
        graph = single([x, pads, y], "PAD", [0, 1], [2], version=2)
    else:
        graph = single([x, act((1, 2, 2, 2), rng, "b"), y], kind, [0, 1], [2], version=2)
    with pytest.raises(ModelError, match="TFLM refuses"):
        run_tflm(save_tflite(graph), [random_arrays(graph, rng)], 1)
    assert_refused(graph, rf"op {kind} at index 0: .* zero point 200 outside \[-128, 127\] of int8 \(TFLM refuses it")


def test_conv_with_an_add_of_wide_zero_points_is_not_fused_and_bit_exact():
    """CONV_2D then ADD whose skip input and output have zero points outside int8: the ADD stays an op of its own
    (the fused kernel's offsets are int8's); the model as the wheel runs it."""
    rng = np.random.default_rng(34)
    conv = conv_case(False)(rng)
    x, c = conv.tensors[0], conv.tensors[3]
    c.quant = quant(c.quant.scale, 5)
    skip, y = act(c.shape, rng, "skip", quant(0.05, 300)), act(c.shape, rng, "z", quant(0.1, -400))
    add = Op("ADD", [3, 4], [5], {"fusedActivationFunction": 0}, "AddOptions", version=2)
    graph = Graph(conv.tensors + [skip, y], conv.ops + [add], [0, 4], [5])
    assert x.data is None and "conv_add" not in generate(save_tflite(graph), "op").files["op.c"]
    assert check_graphs([graph], count=4) == 1
