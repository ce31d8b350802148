"""The MCUNet search space: concrete networks (`SubnetConfig`) and the space they are drawn from.

A subnet is a MobileNetV2-style chain of inverted residual blocks:

    first conv 3x3/2 + BN + ReLU6
    blocks: [1x1 expand + BN + ReLU6]  (absent when expand_ratio == 1)
            kxk depthwise /s + BN + ReLU6
            1x1 project + BN           (linear)
            + identity shortcut         (when residual)
    [feature mix 1x1 + BN + ReLU6]
    global average pool, Dense classifier

`layers(cfg)` lists the compute layers with their shapes; `count_macs` and `count_params` are sums over it,
so they never need TensorFlow. Spatial sizes follow TF 'same' / PyTorch k//2 padding: out = ceil(in / stride).
Everything here is plain Python and round-trips through JSON.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import random
from typing import Any, Sequence

import numpy as np


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round `value` to a multiple of `divisor`, never going more than 10% below it (MobileNet rule)."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


# ----------------------------------------------------------------------------------------------- subnets
@dataclasses.dataclass
class BlockConfig:
    """One inverted residual block.

    `mid_channels` is the width of the expanded (depthwise) feature map; None means
    `round(in_channels * expand_ratio)`, the ProxylessNAS default. Published MCUNet configs state it
    explicitly, so it is kept as given.
    """
    kernel_size: int
    expand_ratio: float
    out_channels: int
    stride: int = 1
    residual: bool = False
    mid_channels: int | None = None

    def mid(self, in_channels: int) -> int:
        """Channels of the depthwise conv for a block fed `in_channels` channels."""
        if self.expand_ratio == 1:
            return in_channels
        if self.mid_channels is not None:
            return int(self.mid_channels)
        return int(round(in_channels * self.expand_ratio))


@dataclasses.dataclass
class SubnetConfig:
    """A concrete network: everything needed to build it, count its MACs or plan its memory."""
    resolution: int
    first_conv_channels: int
    blocks: list[BlockConfig]
    feature_mix_channels: int | None = None
    num_classes: int = 1000
    in_channels: int = 3

    def __post_init__(self):
        self.blocks = [b if isinstance(b, BlockConfig) else BlockConfig(**b) for b in self.blocks]
        self.validate()

    def validate(self) -> None:
        """Raise ValueError when a residual block cannot have an identity shortcut."""
        channels = self.first_conv_channels
        for i, block in enumerate(self.blocks):
            if block.residual and (block.stride != 1 or block.out_channels != channels):
                raise ValueError(f"block {i}: residual needs stride 1 and in == out channels "
                                 f"(stride {block.stride}, {channels} -> {block.out_channels})")
            if block.kernel_size % 2 != 1 or block.stride not in (1, 2):
                raise ValueError(f"block {i}: kernel {block.kernel_size} / stride {block.stride} not supported")
            channels = block.out_channels

    # JSON -----------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, indent: int | None = None) -> str:
        """This config as a JSON string; `SubnetConfig.from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SubnetConfig":
        return cls(**{**d, "blocks": [BlockConfig(**b) for b in d["blocks"]]})

    @classmethod
    def from_json(cls, text: str) -> "SubnetConfig":
        """Inverse of `to_json`."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_proxyless_json(cls, path_or_dict: str | os.PathLike | dict) -> "SubnetConfig":
        """Read a ProxylessNAS / MCUNet network JSON (`first_conv`, `blocks`, `feature_mix_layer`, ...).

        Blocks whose conv is a `ZeroLayer` (skipped by the search) are identities and are dropped.
        """
        if isinstance(path_or_dict, dict):
            d = path_or_dict
        else:
            with open(path_or_dict) as f:
                d = json.load(f)
        first = d["first_conv"]
        if (first["kernel_size"], first["stride"]) != (3, 2):
            raise ValueError(f"first conv {first['kernel_size']}x{first['kernel_size']}/{first['stride']} "
                             "is not 3x3/2")
        blocks = []
        for b in d["blocks"]:
            conv = b["mobile_inverted_conv"]
            if conv["name"] == "ZeroLayer":
                continue
            if conv["name"] != "MBInvertedConvLayer":
                raise ValueError(f"unsupported block conv {conv['name']}")
            if conv.get("use_se") or conv.get("act_func", "relu6") != "relu6":
                raise ValueError("only relu6 blocks without squeeze-excite are supported")
            blocks.append(BlockConfig(
                kernel_size=int(conv["kernel_size"]), expand_ratio=conv["expand_ratio"],
                out_channels=int(conv["out_channels"]), stride=int(conv["stride"]),
                residual=b.get("shortcut") is not None,
                mid_channels=None if conv.get("mid_channels") is None else int(conv["mid_channels"])))
        mix = d.get("feature_mix_layer")
        return cls(resolution=int(d["resolution"]), first_conv_channels=int(first["out_channels"]),
                   blocks=blocks, feature_mix_channels=None if mix is None else int(mix["out_channels"]),
                   num_classes=int(d["classifier"]["out_features"]),
                   in_channels=int(first.get("in_channels", 3)))


# ------------------------------------------------------------------------------------- analytic layers
@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer of a subnet with its shapes (NHWC without N).

    kind: "conv" (incl. 1x1), "depthwise", "add", "pool" (global average), "dense".
    `pad` is the explicit (top, bottom, left, right) zero padding in front of a strided conv (a Keras
    ZeroPadding2D); stride-1 convs use 'same' padding inside the conv and have pad None. The TFLite converter
    folds a PAD into the conv when TF 'SAME' pads the same way (odd input sizes, stride 2), so only layers with
    `needs_pad_op` keep a PAD op in the .tflite.
    """
    name: str
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    kernel_size: int = 1
    stride: int = 1
    pad: tuple[int, int, int, int] | None = None
    bias: bool = False

    @property
    def needs_pad_op(self) -> bool:
        """True when the converted .tflite has a PAD op in front of this layer."""
        if self.pad is None:
            return False
        same_total = max((self.out_shape[0] - 1) * self.stride + self.kernel_size - self.in_shape[0], 0)
        same = (same_total // 2, same_total - same_total // 2)
        return same != self.pad[:2]

    @property
    def macs(self) -> int:
        if self.kind == "conv":
            h, w, c = self.out_shape
            return h * w * c * self.kernel_size ** 2 * self.in_shape[-1]
        if self.kind == "depthwise":
            h, w, c = self.out_shape
            return h * w * c * self.kernel_size ** 2
        if self.kind == "dense":
            return self.in_shape[-1] * self.out_shape[-1]
        return 0

    @property
    def params(self) -> int:
        """Trainable parameters: weights, plus the BN scale and offset of convs, plus Dense bias."""
        if self.kind == "conv":
            return self.kernel_size ** 2 * self.in_shape[-1] * self.out_shape[-1] + 2 * self.out_shape[-1]
        if self.kind == "depthwise":
            return self.kernel_size ** 2 * self.out_shape[-1] + 2 * self.out_shape[-1]
        if self.kind == "dense":
            return self.in_shape[-1] * self.out_shape[-1] + self.out_shape[-1]
        return 0


def _conv(name: str, kind: str, shape: tuple[int, int, int], out_channels: int, k: int, s: int) -> Layer:
    h, w, c = shape
    out = (math.ceil(h / s), math.ceil(w / s), out_channels)
    pad = (k // 2,) * 4 if s > 1 else None
    return Layer(name, kind, shape, out, k, s, pad)


def layers(cfg: SubnetConfig) -> list[Layer]:
    """The compute layers of `cfg` in execution order (BN and ReLU6 are folded into the convs)."""
    r = cfg.resolution
    out = [_conv("first_conv", "conv", (r, r, cfg.in_channels), cfg.first_conv_channels, 3, 2)]
    shape = out[-1].out_shape
    for i, b in enumerate(cfg.blocks):
        block_in = shape
        mid = b.mid(shape[-1])
        if b.expand_ratio != 1:
            out.append(_conv(f"block{i}_expand", "conv", shape, mid, 1, 1))
            shape = out[-1].out_shape
        out.append(_conv(f"block{i}_depthwise", "depthwise", shape, mid, b.kernel_size, b.stride))
        out.append(_conv(f"block{i}_project", "conv", out[-1].out_shape, b.out_channels, 1, 1))
        shape = out[-1].out_shape
        if b.residual:
            out.append(Layer(f"block{i}_add", "add", block_in, shape))
    if cfg.feature_mix_channels:
        out.append(_conv("feature_mix", "conv", shape, cfg.feature_mix_channels, 1, 1))
        shape = out[-1].out_shape
    out.append(Layer("pool", "pool", shape, (shape[-1],)))
    out.append(Layer("classifier", "dense", (shape[-1],), (cfg.num_classes,), bias=True))
    return out


def count_macs(cfg: SubnetConfig) -> int:
    """Multiply-accumulates of one inference: convs (h*w*c_out*k*k*c_in/groups) and the classifier."""
    return sum(layer.macs for layer in layers(cfg))


def count_params(cfg: SubnetConfig) -> int:
    """Trainable parameters (conv weights, BN scale/offset, classifier weights and bias)."""
    return sum(layer.params for layer in layers(cfg))


# ---------------------------------------------------------------------------------------- search space
@dataclasses.dataclass
class StageSpace:
    """A stage: `depth` blocks of width make_divisible(base_width * w); the first has `stride`.

    kernel/expand choices of None mean the space-wide choices.
    """
    base_width: int
    stride: int
    depth_choices: tuple[int, ...] = (2, 3, 4)
    kernel_choices: tuple[int, ...] | None = None
    expand_choices: tuple[float, ...] | None = None

    def __post_init__(self):
        self.depth_choices = tuple(self.depth_choices)
        if self.kernel_choices is not None:
            self.kernel_choices = tuple(self.kernel_choices)
        if self.expand_choices is not None:
            self.expand_choices = tuple(self.expand_choices)


def _choice(rng, options: Sequence):
    if rng is min:
        return min(options)
    if hasattr(rng, "integers"):  # numpy Generator
        return options[int(rng.integers(len(options)))]
    return rng.choice(list(options))


# What the fields of a `SearchSpace.mcunet` hold while TinyNAS has not chosen them (MCUNet's defaults).
OPEN_AXES_DEFAULTS = {"width_multiplier": 0.5, "resolution": 160, "num_classes": 1000, "in_channels": 3}


@dataclasses.dataclass
class SearchSpace:
    """TinyNAS search space at one (width multiplier, resolution) point.

    MCUNet first picks the space (`width_multiplier`, `resolution`) so that its FLOPs distribution fits the
    device, then samples subnets inside it: per stage a depth, per block a kernel size and an expand ratio.

    `open_axes` names the fields the user left to TinyNAS (`SearchSpace.mcunet` without them): `TinyNAS`
    takes `in_channels` and `num_classes` from the data and `width_multiplier` and `resolution` from stage 1
    (`mcunet_tf.complete_space`). Until then the fields hold MCUNet's defaults, so the space still samples.
    """
    stages: list[StageSpace]
    first_conv_base_width: int = 32
    kernel_choices: tuple[int, ...] = (3, 5, 7)
    expand_choices: tuple[float, ...] = (3, 4, 6)
    width_multiplier: float = 1.0
    resolution: int = 160
    feature_mix_base_width: int | None = None
    num_classes: int = 1000
    in_channels: int = 3
    open_axes: tuple[str, ...] = ()

    def __post_init__(self):
        self.stages = [s if isinstance(s, StageSpace) else StageSpace(**s) for s in self.stages]
        self.open_axes = tuple(self.open_axes)
        unknown = set(self.open_axes) - set(OPEN_AXES_DEFAULTS)
        if unknown:
            raise ValueError(f"open_axes may name {', '.join(OPEN_AXES_DEFAULTS)}, not {', '.join(sorted(unknown))}")
        self.kernel_choices = tuple(self.kernel_choices)
        self.expand_choices = tuple(self.expand_choices)

    @classmethod
    def mcunet(cls, width_multiplier: float | None = None, resolution: int | None = None,
               num_classes: int | None = None, **overrides) -> "SearchSpace":
        """The MCUNet (OFA ProxylessNAS-based) space.

        Base widths 32 | 16 | 24 40 80 96 192 | 320 with strides 2 | 1 | 2 2 2 1 2 | 1: a fixed 3x3 expand-1
        first block, five searched stages of depth {2,3,4}, and one searched last block; no feature mix.
        Width 0.5 reproduces the channel counts of mcunet-in1/in2/in3, 0.6 mcunet-in0, 1.0 mcunet-in4.
        `width_multiplier`, `resolution`, `num_classes` and `in_channels` left out are `open_axes`.
        """
        stages = [StageSpace(16, 1, (1,), (3,), (1,))]
        stages += [StageSpace(w, s) for w, s in [(24, 2), (40, 2), (80, 2), (96, 1), (192, 2)]]
        stages += [StageSpace(320, 1, (1,))]
        given = {"width_multiplier": width_multiplier, "resolution": resolution, "num_classes": num_classes,
                 "in_channels": overrides.pop("in_channels", None)}
        open_axes = tuple(name for name, value in given.items() if value is None)
        values = {name: OPEN_AXES_DEFAULTS[name] if value is None else value for name, value in given.items()}
        return cls(stages=stages, **values, open_axes=open_axes, **overrides)

    def fill(self, **values) -> "SearchSpace":
        """This space with `values` for some of its `open_axes` (those are no longer open)."""
        unknown = set(values) - set(self.open_axes)
        if unknown:
            raise ValueError(f"{', '.join(sorted(unknown))} of this search space are given, not open")
        return dataclasses.replace(self, **values, open_axes=tuple(a for a in self.open_axes if a not in values))

    def width(self, base_width: int) -> int:
        return make_divisible(base_width * self.width_multiplier, 8)

    def sample(self, rng: random.Random | np.random.Generator | int | None = None) -> SubnetConfig:
        """A random subnet of this space (uniform per decision). `rng` may be a seed, or `min` for the
        least subnet (every depth, kernel size and expand ratio at its smallest choice)."""
        if rng is None or isinstance(rng, int):
            rng = random.Random(rng)
        channels = self.width(self.first_conv_base_width)
        first = channels
        blocks = []
        for stage in self.stages:
            out_channels = self.width(stage.base_width)
            depth = _choice(rng, stage.depth_choices)
            for i in range(depth):
                stride = stage.stride if i == 0 else 1
                blocks.append(BlockConfig(
                    kernel_size=int(_choice(rng, stage.kernel_choices or self.kernel_choices)),
                    expand_ratio=_choice(rng, stage.expand_choices or self.expand_choices),
                    out_channels=out_channels, stride=stride,
                    residual=stride == 1 and channels == out_channels))
                channels = out_channels
        mix = self.width(self.feature_mix_base_width) if self.feature_mix_base_width else None
        return SubnetConfig(resolution=self.resolution, first_conv_channels=first, blocks=blocks,
                            feature_mix_channels=mix, num_classes=self.num_classes,
                            in_channels=self.in_channels)

    # JSON -----------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, indent: int | None = None) -> str:
        """This space as a JSON string; `SearchSpace.from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SearchSpace":
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> "SearchSpace":
        """Inverse of `to_json`."""
        return cls.from_dict(json.loads(text))
