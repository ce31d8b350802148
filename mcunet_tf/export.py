"""Keras model -> int8 .tflite (full-integer post-training quantization), and small helpers to inspect it."""
from __future__ import annotations

import os
import warnings
from typing import Callable, Iterable

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

IO_DTYPES = ("int8", "float32")


def _representative_dataset(data) -> Callable[[], Iterable[list[np.ndarray]]]:
    """A converter `representative_dataset` from an array (N, ...) of examples, or from an iterable (or a
    zero-argument callable returning one) of single-example batches (1, ...)."""
    if isinstance(data, np.ndarray):
        array = data.astype(np.float32, copy=False)

        def generate():
            for i in range(len(array)):
                yield [array[i:i + 1]]
    else:
        def generate():
            for batch in (data() if callable(data) else data):
                yield [np.asarray(batch, np.float32)]
    return generate


def convert_int8(model: keras.Model, representative_data, io_dtype: str = "int8") -> bytes:
    """Full-integer int8 .tflite of a tf_keras `model`.

    `representative_data`: float inputs the activation ranges are calibrated on, an array (N, H, W, C) or an
    iterable/callable of (1, H, W, C) batches; 16-200 typical samples suffice.
    `io_dtype="int8"` gives int8 input and output tensors (what micro runtimes take); `"float32"` keeps float
    I/O, so the model starts with QUANTIZE and ends with DEQUANTIZE. All other ops are int8 builtins
    (TFLITE_BUILTINS_INT8): conversion fails rather than leaving a float op behind.
    """
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {IO_DTYPES}, not {io_dtype!r}")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative_dataset(representative_data)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io_dtype == "int8":
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with warnings.catch_warnings():  # float inputs carry no statistics: harmless, said for every model
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return bytes(converter.convert())


def tflite_op_names(data: bytes) -> list[str]:
    """Builtin op names of the first subgraph of a .tflite flatbuffer, in execution order."""
    from tensorflow.lite.python import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = schema.Model.GetRootAsModel(data, 0)
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        codes.append(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
    graph = model.Subgraphs(0)
    return [names[codes[graph.Operators(i).OpcodeIndex()]] for i in range(graph.OperatorsLength())]
