"""Tiny .tflite models made with the real TFLite converter, for tests of single behaviours."""
import numpy as np


def _tf():
    import os
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf
    import tf_keras as keras
    return tf, keras


def convert(model, input_shape, int8=True, seed=0, io_dtype="int8"):
    """Convert a tf_keras model; full-integer int8 with a random representative set unless int8=False."""
    tf, _ = _tf()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        rng = np.random.default_rng(seed)

        def representative():
            for _ in range(16):
                yield [rng.uniform(-1, 1, size=(1,) + tuple(input_shape)).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_dtype == "int8":
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    return converter.convert()


def pad_conv_model(padding, stride=2, size=16, channels=3, filters=8, kernel=3, seed=0):
    """ZeroPadding2D(padding) followed by a VALID Conv2D: converts to PAD + CONV_2D."""
    _, keras = _tf()
    keras.utils.set_random_seed(seed)
    x = keras.Input((size, size, channels))
    y = keras.layers.ZeroPadding2D(padding)(x)
    y = keras.layers.Conv2D(filters, kernel, strides=stride, padding="valid", activation="relu")(y)
    y = keras.layers.DepthwiseConv2D(3, padding="same")(y)
    return convert(keras.Model(x, y), (size, size, channels), seed=seed)


def float_model():
    _, keras = _tf()
    x = keras.Input((8,))
    return convert(keras.Model(x, keras.layers.Dense(4)(x)), (8,), int8=False)


def tiny_cnn_model(seed=0):
    """An 8x8x1 digits-sized CNN small enough for an ATmega2560 (8 kB SRAM): conv, depthwise,
    pointwise, global average pool, dense, softmax."""
    _, keras = _tf()
    keras.utils.set_random_seed(seed)
    x = keras.Input((8, 8, 1))
    y = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    y = keras.layers.Conv2D(16, 1, activation="relu6")(y)
    y = keras.layers.GlobalAveragePooling2D()(y)
    y = keras.layers.Dense(10)(y)
    y = keras.layers.Softmax()(y)
    return convert(keras.Model(x, y), (8, 8, 1), seed=seed)


def patch_stage_model(size=23, seed=0, io_dtype="int8", width=8, first_stride=2):
    """Every op kind the patch stage runs, on an odd-sized input (uneven patches): a SAME conv (stride
    `first_stride`, `width` channels), depthwise (stride 1 and 2), a residual ADD, a PAD folded into a conv
    and one that is not (before a max pool), an average pool, then a head that only runs layer by layer.
    Wide and at stride 1, its first tensors dominate the RAM, as in MobileNets: there patching pays."""
    _, keras = _tf()
    keras.utils.set_random_seed(seed)
    x = keras.Input((size, size, 3))
    y = keras.layers.Conv2D(width, 3, strides=first_stride, padding="same", activation="relu6")(x)
    r = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    r = keras.layers.Conv2D(width, 1)(r)
    y = keras.layers.Add()([y, r])
    y = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(y)
    y = keras.layers.ZeroPadding2D(((1, 0), (0, 1)))(y)
    y = keras.layers.Conv2D(12, 3, padding="valid", activation="relu")(y)
    y = keras.layers.ZeroPadding2D(((0, 1), (1, 1)))(y)
    y = keras.layers.MaxPooling2D(2, strides=1)(y)
    y = keras.layers.AveragePooling2D(3, strides=1, padding="same")(y)
    y = keras.layers.Conv2D(16, 1, activation="relu6")(y)
    y = keras.layers.GlobalAveragePooling2D()(y)
    y = keras.layers.Dense(10)(y)
    return convert(keras.Model(x, y), (size, size, 3), seed=seed, io_dtype=io_dtype)


def conv1d_model(seed=0):
    """Keras Conv1D layers (EXPAND_DIMS + CONV_2D + RESHAPE), a strided slice, a split, REDUCE_MAX and SUM:
    what the converter makes of a small 1-D signal model."""
    tf, keras = _tf()
    keras.utils.set_random_seed(seed)
    x = keras.Input((32, 4))
    y = keras.layers.Conv1D(8, 3, activation="relu")(x)
    y = keras.layers.Lambda(lambda t: t[:, 1:-1:2, :])(y)
    a, b = keras.layers.Lambda(lambda t: tf.split(t, 2, axis=-1))(y)
    y = keras.layers.Concatenate()([b, a])
    y = keras.layers.Conv1D(6, 3, strides=2, padding="same")(y)
    pooled = keras.layers.GlobalMaxPooling1D()(y)
    summed = keras.layers.Lambda(lambda t: tf.reduce_sum(t, axis=1))(y)
    out = keras.layers.Dense(5)(keras.layers.Concatenate()([pooled, summed]))
    return convert(keras.Model(x, out), (32, 4), seed=seed)
