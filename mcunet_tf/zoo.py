"""Build tf_keras models from `SubnetConfig`s, give them weights, and calibrate their BatchNorm.

The Keras graph mirrors `space.layers(cfg)` one to one: every strided conv is an explicit
`ZeroPadding2D(k // 2)` + 'valid' conv (PyTorch-style symmetric padding, so the converted .tflite has PAD
ops like the real MCUNet models), every stride-1 conv is 'same'.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from mcunet_tf.space import SubnetConfig  # noqa: E402

BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99


def _bn(x, name: str):
    return keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)(x)


def _relu6(x, name: str):
    return keras.layers.ReLU(6.0, name=name)(x)


def _padded(x, kernel_size: int, stride: int, name: str):
    """Explicit symmetric k//2 zero padding in front of a strided conv; returns (x, keras padding mode)."""
    if stride == 1:
        return x, "same"
    return keras.layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x), "valid"


def _conv_bn(x, filters: int, kernel_size: int, stride: int, name: str, relu6: bool = True):
    x, padding = _padded(x, kernel_size, stride, name)
    x = keras.layers.Conv2D(filters, kernel_size, strides=stride, padding=padding, use_bias=False,
                            name=name)(x)
    x = _bn(x, f"{name}_bn")
    return _relu6(x, f"{name}_relu6") if relu6 else x


def _depthwise_bn(x, kernel_size: int, stride: int, name: str):
    x, padding = _padded(x, kernel_size, stride, name)
    x = keras.layers.DepthwiseConv2D(kernel_size, strides=stride, padding=padding, use_bias=False,
                                     name=name)(x)
    return _relu6(_bn(x, f"{name}_bn"), f"{name}_relu6")


def build_keras_model(cfg: SubnetConfig, name: str = "mcunet") -> keras.Model:
    """The functional tf_keras model of `cfg`: NHWC float input (resolution, resolution, in_channels),
    logits output (num_classes). Weights are Keras' default initialisation; see `random_init`."""
    inputs = keras.Input((cfg.resolution, cfg.resolution, cfg.in_channels), name="image")
    x = _conv_bn(inputs, cfg.first_conv_channels, 3, 2, "first_conv")
    for i, block in enumerate(cfg.blocks):
        shortcut = x
        mid = block.mid(int(x.shape[-1]))
        if block.expand_ratio != 1:
            x = _conv_bn(x, mid, 1, 1, f"block{i}_expand")
        x = _depthwise_bn(x, block.kernel_size, block.stride, f"block{i}_depthwise")
        x = _conv_bn(x, block.out_channels, 1, 1, f"block{i}_project", relu6=False)
        if block.residual:
            x = keras.layers.Add(name=f"block{i}_add")([shortcut, x])
    if cfg.feature_mix_channels:
        x = _conv_bn(x, cfg.feature_mix_channels, 1, 1, "feature_mix")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(cfg.num_classes, name="classifier")(x)
    return keras.Model(inputs, outputs, name=name)


