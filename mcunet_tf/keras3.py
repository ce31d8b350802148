"""Keras 3 models in a tf_keras tool chain.

TF-MOT's quantization-aware training takes only tf_keras (Keras 2) models, while `import keras` gives
Keras 3 with TF 2.16+. `load_model` reads a saved model of either kind; `to_tf_keras` rebuilds a Keras 3
functional or Sequential model layer by layer in tf_keras (same graph, same weights, checked on a random
batch) and names the first layer that has no tf_keras equivalent. Post-training quantization needs no
rebuild: TF's converter takes Keras 3 models as they are.
"""
from __future__ import annotations

import inspect
import json
import os
import zipfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

from tflite_patch.graph import ModelError  # noqa: E402

# Arguments every tf_keras layer takes (tf_keras.layers.Layer.__init__'s **kwargs).
_BASE_LAYER_ARGS = {"trainable", "name", "dtype", "dynamic", "input_dim", "input_shape", "batch_input_shape",
                    "batch_size", "weights", "activity_regularizer", "autocast", "implementation"}


def _neutral(value) -> bool:
    """True for a value of a Keras 3-only argument that leaves the layer as tf_keras computes it (unset
    options such as `lora_rank=None`, `quantization_config=None`)."""
    return value is None or value is False


def is_keras3(model) -> bool:
    """True for a Keras 3 model (`import keras` with TF 2.16+), False for a tf_keras one."""
    return not isinstance(model, tf_keras.Model) and type(model).__module__.startswith("keras")


def _saved_by_keras3(path: str) -> bool:
    if not (os.path.isfile(path) and zipfile.is_zipfile(path)):
        return False
    with zipfile.ZipFile(path) as archive:
        if "metadata.json" not in archive.namelist():
            return False
        version = str(json.loads(archive.read("metadata.json")).get("keras_version", ""))
    return version.startswith("3")


def load_model(path: str):
    """A saved Keras model: a Keras 3 `.keras` file as a Keras 3 model, anything else (tf_keras `.keras`,
    `.h5`, SavedModel folder) as a tf_keras model. Not compiled."""
    if _saved_by_keras3(path):
        import keras
        return keras.saving.load_model(path, compile=False)
    return tf_keras.models.load_model(path, compile=False)


def outputs_probabilities(model) -> bool:
    """True when the model's (first) output comes out of a softmax: its loss takes `from_logits=False`."""
    layer = model.outputs[0]._keras_history[0]
    while type(layer).__name__ in ("Functional", "Sequential", "Model"):
        layer = layer.outputs[0]._keras_history[0]
    if type(layer).__name__ == "Softmax":
        return True
    activation = layer.get_config().get("activation")
    if isinstance(activation, dict):
        activation = activation.get("config", activation.get("class_name"))
    return activation == "softmax"


def _plain(value):
    """A Keras 3 serialized value (initializer, regularizer, dtype policy) as tf_keras reads it."""
    if isinstance(value, dict) and "class_name" in value and "module" in value:
        if value["class_name"] == "DTypePolicy":
            return value["config"]["name"]
        if str(value["module"]).endswith("initializers"):
            return value["class_name"]  # the weights are copied: the initializer never runs
        return {"class_name": value["class_name"], "config": {k: _plain(v) for k, v in value["config"].items()}}
    if isinstance(value, tuple):
        return list(value)
    return value


def _accepted_args(cls) -> set[str]:
    names = set(_BASE_LAYER_ARGS)
    for klass in cls.__mro__:
        if klass is tf_keras.layers.Layer:
            break
        if "__init__" in vars(klass):
            names.update(inspect.signature(klass.__init__).parameters)
    return names


def _tf_keras_layer(layer):
    """The tf_keras twin of one Keras 3 layer (not yet built), or ModelError naming the layer."""
    kind = type(layer).__name__
    cls = getattr(tf_keras.layers, kind, None)
    if cls is None or kind == "Lambda":
        raise ModelError(f"layer {layer.name!r} ({kind}) has no tf_keras equivalent for quantization-aware "
                         "training: export it post-training (--ptq / qat_epochs=0)")
    config = {k: _plain(v) for k, v in layer.get_config().items()}
    accepted = _accepted_args(cls)
    extra = {k: v for k, v in config.items() if k not in accepted}
    if not all(_neutral(v) for v in extra.values()):
        key = next(k for k, v in extra.items() if not _neutral(v))
        raise ModelError(f"layer {layer.name!r} ({kind}) uses {key}={extra[key]!r}, which tf_keras does not have: "
                         "export it post-training (--ptq / qat_epochs=0)")
    try:
        return cls.from_config({k: v for k, v in config.items() if k in accepted})
    except (TypeError, ValueError) as e:
        raise ModelError(f"layer {layer.name!r} ({kind}) does not rebuild in tf_keras ({e}): export it "
                         "post-training (--ptq / qat_epochs=0)") from None


