"""Keras model -> int8 .tflite (full-integer post-training quantization), and small helpers to inspect it."""
from __future__ import annotations

import contextlib
import io
import os
import warnings
from typing import Callable, Iterable

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from mcunet_tf import keras3  # noqa: E402

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
    """Full-integer int8 .tflite of a tf_keras or Keras 3 `model`.

    `representative_data`: float inputs the activation ranges are calibrated on, an array (N, H, W, C) or an
    iterable/callable of (1, H, W, C) batches; 16-200 typical samples suffice.
    `io_dtype="int8"` gives int8 input and output tensors (what micro runtimes take); `"float32"` keeps float
    I/O, so the model starts with QUANTIZE and ends with DEQUANTIZE. All other ops are int8 builtins
    (TFLITE_BUILTINS_INT8): conversion fails rather than leaving a float op behind.
    """
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {IO_DTYPES}, not {io_dtype!r}")
    return _convert_int8(model, representative_data, io_dtype)


def _convert_int8(model, representative_data, io_dtype: str) -> bytes:
    """TF's converter with full-integer quantization (int8 ops only; int8 or float I/O). Keras 3 models
    go through a SavedModel export, whose endpoint listing (printed) is not the user's business."""
    with contextlib.redirect_stdout(io.StringIO()):
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative_dataset(representative_data)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io_dtype == "int8":
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with warnings.catch_warnings():  # float inputs carry no statistics: harmless, said for every model
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        with contextlib.redirect_stdout(io.StringIO()):
            return bytes(converter.convert())


def tflite_op_names(data: bytes) -> list[str]:
    """Builtin op names of a .tflite model, in execution order."""
    from tflite_patch.graph import load_tflite
    return [op.kind for op in load_tflite(data).ops]


def quantize_and_convert(model: keras.Model, representative_data, qat_epochs: int = 0, train_data=None,
                         validation_data=None, io_dtype: str = "int8", learning_rate: float = 1e-4,
                         batch_size: int = 32, from_logits: bool | None = None, verbose: int = 0,
                         seed: int = 0) -> bytes:
    """Quantization-aware fine-tuning with TF-MOT, then full-integer int8 conversion.

    With `qat_epochs` > 0, `tfmot.quantization.keras.quantize_model` wraps the `model` with fake
    quantization (a Keras 3 model is first rebuilt in tf_keras: `keras3.to_tf_keras`, a `ModelError`
    naming the first layer that does not map), and it is fine-tuned on `train_data` = (x, y) (sparse
    labels) or a `tf.data.Dataset` of (x, y) batches, with Adam at `learning_rate` decayed to zero over the
    epochs (cosine): QAT starts from trained weights, so a small rate only adapts them to the int8 grid.
    The loss takes logits unless the model ends in a softmax (`from_logits=None`); True / False override.
    The converter then takes the scales learnt during QAT. With `qat_epochs=0` this is post-training
    quantization, for any Keras 3 or tf_keras model.
    `representative_data` calibrates what QAT does not cover (the int8 input tensor). `seed` fixes QAT's
    shuffles, so the same call gives the same model. Returns .tflite bytes.
    """
    if qat_epochs <= 0:
        return convert_int8(model, representative_data, io_dtype)
    if train_data is None:
        raise ValueError("quantization-aware training needs train_data=(x, y)")
    if io_dtype not in IO_DTYPES:
        raise ValueError(f"io_dtype must be one of {IO_DTYPES}, not {io_dtype!r}")
    if from_logits is None:
        from_logits = not keras3.outputs_probabilities(model)
    qat_model = _quantize_model(model)
    if isinstance(train_data, tf.data.Dataset):
        fit_data, steps = {"x": train_data}, int(train_data.cardinality())
    else:
        x, y = train_data
        fit_data, steps = {"x": x, "y": y, "batch_size": batch_size}, -(-len(x) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=qat_epochs * max(1, steps))
    qat_model.compile(optimizer=keras.optimizers.Adam(schedule),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
                      metrics=["accuracy"])
    keras.utils.set_random_seed(seed)
    qat_model.fit(**fit_data, epochs=qat_epochs, validation_data=validation_data, verbose=verbose)
    return _convert_int8(qat_model, representative_data, io_dtype)


def _quantize_model(model) -> keras.Model:
    """TF-MOT's fake-quantized twin of `model` (rebuilt in tf_keras first when it is a Keras 3 model)."""
    import tensorflow_model_optimization as tfmot
    from tflite_patch.graph import ModelError

    model = keras3.to_tf_keras(model)
    try:
        return tfmot.quantization.keras.quantize_model(model)
    except (ValueError, RuntimeError, TypeError) as e:
        raise ModelError(f"TF-MOT cannot quantize {model.name!r} for quantization-aware training "
                         f"({str(e).strip().splitlines()[0]}): export it post-training (--ptq / qat_epochs=0)") from None


def float_accuracy(model, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> float:
    """Top-1 accuracy of a float Keras model (tf_keras or Keras 3) in inference mode. Calls the model on
    batches: Keras 3's `predict` graph sets off TensorFlow's optimizer error lines for nothing."""
    correct = 0
    for start in range(0, len(x), batch_size):
        scores = np.asarray(model(tf.constant(x[start:start + batch_size], tf.float32), training=False))
        correct += int(np.sum(np.argmax(scores, -1) == np.asarray(y).reshape(-1)[start:start + batch_size]))
    return correct / len(x)


RUNTIMES = ("tflm", "tflite", "c")


def tflite_accuracy(data: bytes, x: np.ndarray, y: np.ndarray, runtime: str = "tflm") -> float:
    """Top-1 accuracy of a .tflite classifier on float inputs `x` (quantized with the model's own input
    parameters when its input is int8), run by TFLM (`runtime="tflm"`), by `tf.lite.Interpreter` with its
    reference kernels (`"tflite"`) or by our generated C compiled for this machine (`"c"`; a `ModelError`
    when the generator does not take the model)."""
    from tflite_patch.graph import load_tflite

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, not {runtime!r}")
    graph = load_tflite(data)
    inp = graph.tensors[graph.inputs[0]]
    if inp.dtype in ("int8", "uint8"):
        info = np.iinfo(inp.dtype)
        scale, zero_point = float(inp.quant.scale[0]), int(inp.quant.zero_point[0])
        xq = np.clip(np.round(x / scale) + zero_point, info.min, info.max).astype(inp.dtype)
    else:
        xq = x.astype(np.float32)
    run = _runner(data, runtime)
    predictions = np.array([int(np.argmax(run(sample[None]))) for sample in xq])
    return float(np.mean(predictions == np.asarray(y).reshape(-1)))


def _runner(data: bytes, runtime: str) -> Callable[[np.ndarray], np.ndarray]:
    """One-batch inference (first input -> first output) of the model in `runtime`."""
    if runtime == "c":
        from micro_runtime.codegen import generate
        from micro_runtime.target_host import HostModel
        host = HostModel(generate(data, "accuracy_model", "portable"))
        return lambda batch: host.invoke([batch])[0]
    if runtime == "tflm":
        from tflite_patch.tflm import interpreter
        it = interpreter(data)

        def run(batch):
            it.set_input(batch, 0)
            it.invoke()
            return it.get_output(0)
        return run
    # TF Lite's reference kernels: its default (optimised) kernels round some ops differently.
    it = tf.lite.Interpreter(model_content=data,
                             experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    i_idx, o_idx = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]

    def run_tflite(batch):
        it.set_tensor(i_idx, batch)
        it.invoke()
        return it.get_tensor(o_idx)
    return run_tflite
