"""Checks that a loaded graph is one the planner and the engine can take, each failure one line
(`ModelError`) that names the op or tensor: the graph is a DAG of single writers, tensor sizes are
bounded, activations are int8 with valid quantization, operands have the structure the engine relies on."""
from __future__ import annotations

import math
from typing import Collection

import numpy as np

from tflite_patch.graph import NUMPY_DTYPES, Graph, ModelError, Op, activation_names

MAX_TENSOR_BYTES = 1 << 31  # a tensor larger than this cannot be addressed on a 32-bit microcontroller


def check_graph(graph: Graph) -> None:
    """The graph is a program the generated code can run in order: inputs and outputs exist, every tensor's
    size is below MAX_TENSOR_BYTES, each tensor is written by one op at most, constants and graph inputs
    are never written, no op reads a tensor before it is written (no cycle), every output is written."""
    if not graph.inputs:
        raise ModelError("model has no inputs")
    if not graph.outputs:
        raise ModelError("model has no outputs")
    for j, tensor in enumerate(graph.tensors):
        if any(d < 0 for d in tensor.shape) or tensor.dtype not in NUMPY_DTYPES:
            continue  # dynamic shapes and other types are refused with their own message
        size = math.prod(tensor.shape) * tensor.itemsize
        if size > MAX_TENSOR_BYTES:
            raise ModelError(f"tensor {j} ({tensor.name}) of shape {list(tensor.shape)} needs {size:,} bytes, "
                             f"more than {MAX_TENSOR_BYTES:,}")
    _check_writers(graph)


def _check_writers(graph: Graph) -> None:
    inputs = set(graph.inputs)
    written: dict[int, int] = {}
    for i, op in enumerate(graph.ops):
        for t in op.outputs:
            tensor = graph.tensors[t]
            if t in written:
                raise ModelError(f"tensor {t} ({tensor.name}) is written by op {written[t]} and op {i}")
            if tensor.is_constant:
                raise ModelError(f"op {op.kind} at index {i} writes constant tensor {t} ({tensor.name})")
            if t in inputs:
                raise ModelError(f"op {op.kind} at index {i} overwrites graph input {t} ({tensor.name})")
            written[t] = i
    ready = set(inputs) | {t for t, tensor in enumerate(graph.tensors) if tensor.is_constant or tensor.is_variable}
    for i, op in enumerate(graph.ops):
        for t in op.inputs:
            if t >= 0 and t not in ready:
                name = graph.tensors[t].name
                if t in written:
                    raise ModelError(f"op {op.kind} at index {i} reads tensor {t} ({name}) before op {written[t]} "
                                     "writes it (the ops are not in execution order, or form a cycle)")
                raise ModelError(f"op {op.kind} at index {i} reads tensor {t} ({name}), which nothing writes")
        ready.update(op.outputs)
    for t in graph.outputs:
        if t not in ready:
            raise ModelError(f"graph output {t} ({graph.tensors[t].name}) is never written")


def check_int8_model(graph: Graph, supported_ops: Collection[str] | None = None) -> None:
    """Refuse, with one line, what the planner and engine do not take: ops not in `supported_ops` (the
    engine's lowerings, `micro_runtime.lowering.SUPPORTED_OPS`; None: any op), float activations, int16
    ones with a zero point other than 0, dynamic or empty shapes, missing or non-positive quantization scales."""
    check_graph(graph)
    for i, op in enumerate(graph.ops):
        if supported_ops is not None and op.kind not in supported_ops:
            raise ModelError(f"unsupported op {op.kind} at index {i}")
    activations = graph.activation_tensors()
    if not any(graph.tensors[j].dtype in ("int8", "int16") for j in activations):
        raise ModelError("float model: no int8 activations; quantize it to int8 first "
                         "(mcunet_tf.export or the TFLite converter with full-integer quantization)")
    boundary = set(graph.inputs) | set(graph.outputs)
    # TFLM's int8 -> int16 SOFTMAX writes zero point -32768, the one int16 tensor whose zero point is not 0
    softmax_s8_s16 = {op.outputs[0] for op in graph.ops if op.kind == "SOFTMAX" and op.inputs
                      and graph.tensors[op.inputs[0]].dtype == "int8"}
    for j in activations:
        tensor = graph.tensors[j]
        if tensor.shape_signature is not None and any(d < 0 for d in tensor.shape_signature[1:]):
            raise ModelError(f"tensor {j} ({tensor.name}) has a dynamic shape {list(tensor.shape_signature)}")
        allowed = ("int8", "int16", "uint8", "float32", "int32", "bool") if j in boundary else ("int8", "int16", "int32", "bool")
        if tensor.dtype not in allowed:  # first: the size of other types may not even be known
            raise ModelError(f"tensor {j} ({tensor.name}) is {tensor.dtype}; activations must be int8 or int16")
        if any(d <= 0 for d in tensor.shape) or tensor.nbytes == 0:
            raise ModelError(f"tensor {j} ({tensor.name}) has an empty shape {list(tensor.shape)}")
        if tensor.dtype in ("int8", "uint8") and tensor.quant is None:
            raise ModelError(f"tensor {j} ({tensor.name}) has no quantization parameters")
        if tensor.quant is not None:
            _check_activation_quantization(j, tensor, (-32768, -32768) if j in softmax_s8_s16 else None)
    for i, op in enumerate(graph.ops):
        _check_operands(graph, i, op)
        _check_wide_zero_points(graph, i, op)


