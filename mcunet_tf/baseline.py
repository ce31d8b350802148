"""The baseline TinyNAS must beat: MobileNetV2 scaled by width multiplier and input resolution.

MCUNet compares TinyNAS against MobileNetV2 (and ProxylessNAS) scaled down until it fits the device. Here
the scaling grid is searched with the same cost model TinyNAS uses (our planner's SRAM, Flash of the
generated code), every fitting point is trained from scratch for as many epochs as the TinyNAS subnet saw
(supernet + fine-tuning), and the best validation accuracy is the baseline's figure.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable, Sequence

import numpy as np

from mcunet_tf.space import BlockConfig, SubnetConfig, make_divisible

# MobileNetV2 (Sandler et al. 2018, Table 2): (expand ratio t, base channels c, repeats n, first stride s).
MOBILENETV2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                      (6, 160, 3, 2), (6, 320, 1, 1))
MOBILENETV2_FIRST_CONV = 32
MOBILENETV2_FEATURE_MIX = 1280


def mobilenetv2(width_multiplier: float, resolution: int, num_classes: int = 1000, in_channels: int = 3
                ) -> SubnetConfig:
    """MobileNetV2 at `width_multiplier` (every width, the 1280-channel feature mix included, scaled and
    rounded to a multiple of 8 as in MCUNet's mbv2-w0.35 config) and input `resolution`; 3x3 kernels."""
    def width(base: int) -> int:
        return make_divisible(base * width_multiplier, 8)

    channels = first = width(MOBILENETV2_FIRST_CONV)
    blocks = []
    for t, c, n, s in MOBILENETV2_STAGES:
        out_channels = width(c)
        for i in range(n):
            stride = s if i == 0 else 1
            blocks.append(BlockConfig(kernel_size=3, expand_ratio=t, out_channels=out_channels, stride=stride,
                                      residual=stride == 1 and channels == out_channels))
            channels = out_channels
    return SubnetConfig(resolution=resolution, first_conv_channels=first, blocks=blocks,
                        feature_mix_channels=width(MOBILENETV2_FEATURE_MIX), num_classes=num_classes,
                        in_channels=in_channels)


@dataclasses.dataclass
class BaselinePoint:
    """One (width multiplier, resolution) point of the grid, its cost and (once trained) its accuracy."""
    width: float
    resolution: int
    macs: int
    sram_bytes: int
    flash_bytes: int
    fits: bool
    val_accuracy: float | None = None
    seconds: float | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def baseline_grid(budget, widths: Sequence[float], resolutions: Sequence[int], num_classes: int,
                  in_channels: int = 3) -> list[BaselinePoint]:
    """Cost every MobileNetV2 (width, resolution) of the grid with TinyNAS's cost model; `fits` tells
    which are within `budget` (a `mcunet_tf.cost.Budget`)."""
    from mcunet_tf.cost import subnet_cost

    points = []
    for w in widths:
        for r in resolutions:
            cost = subnet_cost(mobilenetv2(w, r, num_classes, in_channels), budget.clock_mhz)
            points.append(BaselinePoint(width=float(w), resolution=int(r), macs=cost.macs,
                                        sram_bytes=cost.sram_bytes, flash_bytes=cost.flash_bytes,
                                        fits=budget.fits(cost)))
    return points


def train_from_scratch(cfg: SubnetConfig, train: tuple[np.ndarray, np.ndarray],
                       val: tuple[np.ndarray, np.ndarray], epochs: int, batch_size: int = 64,
                       learning_rate: float = 3e-3, seed: int = 0):
    """Train `cfg` from Keras' default initialisation with Adam (cosine decay from `learning_rate`, the
    supernet's schedule), re-calibrate BatchNorm on the training images, and return (model,
    validation accuracy)."""
    import tf_keras as keras

    from mcunet_tf import zoo
    from mcunet_tf.tuner import evaluate

    keras.utils.set_random_seed(seed)
    (x, y), (xv, yv) = train, val
    model = zoo.build_keras_model(cfg, name="mobilenetv2")
    steps = max(1, epochs * max(1, len(x) // batch_size))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    zoo.calibrate_batchnorm(model, x[:500])
    return model, evaluate(model, xv, yv)["val_accuracy"]


def train_fitting(points: list[BaselinePoint], load_data: Callable[[int], tuple], num_classes: int,
                  epochs: int, seed: int = 0, log: Callable[[str], None] = print) -> BaselinePoint | None:
    """Train every fitting point (data from `load_data(resolution)`), fill in its accuracy, and return the
    most accurate one (None when nothing fits)."""
    fitting = [p for p in points if p.fits]
    for n, p in enumerate(fitting, 1):
        start = time.time()
        train, val = load_data(p.resolution)
        cfg = mobilenetv2(p.width, p.resolution, num_classes, in_channels=train[0].shape[-1])
        _, p.val_accuracy = train_from_scratch(cfg, train, val, epochs, seed=seed)
        p.seconds = round(time.time() - start, 1)
        log(f"baseline {n}/{len(fitting)}: MobileNetV2 w{p.width:g} r{p.resolution}: {p.macs / 1e6:.2f}M MACs, "
            f"SRAM {p.sram_bytes / 1024:.1f} kB, Flash {p.flash_bytes / 1024:.1f} kB, "
            f"val_accuracy {p.val_accuracy:.4f} ({p.seconds:.0f} s)")
    return max(fitting, key=lambda p: p.val_accuracy, default=None)


def format_grid(points: list[BaselinePoint]) -> str:
    """The grid as a table: cost, whether it fits, accuracy of the trained points."""
    rows = [f"{'width':>6} {'res':>4} {'MACs':>8} {'SRAM kB':>8} {'Flash kB':>9} {'fits':>5} {'val_acc':>8}"]
    for p in points:
        acc = "-" if p.val_accuracy is None else f"{p.val_accuracy:.4f}"
        rows.append(f"{p.width:>6g} {p.resolution:>4} {p.macs / 1e6:>7.2f}M {p.sram_bytes / 1024:>8.1f} "
                    f"{p.flash_bytes / 1024:>9.1f} {'yes' if p.fits else 'no':>5} {acc:>8}")
    return "\n".join(rows)
