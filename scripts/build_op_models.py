"""Build small int8 models that exercise ops beyond the MCUNet ones, with TF's converter from tf_keras.

  python scripts/build_op_models.py [--out_dir=build/op_models] [--models=kws_conv1d,...] [--seed=0]

Each model has seeded random weights and is quantized (mcunet_tf.export.convert_int8, int8 I/O) on generated
representative data; `<name>.tflite` is written once per (name, seed) and kept (delete it to rebuild):
- kws_conv1d: 1 s of 16 kHz audio features (49 frames x 40) through a Conv1D stack and a Dense classifier;
- activations: PReLU (shared over H, W and per element) and LeakyReLU between convolutions (the converter
  keeps ELU in float, DEQUANTIZE-ELU-QUANTIZE, which the engine refuses: float activations);
- gather_slice: tf.gather, strided slicing, tf.stack and tf.split inside the model;
- unet: a small U-Net (Conv2DTranspose, UpSampling2D bilinear, skip concatenations);
- lstm_stack: two stacked LSTM layers (the first returns its sequence, the second its last step) and a Dense
  head, as UNIDIRECTIONAL_SEQUENCE_LSTM ops with their states in variable tensors;
- lstm_sequence: one LSTM returning its whole sequence, then a Dense on every step.
"""
import os
import sys

from absl import flags

import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from tflite_patch.files import atomic_write  # noqa: E402

OUT_DIR = flags.DEFINE_string("out_dir", os.path.join(ROOT, "build", "op_models"), "where the .tflite files go")
MODELS = flags.DEFINE_list("models", None, "models to build (default: all)")
SEED = flags.DEFINE_integer("seed", 0, "weights and data seed")
SAMPLES = 64  # representative inputs


def kws_conv1d(keras, tf):
    x = inputs = keras.Input((49, 40), batch_size=1)
    for filters, stride in ((32, 1), (48, 2), (64, 1), (64, 2)):
        x = keras.layers.Conv1D(filters, 3, strides=stride, padding="same")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, keras.layers.Dense(12)(x))


def activations(keras, tf):
    x = inputs = keras.Input((24, 24, 3), batch_size=1)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = keras.layers.PReLU(shared_axes=[1, 2])(x)
    x = keras.layers.Conv2D(24, 3, padding="same")(x)
    x = keras.layers.LeakyReLU(0.1)(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.PReLU()(x)  # one slope per element
    x = keras.layers.Conv2D(24, 1)(x)
    x = keras.layers.LeakyReLU(0.3)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def gather_slice(keras, tf):
    inputs = keras.Input((20, 32), batch_size=1)
    x = keras.layers.Dense(32)(inputs)
    picked = tf.gather(x, [3, 0, 7, 7, 12, 31, 5, 2], axis=-1)          # (20, 8)
    strided = x[:, 2:18:2, 4:28:3]                                        # (8, 8)
    left, middle, right = tf.split(x[:, :, :24], 3, axis=-1)             # 3 x (20, 8)
    stacked = tf.stack([left, middle, right], axis=1)                     # (3, 20, 8)
    y = keras.layers.Dense(8)(picked[:, :8, :]) + strided
    z = keras.layers.Reshape((3 * 20 * 8,))(stacked)  # static shapes: no SHAPE / REDUCE_PROD ops
    return keras.Model(inputs, keras.layers.Concatenate()([keras.layers.Reshape((64,))(y), z]))


def unet(keras, tf):
    x = inputs = keras.Input((32, 32, 3), batch_size=1)
    skips = []
    for filters in (8, 16):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        skips.append(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same")(x)
    x = keras.layers.Concatenate()([x, skips[1]])
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = keras.layers.UpSampling2D(interpolation="bilinear")(x)
    x = keras.layers.Concatenate()([x, skips[0]])
    return keras.Model(inputs, keras.layers.Conv2D(2, 1)(x))


def lstm_stack(keras, tf):
    x = inputs = keras.Input((12, 10), batch_size=1)
    x = keras.layers.LSTM(16, return_sequences=True)(x)
    x = keras.layers.LSTM(8)(x)
    return keras.Model(inputs, keras.layers.Dense(4)(x))


def lstm_sequence(keras, tf):
    inputs = keras.Input((8, 6), batch_size=1)
    x = keras.layers.LSTM(12, return_sequences=True)(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


BUILDERS = {"kws_conv1d": kws_conv1d, "activations": activations, "gather_slice": gather_slice, "unet": unet,
            "lstm_stack": lstm_stack, "lstm_sequence": lstm_sequence}


def build(name: str, seed: int) -> bytes:
    """The int8 .tflite of model `name`: seeded weights, BatchNorm statistics from the data, int8 PTQ."""
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    from mcunet_tf.export import convert_int8

    keras.utils.set_random_seed(seed)
    model = BUILDERS[name](keras, tf)
    rng = np.random.default_rng(seed)
    data = rng.normal(0, 1, (SAMPLES, *model.input_shape[1:])).astype(np.float32)
    for layer in model.layers:  # BatchNorm statistics of the data, as a trained model would have
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(data, training=True)
    return convert_int8(model, data)


def main(argv):
    del argv
    names = MODELS.value or list(BUILDERS)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        sys.exit(f"error: unknown model {unknown[0]} (one of {', '.join(BUILDERS)})")
    os.makedirs(OUT_DIR.value, exist_ok=True)
    for name in names:
        path = os.path.join(OUT_DIR.value, f"{name}.tflite")
        if os.path.exists(path):
            print(f"{path}: present")
            continue
        atomic_write(path, build(name, SEED.value))
        print(f"{path}: built")


if __name__ == "__main__":
    cli.run(main)