def _check_wide_zero_points(graph: Graph, i: int, op: Op) -> None:
    """An int8/uint8 activation whose zero point is outside its type's range is read and written only by
    WIDE_ZERO_POINT_OPS; the ops whose TFLM Prepare refuses one are refused naming it."""
    if op.kind in WIDE_ZERO_POINT_OPS:
        return
    for t in [t for t in op.inputs if t >= 0] + list(op.outputs):
        tensor = graph.tensors[t]
        if tensor.data is not None or tensor.quant is None or tensor.dtype not in ("int8", "uint8"):
            continue
        low, high = _ZERO_POINT_RANGE[tensor.dtype]
        outside = [int(z) for z in tensor.quant.zero_point if not low <= z <= high]
        if outside:
            zero_point = outside[0]
            why = WIDE_ZERO_POINT_TFLM_REFUSES.get(op.kind, f"taken by {', '.join(WIDE_ZERO_POINT_OPS)}")
            raise ModelError(f"op {op.kind} at index {i}: tensor {t} ({tensor.name}) has zero point {zero_point} "
                             f"outside [{low}, {high}] of {tensor.dtype} ({why})")


_ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (0, 0)}
# TFLM takes int8 zero points outside int8's range (its kernels add them as int32 offsets): so do these
# ops' reference kernels, which the lowerings choose for such tensors (conv_common.fast_takes), and the kernels
# of the others, checked against the wheel (tests/test_ops_quantization.py).
WIDE_ZERO_POINT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM",
                       "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D", "CONCATENATION", "RESHAPE", "SOFTMAX", "LOGISTIC",
                       "TANH", "HARD_SWISH", "LEAKY_RELU", "QUANTIZE", "ABS", "RELU", "RELU6", "DEQUANTIZE",
                       "TRANSPOSE", "SLICE", "STRIDED_SLICE", "GATHER", "RESIZE_NEAREST_NEIGHBOR", "DEPTH_TO_SPACE",
                       "SPACE_TO_DEPTH", "SQUEEZE", "EXPAND_DIMS", "SPLIT", "PACK", "UNPACK", "REDUCE_MAX", "ARG_MAX",
                       "MIRROR_PAD", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "REDUCE_MIN", "ARG_MIN", "SUM",
                       "RESIZE_BILINEAR", "LOG_SOFTMAX", "L2_NORMALIZATION", "DIV")
# Ops whose TFLM Prepare refuses such a zero point (the wheel's message).
WIDE_ZERO_POINT_TFLM_REFUSES = {
    "PAD": "TFLM refuses it too: pad_common.cc wants the output's zero point within int8's range",
    "SQUARED_DIFFERENCE": "TFLM refuses it too: squared_difference.cc wants zero points within int8's range"}
_INT32_RANGE = (-(1 << 31), (1 << 31) - 1)


def _check_activation_quantization(j: int, tensor, int16_zero_points: tuple[int, int] | None = None) -> None:
    """Finite positive scales (float I/O tensors too: they become the header's scale macros) and int32 zero
    points; int8/uint8 zero points outside the type's range only where WIDE_ZERO_POINT_OPS read them
    (`_check_wide_zero_points`); int16's 0, or `int16_zero_points` where TFLM requires others."""
    scale, zero_point = tensor.quant.scale, tensor.quant.zero_point
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise ModelError(f"tensor {j} ({tensor.name}) has a non-positive quantization scale (or one not finite)")
    low, high = _INT32_RANGE if tensor.dtype in ("int8", "uint8") else _ZERO_POINT_RANGE.get(tensor.dtype, _INT32_RANGE)
    if tensor.dtype == "int16" and int16_zero_points is not None:
        low, high = int16_zero_points
    if zero_point.size and (zero_point.min() < low or zero_point.max() > high):
        raise ModelError(f"tensor {j} ({tensor.name}): zero point {int(zero_point.max() if zero_point.max() > high else zero_point.min())} "
                         f"outside [{low}, {high}] of {tensor.dtype}")