def _functional(model):
    if type(model).__name__ == "Sequential":
        inner = getattr(model, "_functional", None)
        if inner is None:
            raise ModelError(f"Sequential model {model.name!r} has no input shape: start it with keras.Input")
        return inner
    if not hasattr(model, "_nodes_by_depth"):
        raise ModelError(f"model {model.name!r} is a subclassed Keras 3 model: only functional and Sequential "
                         "models rebuild in tf_keras; export it post-training (--ptq / qat_epochs=0)")
    return model


def _rebuild(model) -> tf_keras.Model:
    """The graph of a Keras 3 functional model, layer for layer in tf_keras (weights not yet copied)."""
    import keras

    graph = _functional(model)
    tensors, twins = {}, {}
    for tensor in keras.tree.flatten(graph.inputs):
        tensors[id(tensor)] = tf_keras.Input(batch_shape=tuple(tensor.shape), dtype=tensor.dtype,
                                             name=tensor._keras_history[0].name)
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            layer = node.operation
            if node.is_input or type(layer).__name__ == "InputLayer":
                continue
            if id(layer) not in twins:
                twins[id(layer)] = (to_tf_keras(layer, check=False) if isinstance(layer, keras.Model)
                                    else _tf_keras_layer(layer))
            args, kwargs = keras.tree.map_structure(
                lambda t: tensors[id(t)] if isinstance(t, keras.KerasTensor) else t,
                (node.arguments.args, node.arguments.kwargs))
            outputs = twins[id(layer)](*args, **kwargs)
            for ours, theirs in zip(keras.tree.flatten(node.outputs), tf.nest.flatten(outputs)):
                tensors[id(ours)] = theirs
    pick = lambda t: tensors[id(t)]  # noqa: E731
    rebuilt = tf_keras.Model([pick(t) for t in keras.tree.flatten(graph.inputs)],
                             keras.tree.map_structure(pick, graph.outputs), name=model.name)
    _copy_weights(graph, twins)
    return rebuilt


def _copy_weights(graph, twins) -> None:
    for layer in graph.layers:
        twin = twins.get(id(layer))
        if twin is None:
            continue
        weights = layer.get_weights()
        shapes = [tuple(w.shape) for w in twin.get_weights()]
        if [tuple(w.shape) for w in weights] != shapes:
            raise ModelError(f"layer {layer.name!r} ({type(layer).__name__}) has weights of shapes "
                             f"{[tuple(w.shape) for w in weights]} but its tf_keras twin {shapes}: export it "
                             "post-training (--ptq / qat_epochs=0)")
        twin.set_weights(weights)


def to_tf_keras(model, check: bool = True) -> tf_keras.Model:
    """`model` as a tf_keras functional model: returned as is when it is one already; a Keras 3 functional
    or Sequential model is rebuilt layer by layer with its weights (nested models too). With `check`, both
    run on one random batch and must agree to 1e-4 (relative to the output's range).

    Raises `ModelError` (one line) naming the first layer that does not map, or saying the outputs differ.
    """
    if not is_keras3(model):
        return model
    rebuilt = _rebuild(model)
    if check:
        rng = np.random.default_rng(0)
        batch = [rng.uniform(-1, 1, (2, *t.shape[1:])).astype(np.float32) for t in rebuilt.inputs]
        theirs = np.asarray(model(batch if len(batch) > 1 else batch[0], training=False))
        ours = np.asarray(rebuilt(batch if len(batch) > 1 else batch[0], training=False))
        scale = max(1e-6, float(np.max(np.abs(theirs))))
        if ours.shape != theirs.shape or float(np.max(np.abs(ours - theirs))) > 1e-4 * scale:
            raise ModelError(f"the tf_keras rebuild of {model.name!r} computes something else than the Keras 3 "
                             "model: export it post-training (--ptq / qat_epochs=0)")
    return rebuilt


class _Keras3Callback(tf_keras.callbacks.Callback):
    """A Keras 3 callback (e.g. `keras.callbacks.EarlyStopping`) driven by tf_keras's training loop, which
    expects tf_keras's private hooks; every call is passed on as is."""

    def __init__(self, callback):
        super().__init__()
        self.callback = callback

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.callback.set_params(params)


def _forward(hook: str):
    def call(self, *args, **kwargs):
        return getattr(self.callback, hook)(*args, **kwargs)
    call.__name__ = hook
    return call


for _hook in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
              "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
              "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"):
    setattr(_Keras3Callback, _hook, _forward(_hook))


def tf_keras_callbacks(callbacks) -> list:
    """`callbacks` for a tf_keras training loop: tf_keras ones as they are, Keras 3 ones wrapped."""
    return [c if isinstance(c, tf_keras.callbacks.Callback) else _Keras3Callback(c) for c in callbacks or []]
