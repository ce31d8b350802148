"""Golden vectors for the C int8 kernels, taken from TF Lite Micro itself.

For every op family this builds many small single-op float models (tf_keras
layers or tf.function), converts them with the real TFLite converter (full int8
post-training quantization with a representative dataset), isolates the op of
interest into a one-operator flatbuffer (tensor quantization and options exactly
as the converter wrote them; a few cases then edit options or quantization to
reach kernel paths the converter does not emit on its own), runs it in the
`tflite-micro` wheel on random inputs, and writes micro_runtime/golden/
<family>_golden.h: the kernel arguments (derived with micro_runtime/quant.py,
never read back from TFLM), the inputs, and TFLM's output bytes.

    .venv/bin/python micro_runtime/golden/make_golden.py [--only conv,add]

Deterministic: fixed numpy / TF seeds. Takes a few minutes (one conversion per case).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as K  # noqa: E402
from tensorflow.lite.python import schema_py_generated as schema  # noqa: E402
from tflite_micro.python.tflite_micro import runtime  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("mr_quant", os.path.join(HERE, os.pardir, "quant.py"))
quant = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quant)

BO = schema.BuiltinOperator
ACTIVATION_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH"}
TFL_DTYPES = {schema.TensorType.INT8: np.int8, schema.TensorType.UINT8: np.uint8,
              schema.TensorType.INT32: np.int32, schema.TensorType.FLOAT32: np.float32,
              schema.TensorType.INT64: np.int64}


# ----------------------------------------------------------------- conversion

def convert(model_or_fn, input_shapes: Sequence[Sequence[int]], rng: np.random.Generator,
            io_type=tf.int8, rep_scale: float = 1.0, per_tensor: bool = False) -> bytes:
    """Full-int8 PTQ of a tf_keras model or a tf.function with fixed input shapes.
    per_tensor=True asks the converter for per-tensor conv / dense weights."""
    def representative():
        for _ in range(24):
            yield [(rng.standard_normal(s) * rep_scale).astype(np.float32) for s in input_shapes]

    if isinstance(model_or_fn, K.Model):
        converter = tf.lite.TFLiteConverter.from_keras_model(model_or_fn)
    else:
        specs = [tf.TensorSpec(s, tf.float32) for s in input_shapes]
        concrete = tf.function(model_or_fn).get_concrete_function(*specs)
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = io_type
    converter.inference_output_type = io_type
    if per_tensor:
        converter._experimental_disable_per_channel = True
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return converter.convert()


def keras_model(layer_fn: Callable, input_shape: Sequence[int]) -> K.Model:
    inp = K.Input(tuple(input_shape[1:]), batch_size=input_shape[0])
    return K.Model(inp, layer_fn(inp))


def op_code(model: "schema.ModelT", op) -> int:
    oc = model.operatorCodes[op.opcodeIndex]
    return max(oc.builtinCode, oc.deprecatedBuiltinCode)


def is_constant(model, tensor_index: int) -> bool:
    buf = model.buffers[model.subgraphs[0].tensors[tensor_index].buffer]
    return buf.data is not None and len(buf.data) > 0


def isolate(data: bytes, code: int, occurrence: int = 0):
    """ModelT with only the `occurrence`-th operator of builtin `code`; its
    non-constant inputs and its outputs become the graph's I/O."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    sg = model.subgraphs[0]
    ops = [op for op in sg.operators if op_code(model, op) == code]
    if len(ops) <= occurrence:
        names = [op_code(model, op) for op in sg.operators]
        raise LookupError(f"op {code} not found (ops: {names})")
    op = ops[occurrence]
    sg.operators = [op]
    sg.inputs = [int(t) for t in op.inputs if t >= 0 and not is_constant(model, int(t))]
    sg.outputs = [int(t) for t in op.outputs]
    model.signatureDefs = []
    return model, op


def pack(model) -> bytes:
    builder = __import__("flatbuffers").Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def tensor(model, index: int) -> Dict:
    t = model.subgraphs[0].tensors[index]
    q = t.quantization
    dtype = TFL_DTYPES[t.type]
    info = dict(shape=[int(d) for d in t.shape], dtype=dtype,
                scales=[float(s) for s in (q.scale if q is not None and q.scale is not None else [])],
                zero_points=[int(z) for z in (q.zeroPoint if q is not None and q.zeroPoint is not None else [])])
    info["scale"] = info["scales"][0] if info["scales"] else 0.0
    info["zp"] = info["zero_points"][0] if info["zero_points"] else 0
    if is_constant(model, index):
        info["data"] = np.frombuffer(bytes(bytearray(model.buffers[t.buffer].data)), dtype=dtype).reshape(info["shape"])
    return info


def random_input(info: Dict, rng: np.random.Generator) -> np.ndarray:
    dtype = info["dtype"]
    if dtype == np.float32:
        return (rng.standard_normal(info["shape"]) * 2.0).astype(np.float32)
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    return rng.integers(lo, hi + 1, size=info["shape"], dtype=np.int64).astype(dtype)


def run_tflm(model, inputs: Sequence[np.ndarray]) -> np.ndarray:
    interpreter = runtime.Interpreter.from_bytes(pack(model), arena_size=1 << 20)
    for i, arr in enumerate(inputs):
        interpreter.set_input(arr, i)
    interpreter.invoke()
    return np.array(interpreter.get_output(0))


def run_isolated(model, op, rng) -> Tuple[List[np.ndarray], np.ndarray]:
    graph_inputs = model.subgraphs[0].inputs
    arrays = [random_input(tensor(model, t), rng) for t in graph_inputs]
    return arrays, run_tflm(model, arrays)


