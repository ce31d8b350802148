"""mcunet_tf.space: configs, JSON round trips, the published MCUNet configs' MACs, the search space."""
import glob
import os
import random

import numpy as np
import pytest

from conftest import SHARED_MODELS
from mcunet_tf.space import (BlockConfig, SearchSpace, StageSpace, SubnetConfig, count_macs, count_params,
                             layers, make_divisible)

CONFIG_DIR = os.path.join(SHARED_MODELS, "mcunet_configs")
# /work/shared/models/README.md: published MACs and params (millions, rounded to 0.1 / 0.01).
PUBLISHED = {
    "mcunet-10fps_imagenet": (6.4, 0.75),
    "mcunet-5fps_imagenet": (12.8, 0.64),
    "mcunet-256kb-1mb_imagenet": (67.3, 0.73),
    "mcunet-320kb-1mb_imagenet": (81.8, 0.74),
    "mcunet-512kb-2mb_imagenet": (125.9, 1.73),
    "mbv2-w0.35-r144_imagenet": (23.5, 0.75),
    "proxyless-w0.3-r176_imagenet": (38.3, 0.75),
}


def published_config(stem):
    return SubnetConfig.from_proxyless_json(os.path.join(CONFIG_DIR, stem + ".json"))


def tiny_config():
    return SubnetConfig(resolution=9, first_conv_channels=8, num_classes=10, feature_mix_channels=32, blocks=[
        BlockConfig(3, 1, 8, 1, residual=True),
        BlockConfig(5, 3, 16, 2),
        BlockConfig(7, 4, 16, 1, residual=True, mid_channels=40),
    ])


def test_all_published_configs_are_here():
    assert sorted(PUBLISHED) == sorted(os.path.basename(p)[:-5] for p in glob.glob(f"{CONFIG_DIR}/*.json"))


@pytest.mark.parametrize("stem", sorted(PUBLISHED))
def test_published_macs_and_params(stem):
    cfg = published_config(stem)
    macs, params = PUBLISHED[stem]
    assert round(count_macs(cfg) / 1e6, 1) == macs
    assert round(count_params(cfg) / 1e6, 2) == params


@pytest.mark.parametrize("stem", sorted(PUBLISHED))
def test_subnet_json_round_trip(stem):
    cfg = published_config(stem)
    again = SubnetConfig.from_json(cfg.to_json())
    assert again == cfg
    assert again.to_json() == cfg.to_json()
    assert isinstance(again.blocks[0], BlockConfig)


def test_proxyless_details():
    in0 = published_config("mcunet-10fps_imagenet")
    assert (in0.resolution, in0.first_conv_channels, in0.feature_mix_channels, in0.num_classes) == (48, 24, None, 1000)
    assert in0.blocks[1] == BlockConfig(5, 4, 16, 2, residual=False, mid_channels=64)
    assert in0.blocks[2].residual
    proxyless = published_config("proxyless-w0.3-r176_imagenet")
    assert len(proxyless.blocks) == 20  # two ZeroLayer blocks (skipped by the search) are dropped
    assert proxyless.feature_mix_channels == 384
    mbv2 = published_config("mbv2-w0.35-r144_imagenet")
    assert mbv2.blocks[1].mid_channels is None and mbv2.blocks[1].mid(8) == 48


def test_count_macs_by_hand():
    cfg = tiny_config()
    # first conv 9 -> 5: 5*5*8*9*3; block0 dw 3x3 on 8 + project 8->8; block1 expand 8->24 (5x5), dw 5x5/2
    # -> 3x3, project 24->16; block2 expand 16->40, dw 7x7, project 40->16; mix 16->32; classifier 32->10.
    expected = (25 * 8 * 27 + 25 * 8 * 9 + 25 * 8 * 8 + 25 * 24 * 8 + 9 * 24 * 25 + 9 * 16 * 24
                + 9 * 40 * 16 + 9 * 40 * 49 + 9 * 16 * 40 + 9 * 32 * 16 + 32 * 10)
    assert count_macs(cfg) == expected
    kinds = [layer.kind for layer in layers(cfg)]
    assert kinds == ["conv", "depthwise", "conv", "add", "conv", "depthwise", "conv", "conv", "depthwise",
                     "conv", "add", "conv", "pool", "dense"]
    strided = [layer for layer in layers(cfg) if layer.stride == 2]
    assert [(layer.name, layer.pad) for layer in strided] == [("first_conv", (1, 1, 1, 1)),
                                                             ("block1_depthwise", (2, 2, 2, 2))]
    # Odd input sizes: TF 'SAME' pads k//2 on both sides too, so the converter folds the PAD away.
    assert [layer.needs_pad_op for layer in strided] == [False, False]
    even = layers(SubnetConfig(resolution=10, first_conv_channels=8, blocks=[BlockConfig(5, 3, 8, 2)]))
    assert [layer.needs_pad_op for layer in even if layer.stride == 2] == [True, False]  # 10 -> 5 -> 3