def count_model_macs(model: keras.Model) -> int:
    """MACs of a built model, layer by layer (Conv2D, DepthwiseConv2D, Dense; everything else is free)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):  # test first, in case it is a Conv2D subclass
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * c * kh * kw
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * c * kh * kw * layer.input.shape[-1] // layer.groups
        elif isinstance(layer, keras.layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)


def _feeds_add(layer: keras.layers.Layer) -> bool:
    return any(isinstance(node.outbound_layer, keras.layers.Add) for node in layer.outbound_nodes)


def random_init(model: keras.Model, seed: int = 0, residual_gain: float = 0.25) -> keras.Model:
    """Give every layer reproducible random weights (numpy RNG, independent of TF's global seed).

    Conv / Dense kernels: He-normal (fan-in); depthwise kernels are its positive part (sparse non-negative
    smoothing filters, closer to trained ones than zero-mean noise); BN scale ~ U(0.5, 1.5) and offset
    ~ U(-0.25, 0.25), the scale multiplied by `residual_gain` on BNs that feed an Add (residual branches
    small next to the identity, as in trained nets); moving mean 0, variance 1 (run `calibrate_batchnorm`
    afterwards); biases 0.
    A fully random deep net is chaotic (int8 noise grows layer by layer); these two choices keep the int8
    model's logits close to the float ones (correlation 0.95-0.97 instead of 0.6-0.8 on the MCUNet configs).
    Returns `model` for chaining.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            gamma = rng.uniform(0.5, 1.5, c) * (residual_gain if _feeds_add(layer) else 1.0)
            layer.set_weights([gamma, rng.uniform(-0.25, 0.25, c), np.zeros(c), np.ones(c)])
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)):
            weights = []
            for w in layer.get_weights():
                if w.ndim == 1:  # bias
                    weights.append(np.zeros_like(w))
                elif isinstance(layer, keras.layers.DepthwiseConv2D):
                    std = np.sqrt(2.0 / (w.shape[0] * w.shape[1]))
                    weights.append(np.maximum(rng.normal(0.0, std, w.shape), 0.0).astype(np.float32))
                else:
                    std = np.sqrt(2.0 / int(np.prod(w.shape[:-1])))
                    weights.append(rng.normal(0.0, std, w.shape).astype(np.float32))
            layer.set_weights(weights)
    return model


def calibrate_batchnorm(model: keras.Model, x: np.ndarray, batch_size: int = 64) -> keras.Model:
    """Set every BatchNormalization layer's moving mean and variance to the statistics of its input on `x`.

    One pass in training mode: each BN then normalises with the batch statistics of `x`, which is exactly
    what it does in inference mode once its moving statistics are those statistics, so every BN sees the
    input it will see after calibration. Statistics of batches of `batch_size` are averaged (the variance
    via E[v] + Var[mean]). Also the way to re-calibrate a subnet extracted from a weight-sharing supernet.
    Returns `model`.
    """
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        return model
    probe = keras.Model(model.inputs, [bn.input for bn in bns])

    @tf.function
    def moments(batch):
        outs = probe(batch, training=True)
        stats = []
        for out in outs:
            mean, var = tf.nn.moments(out, axes=list(range(len(out.shape) - 1)))
            stats.append((mean, var + tf.square(mean)))  # E[x], E[x^2]
        return stats

    x = np.asarray(x, np.float32)
    sums = None
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size]
        stats = [(m.numpy() * len(batch), s.numpy() * len(batch)) for m, s in moments(tf.constant(batch))]
        sums = stats if sums is None else [(a + m, b + s) for (a, b), (m, s) in zip(sums, stats)]
    for bn, (mean_sum, sq_sum) in zip(bns, sums):
        mean = mean_sum / len(x)
        var = np.maximum(sq_sum / len(x) - mean ** 2, 0.0)
        gamma, beta = bn.gamma.numpy(), bn.beta.numpy()
        bn.set_weights([gamma, beta, mean, var])
    return model


def random_images(count: int, resolution: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Image-like float inputs in [-1, 1]: smooth random fields (bilinear upsampling of an 8x8 grid) plus
    a little pixel noise, so that spatial statistics look like photos rather than white noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-1.0, 1.0, (count, 8, 8, channels)).astype(np.float32)
    smooth = tf.image.resize(coarse, (resolution, resolution), method="bilinear").numpy()
    noisy = smooth + rng.normal(0.0, 0.1, smooth.shape).astype(np.float32)
    return np.clip(noisy, -1.0, 1.0).astype(np.float32)


def build_random_model(cfg: SubnetConfig, seed: int = 0, calibration_images: int = 32) -> keras.Model:
    """`build_keras_model` + `random_init(seed)` + `calibrate_batchnorm` on `random_images`: a model with
    realistic activation ranges, ready for int8 conversion."""
    model = random_init(build_keras_model(cfg), seed)
    images = random_images(calibration_images, cfg.resolution, cfg.in_channels, seed=seed + 1)
    return calibrate_batchnorm(model, images, batch_size=16)