def op_inputs(model, op) -> List[Dict]:
    """Tensor infos of the op's inputs in order; non-constant ones get their
    position among the graph inputs as 'graph_input'."""
    graph_inputs = list(model.subgraphs[0].inputs)
    out = []
    for t in op.inputs:
        if t < 0:
            out.append(None)
            continue
        info = tensor(model, int(t))
        if int(t) in graph_inputs:
            info["graph_input"] = graph_inputs.index(int(t))
        out.append(info)
    return out


def activation(op) -> str:
    return ACTIVATION_NAMES[op.builtinOptions.fusedActivationFunction]


def padding_name(op) -> str:
    return "SAME" if op.builtinOptions.padding == schema.Padding.SAME else "VALID"


# ------------------------------------------------------------------ families

def conv_cases(rng) -> List[Dict]:
    configs = [
        # (h, w, in_c, out_c, k, stride, padding, act, dilation)
        (8, 8, 3, 5, 3, 1, "same", None, 1), (8, 8, 3, 5, 3, 2, "same", "relu", 1),
        (9, 7, 4, 6, 3, 2, "valid", "relu6", 1), (7, 9, 5, 3, 5, 1, "same", None, 1),
        (10, 10, 2, 4, 5, 2, "same", "relu6", 1), (11, 11, 3, 4, 7, 2, "same", "relu", 1),
        (9, 9, 1, 3, 7, 1, "valid", None, 1), (6, 6, 8, 8, 1, 1, "valid", None, 1),
        (5, 7, 7, 9, 1, 1, "same", "relu6", 1), (6, 5, 16, 4, 1, 1, "valid", "relu", 1),
        (8, 8, 6, 3, 1, 2, "valid", None, 1), (7, 7, 3, 3, 3, 1, "valid", "relu6", 1),
        (12, 12, 3, 8, 3, 2, "same", "relu6", 1), (5, 5, 9, 7, 3, 2, "same", None, 1),
        (6, 9, 4, 5, 5, 2, "valid", "relu", 1), (9, 9, 3, 4, 3, 1, "same", None, 2),
        (4, 4, 11, 13, 3, 1, "same", "relu", 1), (1, 1, 24, 10, 1, 1, "valid", None, 1),
        (13, 5, 2, 3, 3, 2, "same", "relu6", 1), (8, 8, 5, 2, 7, 1, "same", None, 1),
    ]
    cases = []
    for i, (h, w, cin, cout, k, s, pad, act, dil) in enumerate(configs):
        layer = lambda x, cout=cout, k=k, s=s, pad=pad, act=act, dil=dil: K.layers.Conv2D(
            cout, k, strides=s, padding=pad, activation=act, dilation_rate=dil,
            bias_initializer=K.initializers.RandomNormal(stddev=0.3))(x)
        scale = [0.5, 1.0, 3.0][i % 3]
        per_tensor = i % 4 == 3
        data = convert(keras_model(layer, (1, h, w, cin)), [(1, h, w, cin)], rng, rep_scale=scale,
                       per_tensor=per_tensor)
        model, op = isolate(data, BO.CONV_2D)
        x, flt, bias = op_inputs(model, op)
        out = tensor(model, int(op.outputs[0]))
        opts = op.builtinOptions
        arrays, expected = run_isolated(model, op, rng)
        _, oh, ow, oc = out["shape"]
        oh2, pt, _ = quant.compute_padding(h, k, opts.strideH, padding_name(op), opts.dilationHFactor)
        ow2, pl, _ = quant.compute_padding(w, k, opts.strideW, padding_name(op), opts.dilationWFactor)
        assert (oh2, ow2) == (oh, ow)
        mults, shifts = quant.conv_output_multipliers(x["scale"], flt["scales"], out["scale"], oc)
        act_min, act_max = quant.activation_range(activation(op), out["scale"], out["zp"])
        cases.append(dict(
            name=f"conv{i}_{h}x{w}x{cin}_k{k}s{s}d{dil}_{pad}_{act or 'none'}{'_pt' if len(flt['scales']) == 1 else ''}",
            in_h=h, in_w=w, in_c=cin, out_c=oc, k_h=k, k_w=k, stride_h=opts.strideH, stride_w=opts.strideW,
            dilation_h=opts.dilationHFactor, dilation_w=opts.dilationWFactor, pad_top=pt, pad_left=pl,
            out_h=oh, out_w=ow, in_offset=-x["zp"], out_offset=out["zp"], act_min=act_min, act_max=act_max,
            input=arrays[0], filter=flt["data"], bias=None if bias is None else bias["data"],
            out_mult=np.array(mults, np.int32), out_shift=np.array(shifts, np.int32), expected=expected))
    return cases