def test_residual_needs_matching_shapes():
    with pytest.raises(ValueError, match="residual"):
        SubnetConfig(resolution=32, first_conv_channels=8, blocks=[BlockConfig(3, 3, 16, 1, residual=True)])
    with pytest.raises(ValueError, match="residual"):
        SubnetConfig(resolution=32, first_conv_channels=8, blocks=[BlockConfig(3, 3, 8, 2, residual=True)])


def test_make_divisible():
    assert [make_divisible(v) for v in (4, 9.6, 12, 14.4, 19.2, 20, 57.6, 115.2, 160)] == \
        [8, 16, 16, 16, 24, 24, 56, 112, 160]


def test_search_space_json_round_trip():
    space = SearchSpace.mcunet(width_multiplier=0.6, resolution=96, expand_choices=(3, 4, 5, 6))
    again = SearchSpace.from_json(space.to_json())
    assert again == space
    assert isinstance(again.stages[0], StageSpace) and isinstance(again.stages[0].depth_choices, tuple)
    assert again.sample(7) == space.sample(7)


@pytest.mark.parametrize("stem,width", [("mcunet-10fps_imagenet", 0.6), ("mcunet-5fps_imagenet", 0.5),
                                        ("mcunet-256kb-1mb_imagenet", 0.5), ("mcunet-320kb-1mb_imagenet", 0.5),
                                        ("mcunet-512kb-2mb_imagenet", 1.0)])
def test_mcunet_space_has_the_published_widths_and_strides(stem, width):
    cfg = published_config(stem)
    space = SearchSpace.mcunet(width_multiplier=width, resolution=cfg.resolution)
    assert cfg.first_conv_channels == space.width(space.first_conv_base_width)
    # Group the published blocks into stages (a new width or a stride 2 starts one); compare widths,
    # strides and depths.
    stages = []
    for block in cfg.blocks:
        if not stages or block.out_channels != stages[-1][0] or block.stride == 2:
            stages.append([block.out_channels, block.stride, 0])
        stages[-1][2] += 1
    assert [(w, s) for w, s, _ in stages] == [(space.width(st.base_width), st.stride) for st in space.stages]
    assert all(d in st.depth_choices for (_, _, d), st in zip(stages, space.stages))
    assert all(b.kernel_size in space.kernel_choices for b in cfg.blocks)


@pytest.mark.parametrize("rng", [0, random.Random(1), np.random.default_rng(2)])
def test_sample(rng):
    space = SearchSpace.mcunet()
    cfg = space.sample(rng)
    assert cfg.resolution == space.resolution and cfg.first_conv_channels == 16
    assert cfg.blocks[0] == BlockConfig(3, 1, 8, 1, False)
    assert cfg.blocks[-1].out_channels == 160
    assert 2 * 5 + 2 <= len(cfg.blocks) <= 4 * 5 + 2
    for block in cfg.blocks[1:]:
        assert block.kernel_size in (3, 5, 7) and block.expand_ratio in (3, 4, 6)
    # residual exactly where an identity shortcut fits
    channels = cfg.first_conv_channels
    for block in cfg.blocks:
        assert block.residual == (block.stride == 1 and block.out_channels == channels)
        channels = block.out_channels
    assert SubnetConfig.from_json(cfg.to_json()) == cfg
    assert count_macs(cfg) > 0


def test_samples_differ_and_repeat():
    space = SearchSpace.mcunet()
    samples = [space.sample(seed) for seed in range(20)]
    assert len({s.to_json() for s in samples}) > 15
    assert space.sample(3) == samples[3]