# op kind -> (positions of inputs that must be constant, {position: required rank})
_OPERANDS = {
    "CONV_2D": ((1,), {0: 4, 1: 4}), "DEPTHWISE_CONV_2D": ((1,), {0: 4, 1: 4}),
    "FULLY_CONNECTED": ((1,), {1: 2}), "PAD": ((1,), {1: 2}), "PADV2": ((1,), {1: 2}), "MEAN": ((1,), {}),
    "TRANSPOSE": ((1,), {1: 1}), "RESIZE_NEAREST_NEIGHBOR": ((1,), {0: 4}), "AVERAGE_POOL_2D": ((), {0: 4}),
    "MAX_POOL_2D": ((), {0: 4}),
    "RESIZE_BILINEAR": ((1,), {0: 4}), "TRANSPOSE_CONV": ((1,), {1: 4, 2: 4}),  # ops-spatial
}
# op kind -> number of tensor inputs it must have (the rest take one data input and optional constants)
_ARITY = {"ADD": 2, "MUL": 2}


def _check_operands(graph: Graph, i: int, op: Op) -> None:
    """The structure the engine relies on: operand counts, constant weights with quantization, ranks. Shapes
    that must follow from the inputs and options are the lowerings' (`Lowering.output_shapes`)."""
    where = f"op {op.kind} at index {i}"
    if not op.outputs or not op.inputs or op.inputs[0] < 0 or any(t < 0 for t in op.outputs):
        raise ModelError(f"{where} has no input or output tensor")
    if op.options.get("fusedActivationFunction", 0) not in activation_names():
        raise ModelError(f"{where} has an unknown fused activation {op.options['fusedActivationFunction']}")
    arity = _ARITY.get(op.kind)
    if arity is not None and (len(op.inputs) != arity or any(t < 0 for t in op.inputs)):
        raise ModelError(f"{where} takes {arity} input tensors, not {sum(t >= 0 for t in op.inputs)}")
    constants, ranks = _OPERANDS.get(op.kind, ((), {}))
    for pos in constants:
        if pos >= len(op.inputs) or op.inputs[pos] < 0 or graph.tensors[op.inputs[pos]].data is None:
            raise ModelError(f"{where}: input {pos} must be a constant tensor")
    for pos, rank in ranks.items():
        if pos < len(op.inputs) and len(graph.tensors[op.inputs[pos]].shape) != rank:
            raise ModelError(f"{where}: input {pos} must have rank {rank}, "
                             f"not {len(graph.tensors[op.inputs[pos]].shape)}")
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        x, w, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
        channels = w.shape[3] if op.kind == "DEPTHWISE_CONV_2D" else w.shape[0]
        # TFLM takes any finite filter scale, negative and zero included (QuantizeMultiplier keeps the sign)
        if w.dtype != "int8" or w.quant is None or not np.all(np.isfinite(w.quant.scale)) \
                or w.quant.scale.size not in (1, channels):
            raise ModelError(f"{where}: weights must be int8 with finite scales (per tensor or per channel)")
        if op.kind == "FULLY_CONNECTED" and w.quant.scale.size == 1 and x.quant is not None \
                and float(x.quant.scale[0]) * float(w.quant.scale[0]) < 0:
            raise ModelError(f"{where}: negative per-tensor weight scale {float(w.quant.scale[0]):.6g} "
                             "(TFLM refuses it: input_product_scale >= 0)")
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            b = graph.tensors[op.inputs[2]]
            bias_types = ("int32", "int64") if x.dtype == "int16" else ("int32",)  # 16x8: TFLM takes either
            if b.data is None or b.dtype not in bias_types or b.data.size != channels:
                raise ModelError(f"{where}: bias must be a constant {' or '.join(bias_types)} vector of {channels}")
            if op.kind == "FULLY_CONNECTED" and w.quant.scale.size == 1 and x.quant is not None \
                    and y.quant is not None:
                # TFLM's GetQuantizedConvolutionMultipler refuses a bias scale far from input x weight scale.
                product = float(x.quant.scale[0]) * float(w.quant.scale[0])
                bias_scale = float(b.quant.scale[0]) if b.quant is not None else 0.0
                ratio = abs(product - bias_scale) / float(y.quant.scale[0])
                if ratio > 0.02:
                    raise ModelError(f"{where}: bias scale {bias_scale:.6g} vs input x weight scale {product:.6g}: "
                                     f"|difference| / output scale = {ratio:.3g} > 0.02 (TFLM refuses it)")