def depthwise_cases(rng) -> List[Dict]:
    configs = [
        # (h, w, c, depth_mult, k, stride, padding, act)
        (8, 8, 3, 1, 3, 1, "same", "relu6"), (8, 8, 5, 1, 3, 2, "same", None),
        (9, 9, 4, 2, 3, 1, "valid", "relu"), (7, 9, 7, 1, 5, 1, "same", "relu6"),
        (10, 10, 3, 1, 5, 2, "same", None), (11, 11, 2, 2, 7, 2, "same", "relu6"),
        (9, 7, 6, 1, 7, 1, "same", "relu"), (6, 6, 9, 1, 3, 2, "valid", None),
        (5, 5, 1, 2, 3, 1, "same", None), (12, 12, 8, 1, 3, 2, "same", "relu6"),
        (7, 7, 5, 2, 5, 2, "valid", "relu6"), (6, 8, 11, 1, 1, 1, "valid", None),
        (13, 13, 4, 1, 7, 2, "same", None), (8, 6, 3, 1, 3, 1, "valid", "relu"),
        (4, 4, 16, 1, 3, 1, "same", "relu6"), (9, 9, 3, 2, 5, 1, "same", None),
    ]
    cases = []
    for i, (h, w, c, dm, k, s, pad, act) in enumerate(configs):
        layer = lambda x, dm=dm, k=k, s=s, pad=pad, act=act: K.layers.DepthwiseConv2D(
            k, strides=s, padding=pad, depth_multiplier=dm, activation=act,
            depthwise_initializer=K.initializers.RandomNormal(stddev=0.4),
            bias_initializer=K.initializers.RandomNormal(stddev=0.3))(x)
        scale = [0.5, 1.0, 3.0][i % 3]
        per_tensor = i % 5 == 4
        data = convert(keras_model(layer, (1, h, w, c)), [(1, h, w, c)], rng, rep_scale=scale,
                       per_tensor=per_tensor)
        model, op = isolate(data, BO.DEPTHWISE_CONV_2D)
        x, flt, bias = op_inputs(model, op)
        out = tensor(model, int(op.outputs[0]))
        opts = op.builtinOptions
        arrays, expected = run_isolated(model, op, rng)
        _, oh, ow, oc = out["shape"]
        oh2, pt, _ = quant.compute_padding(h, k, opts.strideH, padding_name(op), opts.dilationHFactor)
        ow2, pl, _ = quant.compute_padding(w, k, opts.strideW, padding_name(op), opts.dilationWFactor)
        assert (oh2, ow2) == (oh, ow) and oc == c * dm and opts.depthMultiplier in (dm, 0, 1)
        mults, shifts = quant.conv_output_multipliers(x["scale"], flt["scales"], out["scale"], oc)
        act_min, act_max = quant.activation_range(activation(op), out["scale"], out["zp"])
        cases.append(dict(
            name=f"dw{i}_{h}x{w}x{c}_m{dm}_k{k}s{s}_{pad}_{act or 'none'}{'_pt' if len(flt['scales']) == 1 else ''}",
            in_h=h, in_w=w, in_c=c, depth_mult=dm, k_h=k, k_w=k, stride_h=opts.strideH,
            stride_w=opts.strideW, pad_top=pt, pad_left=pl, out_h=oh, out_w=ow, in_offset=-x["zp"],
            out_offset=out["zp"], act_min=act_min, act_max=act_max, input=arrays[0], filter=flt["data"],
            bias=None if bias is None else bias["data"], out_mult=np.array(mults, np.int32),
            out_shift=np.array(shifts, np.int32), expected=expected))
    return cases


def fully_connected_cases(rng) -> List[Dict]:
    configs = [(1, 16, 10, None), (1, 33, 7, "relu"), (3, 12, 5, None), (1, 64, 12, "relu6"),
               (2, 9, 9, "relu"), (1, 5, 21, None), (4, 20, 3, "relu6"), (1, 1, 4, None)]
    cases = []
    for i, (batches, in_n, out_n, act) in enumerate(configs):
        layer = lambda x, out_n=out_n, act=act: K.layers.Dense(
            out_n, activation=act, bias_initializer=K.initializers.RandomNormal(stddev=0.3))(x)
        data = convert(keras_model(layer, (batches, in_n)), [(batches, in_n)], rng, rep_scale=[0.5, 2.0][i % 2],
                       per_tensor=i % 2 == 1)
        model, op = isolate(data, BO.FULLY_CONNECTED)
        x, flt, bias = op_inputs(model, op)[:3] + [None] * max(0, 3 - len(op.inputs))
        out = tensor(model, int(op.outputs[0]))
        arrays, expected = run_isolated(model, op, rng)
        per_channel = len(flt["scales"]) > 1
        mults, shifts = quant.conv_output_multipliers(x["scale"], flt["scales"], out["scale"], out_n)
        act_min, act_max = quant.activation_range(activation(op), out["scale"], out["zp"])
        cases.append(dict(
            name=f"fc{i}_b{batches}_{in_n}to{out_n}_{act or 'none'}{'_pc' if per_channel else ''}",
            batches=batches, in_n=in_n, out_n=out_n, per_channel=int(per_channel), in_offset=-x["zp"],
            filter_offset=-flt["zp"], out_offset=out["zp"], act_min=act_min, act_max=act_max,
            input=arrays[0], filter=flt["data"], bias=None if bias is None else bias["data"],
            out_mult=np.array(mults, np.int32), out_shift=np.array(shifts, np.int32), expected=expected))
    return cases


def _shape4(shape: Sequence[int]) -> np.ndarray:
    return np.array([1] * (4 - len(shape)) + list(shape), np.int32)


def _binary_cases(rng, code: int, fn_of: Callable, prefix: str, params_fn: Callable) -> List[Dict]:
    configs = [
        ((1, 5, 5, 3), (1, 5, 5, 3), None), ((1, 6, 4, 7), (1, 6, 4, 7), "relu"),
        ((1, 4, 4, 5), (1, 1, 1, 5), None), ((1, 3, 5, 4), (1, 3, 5, 1), "relu6"),
        ((1, 1, 1, 6), (1, 4, 3, 6), None), ((1, 5, 1, 3), (1, 1, 4, 3), "relu"),
        ((2, 3, 3, 2), (2, 3, 3, 2), None), ((1, 7, 7, 1), (1, 7, 7, 1), "relu6"),
        ((1, 2, 6, 9), (1, 2, 1, 1), None), ((1, 8, 8, 4), (1, 8, 8, 4), None),
    ]
    cases = []
    for i, (s1, s2, act) in enumerate(configs):
        scale2 = [0.3, 1.0, 4.0][i % 3]

        def fn(a, b, act=act, scale2=scale2):
            y = fn_of(a, b * scale2)
            return {None: y, "relu": tf.nn.relu(y), "relu6": tf.nn.relu6(y)}[act]
        data = convert(fn, [s1, s2], rng, rep_scale=1.5)
        for occurrence in range(8):  # every ADD/MUL the converter emitted (some with a constant operand)
            try:
                model, op = isolate(data, code, occurrence)
            except LookupError:
                break
            in1, in2 = op_inputs(model, op)
            out = tensor(model, int(op.outputs[0]))
            arrays, expected = run_isolated(model, op, rng)
            a1 = in1["data"] if "data" in in1 else arrays[in1["graph_input"]]
            a2 = in2["data"] if "data" in in2 else arrays[in2["graph_input"]]
            act_name = activation(op)
            params = params_fn(in1["scale"], in1["zp"], in2["scale"], in2["zp"], out["scale"], out["zp"], act_name)
            shape_text = ["x".join(map(str, t["shape"])) or "scalar" for t in (in1, in2)]
            cases.append(dict(name=f"{prefix}{i}_{occurrence}_{shape_text[0]}_{shape_text[1]}"
                                   f"{'_const' if ('data' in in1 or 'data' in in2) else ''}_{act_name.lower()}",
                              shape1=_shape4(in1["shape"]), shape2=_shape4(in2["shape"]), **params,
                              input1=a1, input2=a2, expected=expected))
    return cases


def add_cases(rng):
    return _binary_cases(rng, BO.ADD, lambda a, b: a + b, "add", quant.add_params)


def mul_cases(rng):
    return _binary_cases(rng, BO.MUL, lambda a, b: a * b, "mul", quant.mul_params)


def pool_cases(rng) -> List[Dict]:
    configs = [
        ("avg", 8, 8, 3, 2, 2, "valid"), ("avg", 9, 9, 4, 3, 2, "same"), ("avg", 7, 5, 5, 3, 1, "same"),
        ("avg", 6, 6, 2, 6, 6, "valid"), ("avg", 10, 7, 3, 5, 2, "same"), ("avg", 5, 5, 8, 2, 1, "valid"),
        ("max", 8, 8, 3, 2, 2, "valid"), ("max", 9, 9, 4, 3, 2, "same"), ("max", 7, 5, 5, 3, 1, "same"),
        ("max", 6, 6, 2, 6, 6, "valid"), ("max", 10, 7, 3, 5, 2, "same"), ("max", 5, 5, 8, 2, 1, "valid"),
    ]
    cases = []
    for i, (kind, h, w, c, k, s, pad) in enumerate(configs):
        cls = K.layers.AveragePooling2D if kind == "avg" else K.layers.MaxPooling2D
        act = [None, "relu", "relu6"][i % 3]

        def layer(x, cls=cls, k=k, s=s, pad=pad, act=act):
            y = cls(k, strides=s, padding=pad)(x)
            return y if act is None else K.layers.Activation(act)(y)
        data = convert(keras_model(layer, (1, h, w, c)), [(1, h, w, c)], rng, rep_scale=2.0)
        code = BO.AVERAGE_POOL_2D if kind == "avg" else BO.MAX_POOL_2D
        model, op = isolate(data, code)
        x, = op_inputs(model, op)
        out = tensor(model, int(op.outputs[0]))
        opts = op.builtinOptions
        arrays, expected = run_isolated(model, op, rng)
        _, oh, ow, _ = out["shape"]
        oh2, pt, _ = quant.compute_padding(h, opts.filterHeight, opts.strideH, padding_name(op))
        ow2, pl, _ = quant.compute_padding(w, opts.filterWidth, opts.strideW, padding_name(op))
        assert (oh2, ow2) == (oh, ow)
        assert (x["scale"], x["zp"]) == (out["scale"], out["zp"])
        params = quant.avg_pool_params(out["scale"], out["zp"], activation(op))
        cases.append(dict(name=f"{kind}pool{i}_{h}x{w}x{c}_k{k}s{s}_{pad}_{activation(op).lower()}",
                          is_max=int(kind == "max"), in_h=h, in_w=w, c=c, filter_h=opts.filterHeight,
                          filter_w=opts.filterWidth, stride_h=opts.strideH, stride_w=opts.strideW,
                          pad_top=pt, pad_left=pl, out_h=oh, out_w=ow, **params,
                          input=arrays[0], expected=expected))
    return cases


def mean_cases(rng) -> List[Dict]:
    configs = [(1, 4, 4, 3, False, False), (1, 7, 5, 8, True, False), (1, 1, 1, 5, False, False),
               (1, 6, 6, 4, False, True), (1, 9, 3, 7, True, True), (1, 3, 3, 16, False, False)]
    cases = []
    for i, (b, h, w, c, keep, same_quant) in enumerate(configs):
        fn = lambda x, keep=keep: tf.reduce_mean(x, axis=[1, 2], keepdims=keep)
        data = convert(fn, [(b, h, w, c)], rng, rep_scale=[1.0, 3.0][i % 2])
        model, op = isolate(data, BO.MEAN)
        x = op_inputs(model, op)[0]
        out_t = model.subgraphs[0].tensors[op.outputs[0]]
        if same_quant:  # reach TFLM's integer (equal-quantization) path
            out_t.quantization.scale = np.array([x["scale"]], np.float32)
            out_t.quantization.zeroPoint = np.array([x["zp"]], np.int64)
        out = tensor(model, int(op.outputs[0]))
        arrays, expected = run_isolated(model, op, rng)
        params = quant.mean_params(x["scale"], x["zp"], out["scale"], out["zp"])
        cases.append(dict(name=f"mean{i}_{h}x{w}x{c}_{'keep' if keep else 'nokeep'}"
                               f"{'_samequant' if same_quant else ''}",
                          outer=b, reduce=h * w, inner=c, **params, input=arrays[0], expected=expected))
    return cases


def pad_cases(rng) -> List[Dict]:
    configs = [((1, 4, 4, 3), [[0, 0], [1, 1], [1, 1], [0, 0]], None),
               ((1, 5, 3, 2), [[0, 0], [0, 1], [2, 0], [0, 0]], None),
               ((1, 3, 3, 4), [[0, 0], [1, 2], [0, 3], [1, 1]], None),
               ((2, 3, 2, 3), [[1, 0], [0, 0], [1, 1], [0, 0]], None),
               ((1, 4, 5, 3), [[0, 0], [1, 1], [1, 1], [0, 0]], 0.75),
               ((1, 6, 2, 2), [[0, 0], [3, 0], [0, 2], [0, 0]], -1.0)]
    cases = []
    for i, (shape, paddings, value) in enumerate(configs):
        fn = (lambda x, p=paddings: tf.pad(x, p)) if value is None else \
             (lambda x, p=paddings, v=value: tf.pad(x, p, constant_values=v))
        data = convert(fn, [shape], rng)
        code = BO.PAD if value is None else BO.PADV2
        model, op = isolate(data, code)
        ins = op_inputs(model, op)
        out = tensor(model, int(op.outputs[0]))
        arrays, expected = run_isolated(model, op, rng)
        pads = ins[1]["data"].reshape(-1, 2)
        pad_value = out["zp"] if code == BO.PAD else int(ins[2]["data"].reshape(-1)[0])
        assert (ins[0]["scale"], ins[0]["zp"]) == (out["scale"], out["zp"])
        cases.append(dict(name=f"pad{i}_{'x'.join(map(str, shape))}_{'padv2' if value is not None else 'pad'}",
                          in_shape=_shape4(shape),
                          pad_before=np.array([0] * (4 - len(shape)) + list(pads[:, 0]), np.int32),
                          pad_after=np.array([0] * (4 - len(shape)) + list(pads[:, 1]), np.int32),
                          pad_value=pad_value, input=arrays[0], expected=expected))
    return cases


def softmax_cases(rng) -> List[Dict]:
    configs = [((1, 10), 1.0, 1.0), ((3, 7), 1.0, 4.0), ((1, 1, 1, 16), 1.0, 0.5),
               ((2, 5), 0.5, 2.0), ((1, 33), 2.0, 1.0), ((4, 3), 1.0, 8.0), ((1, 2, 2, 6), 1.0, 1.0)]
    cases = []
    for i, (shape, beta, scale) in enumerate(configs):
        data = convert(lambda x: tf.nn.softmax(x), [shape], rng, rep_scale=scale)
        model, op = isolate(data, BO.SOFTMAX)
        op.builtinOptions.beta = beta
        x = op_inputs(model, op)[0]
        out = tensor(model, int(op.outputs[0]))
        arrays, expected = run_isolated(model, op, rng)
        depth = shape[-1]
        params = quant.softmax_params(x["scale"], beta)
        cases.append(dict(name=f"softmax{i}_{'x'.join(map(str, shape))}_beta{beta}",
                          rows=int(np.prod(shape)) // depth, depth=depth, **params,
                          input=arrays[0], expected=expected))
    return cases


def concat_cases(rng) -> List[Dict]:
    configs = [([(1, 4, 4, 3), (1, 4, 4, 5)], 3), ([(1, 3, 5, 2), (1, 2, 5, 2)], 1),
               ([(1, 4, 2, 3), (1, 4, 3, 3), (1, 4, 1, 3)], 2), ([(1, 2, 2, 1), (1, 2, 2, 7), (1, 2, 2, 4)], 3),
               ([(2, 3), (2, 5)], 1), ([(1, 3, 3, 2), (1, 3, 3, 2)], 0)]
    cases = []
    for i, (shapes, axis) in enumerate(configs):
        def fn(*xs, axis=axis):
            return tf.concat([x * (j + 1.0) for j, x in enumerate(xs)], axis=axis)
        data = convert(fn, shapes, rng)
        model, op = isolate(data, BO.CONCATENATION)
        ins = op_inputs(model, op)
        out = tensor(model, int(op.outputs[0]))
        arrays, expected = run_isolated(model, op, rng)
        ax = op.builtinOptions.axis % len(shapes[0])
        in_arrays = [t["data"] if "data" in t else arrays[t["graph_input"]] for t in ins]
        outer = int(np.prod(shapes[0][:ax]))
        inner = int(np.prod(shapes[0][ax + 1:]))
        params = quant.concat_params([t["scale"] for t in ins], [t["zp"] for t in ins], out["scale"], out["zp"])
        cases.append(dict(name=f"concat{i}_{len(shapes)}in_axis{ax}", num_inputs=len(shapes),
                          axis_dims=np.array([t["shape"][ax] for t in ins], np.int32), outer=outer, inner=inner,
                          input_offsets=np.array(params["input_offsets"], np.int32),
                          multipliers=np.array(params["multipliers"], np.int32),
                          shifts=np.array(params["shifts"], np.int32), output_offset=params["output_offset"],
                          inputs=np.concatenate([a.reshape(-1) for a in in_arrays]), expected=expected))
    return cases


def resize_cases(rng) -> List[Dict]:
    configs = [((1, 4, 4, 3), (8, 8)), ((1, 3, 5, 2), (7, 4)), ((2, 5, 5, 1), (3, 3)),
               ((1, 2, 3, 4), (5, 7)), ((1, 6, 4, 2), (6, 9)), ((1, 7, 7, 3), (4, 10))]
    modes = [(0, 0), (1, 0), (0, 1)]
    cases = []
    for i, (shape, size) in enumerate(configs):
        data = convert(lambda x, size=size: tf.image.resize(x, size, method="nearest"), [shape], rng)
        for align, half in modes:
            model, op = isolate(data, BO.RESIZE_NEAREST_NEIGHBOR)
            op.builtinOptions.alignCorners = bool(align)
            op.builtinOptions.halfPixelCenters = bool(half)
            out = tensor(model, int(op.outputs[0]))
            arrays, expected = run_isolated(model, op, rng)
            b, h, w, c = shape
            cases.append(dict(name=f"resize{i}_{h}x{w}to{size[0]}x{size[1]}_ac{align}_hp{half}",
                              batches=b, in_h=h, in_w=w, c=c, out_h=out["shape"][1], out_w=out["shape"][2],
                              align_corners=align, half_pixel_centers=half, input=arrays[0], expected=expected))
    return cases


def hard_swish_cases(rng) -> List[Dict]:
    configs = [((1, 4, 4, 3), 1.0), ((1, 8, 8, 2), 4.0), ((1, 37), 0.3), ((1, 5, 5, 4), 10.0), ((2, 64), 2.0)]
    cases = []
    for i, (shape, scale) in enumerate(configs):
        data = convert(lambda x: x * tf.nn.relu6(x + 3.0) / 6.0, [shape], rng, rep_scale=scale)
        model, op = isolate(data, BO.HARD_SWISH)
        x = op_inputs(model, op)[0]
        out = tensor(model, int(op.outputs[0]))
        arrays, expected = run_isolated(model, op, rng)
        params = quant.hard_swish_params(x["scale"], x["zp"], out["scale"], out["zp"])
        cases.append(dict(name=f"hswish{i}_{'x'.join(map(str, shape))}_r{scale}", n=int(np.prod(shape)),
                          **params, input=arrays[0], expected=expected))
    return cases


def logistic_cases(rng) -> List[Dict]:
    configs = [((1, 4, 4, 3), 1.0), ((1, 50), 4.0), ((1, 6, 6, 2), 0.2), ((3, 20), 12.0), ((1, 256), 2.0)]
    cases = []
    for i, (shape, scale) in enumerate(configs):
        data = convert(lambda x: tf.sigmoid(x), [shape], rng, rep_scale=scale)
        model, op = isolate(data, BO.LOGISTIC)
        x = op_inputs(model, op)[0]
        arrays, expected = run_isolated(model, op, rng)
        params = quant.logistic_params(x["scale"], x["zp"])
        cases.append(dict(name=f"logistic{i}_{'x'.join(map(str, shape))}_r{scale}", n=int(np.prod(shape)),
                          **params, input=arrays[0], expected=expected))
    return cases


def quantize_cases(rng) -> List[Dict]:
    """float32 -> int8 (QUANTIZE at a float model input), uint8 <-> int8 (QUANTIZE at
    uint8 model I/O) and int8 -> int8 (the uint8 op retyped to int8 with new params)."""
    cases = []
    for i, (shape, scale) in enumerate([((1, 64), 1.0), ((1, 5, 5, 3), 4.0), ((2, 40), 0.25)]):
        fn = lambda x: tf.nn.relu6(x * 2.0)
        fdata = convert(fn, [shape], rng, io_type=tf.float32, rep_scale=scale)
        model, op = isolate(fdata, BO.QUANTIZE)
        out = tensor(model, int(op.outputs[0]))
        arrays = [(rng.standard_normal(shape) * scale * 2).astype(np.float32)]
        arrays[0].reshape(-1)[:4] = [0.0, -0.0, out["scale"] * 2.5, -out["scale"] * 3.5]  # exact ties
        expected = run_tflm(model, arrays)
        p = quant.quantize_params(out["scale"], out["zp"])
        cases.append(dict(name=f"quant_f32_s8_{i}", kind=0, n=int(np.prod(shape)), scale=p["scale"],
                          input_zero_point=0, output_zero_point=p["zero_point"], multiplier=0, shift=0,
                          input_f32=arrays[0], input_q=None, expected=expected))
        udata = convert(fn, [shape], rng, io_type=tf.uint8, rep_scale=scale)
        for occ, kind in ((0, 1), (1, 2)):  # input uint8->int8, output int8->uint8
            model, op = isolate(udata, BO.QUANTIZE, occ)
            x = op_inputs(model, op)[0]
            out = tensor(model, int(op.outputs[0]))
            if kind == 2 and i == 2:  # make the output requantization non-trivial
                t = model.subgraphs[0].tensors[op.outputs[0]]
                t.quantization.scale = np.array([out["scale"] * 1.37], np.float32)
                t.quantization.zeroPoint = np.array([100], np.int64)
                out = tensor(model, int(op.outputs[0]))
            arrays, expected = run_isolated(model, op, rng)
            p = quant.requantize_params(x["scale"], x["zp"], out["scale"], out["zp"])
            cases.append(dict(name=f"quant_{'u8_s8' if kind == 1 else 's8_u8'}_{i}", kind=kind,
                              n=int(np.prod(shape)), scale=0.0, **p, input_f32=None,
                              input_q=arrays[0].view(np.int8), expected=expected))
        # int8 -> int8: retype the uint8 input QUANTIZE and give it new parameters.
        model, op = isolate(udata, BO.QUANTIZE, 0)
        t_in = model.subgraphs[0].tensors[op.inputs[0]]
        t_in.type = schema.TensorType.INT8
        t_in.quantization.scale = np.array([[0.05, 0.11, 0.02][i]], np.float32)
        t_in.quantization.zeroPoint = np.array([[3, -20, 0][i]], np.int64)
        x = op_inputs(model, op)[0]
        out = tensor(model, int(op.outputs[0]))
        arrays, expected = run_isolated(model, op, rng)
        p = quant.requantize_params(x["scale"], x["zp"], out["scale"], out["zp"])
        cases.append(dict(name=f"quant_s8_s8_{i}", kind=3, n=int(np.prod(shape)), scale=0.0, **p,
                          input_f32=None, input_q=arrays[0], expected=expected))
    return cases


def dequantize_cases(rng) -> List[Dict]:
    cases = []
    for i, (shape, scale) in enumerate([((1, 64), 1.0), ((1, 5, 5, 3), 4.0), ((2, 40), 0.25)]):
        data = convert(lambda x: tf.nn.relu6(x * 2.0) - 1.0, [shape], rng, io_type=tf.float32, rep_scale=scale)
        model, op = isolate(data, BO.DEQUANTIZE)
        x = op_inputs(model, op)[0]
        arrays, expected = run_isolated(model, op, rng)
        cases.append(dict(name=f"dequant_s8_f32_{i}", n=int(np.prod(shape)), scale=np.float32(x["scale"]),
                          zero_point=x["zp"], input=arrays[0], expected=expected.astype(np.float32)))
    return cases


def transpose_cases(rng) -> List[Dict]:
    configs = [((1, 3, 4, 5), (0, 3, 1, 2)), ((1, 4, 2, 3), (0, 2, 1, 3)), ((2, 3, 4), (2, 0, 1)),
               ((5, 7), (1, 0)), ((2, 3, 2, 4), (3, 2, 1, 0)), ((1, 6, 5, 2), (0, 3, 2, 1)),
               ((2, 3, 2, 3, 2), (4, 2, 0, 3, 1)), ((1, 2, 3, 4, 2), (0, 3, 1, 4, 2))]  # TFLM takes up to 5 dims
    cases = []
    for i, (shape, perm) in enumerate(configs):
        data = convert(lambda x, perm=perm: tf.transpose(x * 1.5, perm), [shape], rng)
        model, op = isolate(data, BO.TRANSPOSE)
        ins = op_inputs(model, op)
        arrays, expected = run_isolated(model, op, rng)
        in_shape = ins[0]["shape"]
        perm_data = ins[1]["data"].reshape(-1).astype(np.int32)
        cases.append(dict(name=f"transpose{i}_{'x'.join(map(str, in_shape))}_p{''.join(map(str, perm_data))}",
                          num_dims=len(in_shape), in_shape=np.array(in_shape + [1] * (5 - len(in_shape)), np.int32),
                          perm=np.array(list(perm_data) + [0] * (5 - len(perm_data)), np.int32),
                          input=arrays[0], expected=expected))
    return cases


# ------------------------------------------------------------------ C output

CTYPES = {np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t", np.dtype(np.int32): "int32_t",
          np.dtype(np.float32): "float"}


def c_float(v) -> str:
    """A C float literal that reads back as exactly the float32 value v."""
    v = np.float32(v)
    assert np.isfinite(v)
    text = f"{float(v):.9g}"
    if not any(ch in text for ch in ".en"):
        text += ".0"
    return text + "f"


def c_array(name: str, arr: np.ndarray, ctype: str) -> str:
    flat = np.asarray(arr).reshape(-1)
    if ctype == "float":
        items = [c_float(v) for v in flat.astype(np.float32)]
    else:
        items = [str(int(v)) for v in flat]
    lines = [", ".join(items[j:j + 16]) for j in range(0, len(items), 16)] or ["0"]
    return f"static const {ctype} {name}[{max(len(items), 1)}] = {{\n  " + ",\n  ".join(lines) + "\n};\n"


def write_family(family: str, fields: List[Tuple[str, str]], cases: List[Dict], out_dir: str) -> str:
    """fields: (name, ctype) with ctype one of int32_t, float, or 'const T *' for arrays."""
    guard = f"MR_{family.upper()}_GOLDEN_H_"
    parts = [f"/* Generated by micro_runtime/golden/make_golden.py from TF Lite Micro "
             f"(tflite-micro wheel). Do not edit. */\n",
             f"#ifndef {guard}\n#define {guard}\n\n#include <stddef.h>\n#include <stdint.h>\n\n",
             "typedef struct {\n  const char *name;\n"]
    for name, ctype in fields:
        parts.append(f"  {ctype} {name};\n")
    parts.append(f"}} mr_{family}_golden_case;\n\n")
    inits = []
    for idx, case in enumerate(cases):
        vals = [f'"{case["name"]}"']
        for name, ctype in fields:
            value = case[name]
            if ctype.endswith("*"):
                if value is None:
                    vals.append("NULL")
                    continue
                base = ctype.replace("const", "").replace("*", "").strip()
                arr_name = f"{family}_{idx}_{name}"
                arr = np.asarray(value)
                if base == "int8_t" and arr.dtype == np.uint8:
                    arr = arr.view(np.int8)
                parts.append(c_array(arr_name, arr, base))
                vals.append(arr_name)
            elif ctype == "float":
                vals.append(c_float(value))
            else:
                vals.append(str(int(value)))
        inits.append("  {" + ", ".join(vals) + "}")
    parts.append(f"\nstatic const mr_{family}_golden_case {family}_golden_cases[] = {{\n" + ",\n".join(inits)
                 + "\n};\n")
    parts.append(f"#define {family.upper()}_GOLDEN_COUNT "
                 f"((int)(sizeof({family}_golden_cases) / sizeof({family}_golden_cases[0])))\n\n#endif\n")
    path = os.path.join(out_dir, f"{family}_golden.h")
    with open(path, "w") as f:
        f.write("".join(parts))
    return path


I32, F32, P8, P32, PF = "int32_t", "float", "const int8_t *", "const int32_t *", "const float *"
FAMILIES = {
    "conv": (conv_cases, [(n, I32) for n in "in_h in_w in_c out_c k_h k_w stride_h stride_w dilation_h dilation_w "
                          "pad_top pad_left out_h out_w in_offset out_offset act_min act_max".split()]
             + [("input", P8), ("filter", P8), ("bias", P32), ("out_mult", P32), ("out_shift", P32),
                ("expected", P8)]),
    "depthwise": (depthwise_cases, [(n, I32) for n in "in_h in_w in_c depth_mult k_h k_w stride_h stride_w pad_top "
                                    "pad_left out_h out_w in_offset out_offset act_min act_max".split()]
                  + [("input", P8), ("filter", P8), ("bias", P32), ("out_mult", P32), ("out_shift", P32),
                     ("expected", P8)]),
    "fully_connected": (fully_connected_cases, [(n, I32) for n in "batches in_n out_n per_channel in_offset "
                                                "filter_offset out_offset act_min act_max".split()]
                        + [("input", P8), ("filter", P8), ("bias", P32), ("out_mult", P32), ("out_shift", P32),
                           ("expected", P8)]),
    "add": (add_cases, [("shape1", P32), ("shape2", P32)]
            + [(n, I32) for n in "input1_offset input2_offset left_shift input1_multiplier input1_shift "
               "input2_multiplier input2_shift output_offset output_multiplier output_shift act_min act_max".split()]
            + [("input1", P8), ("input2", P8), ("expected", P8)]),
    "mul": (mul_cases, [("shape1", P32), ("shape2", P32)]
            + [(n, I32) for n in "input1_offset input2_offset output_offset output_multiplier output_shift "
               "act_min act_max".split()]
            + [("input1", P8), ("input2", P8), ("expected", P8)]),
    "pooling": (pool_cases, [(n, I32) for n in "is_max in_h in_w c filter_h filter_w stride_h stride_w pad_top "
                             "pad_left out_h out_w act_min act_max".split()] + [("input", P8), ("expected", P8)]),
    "mean": (mean_cases, [(n, I32) for n in "outer reduce inner input_zero_point output_zero_point "
                          "output_multiplier output_shift".split()] + [("input", P8), ("expected", P8)]),
    "pad": (pad_cases, [("in_shape", P32), ("pad_before", P32), ("pad_after", P32), ("pad_value", I32),
                        ("input", P8), ("expected", P8)]),
    "softmax": (softmax_cases, [(n, I32) for n in "rows depth input_multiplier input_left_shift diff_min".split()]
                + [("input", P8), ("expected", P8)]),
    "concatenation": (concat_cases, [("num_inputs", I32), ("axis_dims", P32), ("outer", I32), ("inner", I32),
                                     ("input_offsets", P32), ("multipliers", P32), ("shifts", P32),
                                     ("output_offset", I32), ("inputs", P8), ("expected", P8)]),
    "resize_nearest_neighbor": (resize_cases, [(n, I32) for n in "batches in_h in_w c out_h out_w align_corners "
                                               "half_pixel_centers".split()] + [("input", P8), ("expected", P8)]),
    "hard_swish": (hard_swish_cases, [(n, I32) for n in "n input_zero_point output_zero_point "
                                      "reluish_multiplier_fixedpoint_int16 reluish_multiplier_exponent "
                                      "output_multiplier_fixedpoint_int16 output_multiplier_exponent".split()]
                   + [("input", P8), ("expected", P8)]),
    "logistic": (logistic_cases, [(n, I32) for n in "n input_zero_point input_range_radius input_multiplier "
                                  "input_left_shift".split()] + [("input", P8), ("expected", P8)]),
    "quantize": (quantize_cases, [("kind", I32), ("n", I32), ("scale", F32), ("input_zero_point", I32),
                                  ("output_zero_point", I32), ("multiplier", I32), ("shift", I32),
                                  ("input_f32", PF), ("input_q", P8), ("expected", P8)]),
    "dequantize": (dequantize_cases, [("n", I32), ("scale", F32), ("zero_point", I32), ("input", P8),
                                      ("expected", PF)]),
    "transpose": (transpose_cases, [("num_dims", I32), ("in_shape", P32), ("perm", P32), ("input", P8),
                                    ("expected", P8)]),
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated families (default: all)")
    parser.add_argument("--out_dir", default=HERE)
    args = parser.parse_args(argv)
    only = [f for f in args.only.split(",") if f]
    for family, (build, fields) in FAMILIES.items():
        if only and family not in only:
            continue
        seed = sum(map(ord, family))
        np.random.seed(seed)
        K.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        cases = build(rng)
        path = write_family(family, fields, cases, args.out_dir)
        print(f"{family}: {len(cases)} cases -> {os.path.relpath(path)} ({os.path.getsize(path)} bytes)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
