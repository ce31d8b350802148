"""A one-shot, weight-sharing supernet over a `SearchSpace` (TinyNAS stage 2, the OFA recipe).

Every subnet of the space is a sub-network of the largest one, and takes its weights from it:

- elastic depth: a stage of depth d runs its first d block slots; the trailing slots are skipped. They are
  always stride-1 residual blocks (only a stage's first block changes width or stride), so skipping one
  is the identity.
- elastic kernel: a k x k depthwise kernel is the centre k x k crop of the slot's largest (e.g. 7 x 7)
  kernel.
- elastic width: a block of expand ratio e uses the leading `round(in * e)` channels of the slot's widest
  expand conv, depthwise conv and BatchNorm, and the matching leading input channels of its project conv.
- BatchNorm: one shared (gamma, beta) per layer, sliced like the weights. Training normalises with the
  batch statistics of the subnet being trained; no running statistics are kept (they would be a mixture
  over subnets). Every extracted subnet gets its own by re-calibration on training data
  (`zoo.calibrate_batchnorm`), as in OFA / MCUNet.

Training uses the sandwich rule: each step sums the losses of the largest, the smallest and `num_random`
random subnets on the same batch and applies one update.

The supernet runs the largest network with masks (zeroed kernel borders, zeroed channels, a 0/1 gate per
skippable slot), which computes exactly the subnet's function, so one `tf.function` trace serves every
subnet. `extract_subnet(cfg)` builds the plain tf_keras model of `cfg` with `zoo.build_keras_model` and
copies the sliced weights into it.
"""
from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import random
import time
from typing import Callable, Sequence

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from mcunet_tf import distribute, zoo  # noqa: E402
from mcunet_tf.progress import step_bar  # noqa: E402
from mcunet_tf.space import BlockConfig, SearchSpace, SubnetConfig  # noqa: E402

BN_EPSILON = zoo.BN_EPSILON


@dataclasses.dataclass(frozen=True)
class BlockSlot:
    """One block position of the supernet (a block of the largest subnet)."""
    index: int                      # position among all slots
    stage: int
    index_in_stage: int
    in_channels: int
    out_channels: int
    stride: int
    residual: bool
    kernel_choices: tuple[int, ...]
    expand_choices: tuple[float, ...]
    skippable: bool                 # index_in_stage >= the stage's smallest depth

    @property
    def max_kernel(self) -> int:
        return max(self.kernel_choices)

    @property
    def has_expand(self) -> bool:
        """Whether some choice has an expand conv (expand ratio != 1)."""
        return any(e != 1 for e in self.expand_choices)

    @property
    def can_skip_expand(self) -> bool:
        """Whether expand ratio 1 (no expand conv, depthwise on the block input) is a choice too."""
        return self.has_expand and any(e == 1 for e in self.expand_choices)

    @property
    def max_mid(self) -> int:
        return max(BlockConfig(3, e, self.out_channels).mid(self.in_channels) for e in self.expand_choices)


def elastic_kernel_crop(kernel: np.ndarray, kernel_size: int) -> np.ndarray:
    """The centre `kernel_size` x `kernel_size` crop of a (K, K, ...) kernel (the elastic kernel rule)."""
    big = kernel.shape[0]
    if kernel_size > big or kernel_size % 2 != big % 2:
        raise ValueError(f"cannot crop a {kernel_size}x{kernel_size} kernel out of {big}x{big}")
    start = (big - kernel_size) // 2
    return kernel[start:start + kernel_size, start:start + kernel_size]


def stage_depths(space: SearchSpace, cfg: SubnetConfig) -> list[int]:
    """The depth of each stage of `space` that `cfg` has (its blocks, grouped into the space's stages).

    Raises ValueError when `cfg` is not a subnet of `space` (widths, strides or depths do not match).
    """
    stages = space.stages
    blocks = cfg.blocks

    def match(stage_index: int, position: int) -> list[int] | None:
        if stage_index == len(stages):
            return [] if position == len(blocks) else None
        stage = stages[stage_index]
        width = space.width(stage.base_width)
        for depth in sorted(stage.depth_choices):
            chunk = blocks[position:position + depth]
            if len(chunk) < depth:
                break
            if any(b.out_channels != width for b in chunk):
                continue
            if chunk[0].stride != stage.stride or any(b.stride != 1 for b in chunk[1:]):
                continue
            rest = match(stage_index + 1, position + depth)
            if rest is not None:
                return [depth] + rest
        return None

    depths = match(0, 0)
    if depths is None:
        raise ValueError("config is not a subnet of this search space (block widths / strides / depths "
                         "do not match the space's stages)")
    return depths


class Supernet(tf.Module):
    """The weight-sharing supernet of `space` (see the module docstring)."""

    def __init__(self, space: SearchSpace, seed: int = 0, strategy: tf.distribute.Strategy | None = None):
        """`strategy`: the `tf.distribute` strategy whose scope holds the variables and which `train` runs
        the steps on (default: the current one, a single device)."""
        super().__init__(name="supernet")
        self.space = space
        self.seed = seed
        self.strategy = strategy or tf.distribute.get_strategy()
        self.epochs_trained = 0
        self.slots = self._make_slots(space)
        self._stage_slots = [[s for s in self.slots if s.stage == i] for i in range(len(space.stages))]
        self.first_conv_channels = space.width(space.first_conv_base_width)
        self.feature_mix_channels = (space.width(space.feature_mix_base_width)
                                     if space.feature_mix_base_width else None)
        last = self.slots[-1].out_channels if self.slots else self.first_conv_channels
        self.head_channels = self.feature_mix_channels or last
        self.variables_by_name: dict[str, tf.Variable] = {}
        with self.strategy.scope():
            self._init_weights(np.random.default_rng(seed))

    # ------------------------------------------------------------------------------------------ structure
    @staticmethod
    def _make_slots(space: SearchSpace) -> list[BlockSlot]:
        slots = []
        channels = space.width(space.first_conv_base_width)
        for s, stage in enumerate(space.stages):
            out_channels = space.width(stage.base_width)
            for j in range(max(stage.depth_choices)):
                stride = stage.stride if j == 0 else 1
                slots.append(BlockSlot(
                    index=len(slots), stage=s, index_in_stage=j, in_channels=channels, out_channels=out_channels,
                    stride=stride, residual=stride == 1 and channels == out_channels,
                    kernel_choices=tuple(int(k) for k in (stage.kernel_choices or space.kernel_choices)),
                    expand_choices=tuple(stage.expand_choices or space.expand_choices),
                    skippable=j >= min(stage.depth_choices)))
                if j >= min(stage.depth_choices) and not slots[-1].residual:
                    raise ValueError(f"stage {s}: skippable block {j} is not an identity-shortcut block")
                channels = out_channels
        return slots

    def largest(self) -> SubnetConfig:
        """The largest subnet: every stage at its largest depth, largest kernel and expand ratio."""
        return self._extreme(max)

    def smallest(self) -> SubnetConfig:
        """The smallest subnet: smallest depth, kernel and expand ratio everywhere."""
        return self._extreme(min)

    def _extreme(self, pick: Callable) -> SubnetConfig:
        blocks = []
        for s, stage in enumerate(self.space.stages):
            for slot in self._stage_slots[s][:pick(stage.depth_choices)]:
                blocks.append(self._block(slot, pick(slot.kernel_choices), pick(slot.expand_choices)))
        return self._config(blocks)

    def sample(self, rng) -> SubnetConfig:
        """A uniformly random subnet (`SearchSpace.sample`)."""
        return self.space.sample(rng)

    @staticmethod
    def _block(slot: BlockSlot, kernel_size: int, expand_ratio: float) -> BlockConfig:
        return BlockConfig(kernel_size=int(kernel_size), expand_ratio=expand_ratio, out_channels=slot.out_channels,
                           stride=slot.stride, residual=slot.residual)

    def _config(self, blocks: list[BlockConfig]) -> SubnetConfig:
        sp = self.space
        return SubnetConfig(resolution=sp.resolution, first_conv_channels=self.first_conv_channels, blocks=blocks,
                            feature_mix_channels=self.feature_mix_channels, num_classes=sp.num_classes,
                            in_channels=sp.in_channels)

    def assign(self, cfg: SubnetConfig) -> list[tuple[BlockSlot, int | None]]:
        """Pair every slot with the index of the `cfg` block it runs (None: skipped). Validates `cfg`."""
        sp = self.space
        if (cfg.first_conv_channels, cfg.feature_mix_channels, cfg.num_classes, cfg.in_channels) != (
                self.first_conv_channels, self.feature_mix_channels, sp.num_classes, sp.in_channels):
            raise ValueError("config's first conv / feature mix / classes / input channels differ from the space's")
        depths = stage_depths(sp, cfg)
        pairs, position = [], 0
        for s, depth in enumerate(depths):
            for j, slot in enumerate(self._stage_slots[s]):
                if j >= depth:
                    pairs.append((slot, None))
                    continue
                block = cfg.blocks[position]
                if block.residual != slot.residual:
                    raise ValueError(f"block {position}: residual={block.residual}, the space says {slot.residual}")
                if block.kernel_size > slot.max_kernel or block.kernel_size % 2 != slot.max_kernel % 2:
                    raise ValueError(f"block {position}: kernel {block.kernel_size} is not a crop of "
                                     f"{slot.max_kernel}x{slot.max_kernel}")
                expand_ok = (not slot.has_expand or slot.can_skip_expand) if block.expand_ratio == 1 \
                    else slot.has_expand
                if not expand_ok:
                    raise ValueError(f"block {position}: expand ratio {block.expand_ratio} not in the space")
                if block.mid(slot.in_channels) > slot.max_mid:
                    raise ValueError(f"block {position}: {block.mid(slot.in_channels)} channels > {slot.max_mid}")
                pairs.append((slot, position))
                position += 1
        return pairs

    # ------------------------------------------------------------------------------------------- weights
    def _add(self, name: str, value: np.ndarray) -> None:
        self.variables_by_name[name] = tf.Variable(value.astype(np.float32), name=name.replace("/", "_"))

    def _add_conv_bn(self, rng, name: str, shape: tuple[int, ...], fan_in: int, gamma: float = 1.0) -> None:
        self._add(f"{name}/kernel", rng.normal(0.0, math.sqrt(2.0 / fan_in), shape))
        self._add(f"{name}_bn/gamma", np.full(shape[-2] if name.endswith("depthwise") else shape[-1], gamma))
        self._add(f"{name}_bn/beta", np.zeros_like(self.variables_by_name[f"{name}_bn/gamma"].numpy()))

    def _init_weights(self, rng: np.random.Generator) -> None:
        """He-normal convs, BN scale 1 and offset 0 (scale 0 on residual branches: blocks start as
        identities, which keeps the deep largest subnet trainable), Glorot-uniform classifier."""
        sp = self.space
        self._add_conv_bn(rng, "first_conv", (3, 3, sp.in_channels, self.first_conv_channels), 9 * sp.in_channels)
        for slot in self.slots:
            n, mid = f"slot{slot.index}", slot.max_mid
            if slot.has_expand:
                self._add_conv_bn(rng, f"{n}_expand", (1, 1, slot.in_channels, mid), slot.in_channels)
            k = slot.max_kernel
            self._add_conv_bn(rng, f"{n}_depthwise", (k, k, mid, 1), min(slot.kernel_choices) ** 2)
            self._add_conv_bn(rng, f"{n}_project", (1, 1, mid, slot.out_channels), mid,
                              gamma=0.0 if slot.residual else 1.0)
        channels = self.slots[-1].out_channels if self.slots else self.first_conv_channels
        if self.feature_mix_channels:
            self._add_conv_bn(rng, "feature_mix", (1, 1, channels, self.feature_mix_channels), channels)
        limit = math.sqrt(6.0 / (self.head_channels + sp.num_classes))
        self._add("classifier/kernel", rng.uniform(-limit, limit, (self.head_channels, sp.num_classes)))
        self._add("classifier/bias", np.zeros(sp.num_classes))

    @property
    def parameter_bytes(self) -> int:
        """Bytes of the float32 parameters: what a distributed training step all-reduces (the gradients)."""
        return sum(4 * int(np.prod(v.shape)) for v in self.variables_by_name.values())

    def get_weights(self) -> dict[str, np.ndarray]:
        return {name: v.numpy() for name, v in self.variables_by_name.items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        missing = set(self.variables_by_name) - set(weights)
        if missing:
            raise ValueError(f"weights missing for {sorted(missing)[:5]}")
        for name, v in self.variables_by_name.items():
            v.assign(weights[name])

    def save(self, path: str) -> None:
        """Weights + the space and training metadata in one .npz, written atomically (tmp + rename)."""
        meta = json.dumps({"space": self.space.to_dict(), "seed": self.seed, "epochs_trained": self.epochs_trained})
        buffer = io.BytesIO()
        np.savez(buffer, __meta__=np.array(meta), **{f"w:{k}": v for k, v in self.get_weights().items()})
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str, strategy: tf.distribute.Strategy | None = None) -> "Supernet":
        with np.load(path) as data:
            meta = json.loads(str(data["__meta__"]))
            weights = {k[2:]: data[k] for k in data.files if k.startswith("w:")}
        net = cls(SearchSpace.from_dict(meta["space"]), seed=meta["seed"], strategy=strategy)
        net.set_weights(weights)
        net.epochs_trained = meta["epochs_trained"]
        return net

    # ------------------------------------------------------------------------------------------ forward
    def masks(self, cfg: SubnetConfig) -> dict[str, np.ndarray]:
        """The masks that make the largest network compute `cfg`: per slot a kernel mask (K, K), a channel
        mask (max_mid,), `active` (1 or 0 when the slot is skipped) and `expand` (0 for expand ratio 1)."""
        out = {}
        for slot, position in self.assign(cfg):
            k, n = slot.max_kernel, f"slot{slot.index}"
            kernel_mask = np.zeros((k, k), np.float32)
            channel_mask = np.zeros((slot.max_mid,), np.float32)
            active, expand = 0.0, 1.0
            if position is not None:
                block = cfg.blocks[position]
                start = (k - block.kernel_size) // 2
                kernel_mask[start:start + block.kernel_size, start:start + block.kernel_size] = 1.0
                channel_mask[:block.mid(slot.in_channels)] = 1.0
                active, expand = 1.0, float(block.expand_ratio != 1)
            else:
                kernel_mask[:] = 1.0
                channel_mask[:] = 1.0
            out[f"{n}/kernel_mask"] = kernel_mask
            out[f"{n}/channel_mask"] = channel_mask
            out[f"{n}/active"] = np.float32(active)
            out[f"{n}/expand"] = np.float32(expand)
        return out

    def _bn(self, x, name: str, stats):
        gamma = self.variables_by_name[f"{name}/gamma"]
        beta = self.variables_by_name[f"{name}/beta"]
        if stats is None:
            mean, variance = global_batch_moments(x)
        else:
            mean, variance = stats[name]
        return tf.nn.batch_normalization(x, mean, variance, beta, gamma, BN_EPSILON)

    @staticmethod
    def _conv(x, kernel, stride: int):
        if stride == 1:
            return tf.nn.conv2d(x, kernel, 1, "SAME")
        k = int(kernel.shape[0]) // 2
        return tf.nn.conv2d(tf.pad(x, [[0, 0], [k, k], [k, k], [0, 0]]), kernel, stride, "VALID")

    @staticmethod
    def _depthwise(x, kernel, stride: int):
        if stride == 1:
            return tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "SAME")
        k = int(kernel.shape[0]) // 2
        return tf.nn.depthwise_conv2d(tf.pad(x, [[0, 0], [k, k], [k, k], [0, 0]]), kernel, [1, stride, stride, 1],
                                      "VALID")

    def _forward(self, x, masks, stats=None):
        """Logits of the masked largest network. `stats` None: BatchNorm with batch statistics (training);
        else a dict BN name -> (mean, variance) of full-width arrays (inference)."""
        w = self.variables_by_name
        relu6 = tf.nn.relu6
        x = relu6(self._bn(self._conv(x, w["first_conv/kernel"], 2), "first_conv_bn", stats))
        for slot in self.slots:
            n = f"slot{slot.index}"
            channel_mask = masks[f"{n}/channel_mask"]
            block_in = x
            if slot.has_expand:
                h = relu6(self._bn(self._conv(x, w[f"{n}_expand/kernel"], 1), f"{n}_expand_bn", stats))
                if slot.can_skip_expand:
                    skip = tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, slot.max_mid - slot.in_channels]])
                    h = masks[f"{n}/expand"] * h + (1.0 - masks[f"{n}/expand"]) * skip
                h = h * channel_mask
            else:
                h = x
            kernel = w[f"{n}_depthwise/kernel"] * masks[f"{n}/kernel_mask"][:, :, None, None]
            h = relu6(self._bn(self._depthwise(h, kernel, slot.stride), f"{n}_depthwise_bn", stats)) * channel_mask
            h = self._bn(self._conv(h, w[f"{n}_project/kernel"], 1), f"{n}_project_bn", stats)
            if slot.skippable:
                x = block_in + masks[f"{n}/active"] * h
            elif slot.residual:
                x = block_in + h
            else:
                x = h
        if self.feature_mix_channels:
            x = relu6(self._bn(self._conv(x, w["feature_mix/kernel"], 1), "feature_mix_bn", stats))
        x = tf.reduce_mean(x, axis=[1, 2])
        return tf.matmul(x, w["classifier/kernel"]) + w["classifier/bias"]

    def _full_width_stats(self, cfg: SubnetConfig, bn_statistics: dict[str, tuple]) -> dict[str, tuple]:
        """Map BN statistics keyed by the extracted model's layer names onto the supernet's full-width BNs
        (mean 0, variance 1 on unused channels and skipped slots)."""
        out = {}

        def put(ours: str, theirs: str | None, width: int):
            mean, var = np.zeros(width, np.float32), np.ones(width, np.float32)
            if theirs is not None:
                m, v = (np.asarray(a, np.float32) for a in bn_statistics[theirs])
                mean[:len(m)], var[:len(v)] = m, v
            out[ours] = (tf.constant(mean), tf.constant(var))

        put("first_conv_bn", "first_conv_bn", self.first_conv_channels)
        for slot, position in self.assign(cfg):
            n = f"slot{slot.index}"
            p = None if position is None else f"block{position}"
            expand = p is not None and cfg.blocks[position].expand_ratio != 1
            if slot.has_expand:
                put(f"{n}_expand_bn", f"{p}_expand_bn" if expand else None, slot.max_mid)
            put(f"{n}_depthwise_bn", p and f"{p}_depthwise_bn", slot.max_mid)
            put(f"{n}_project_bn", p and f"{p}_project_bn", slot.out_channels)
        if self.feature_mix_channels:
            put("feature_mix_bn", "feature_mix_bn", self.feature_mix_channels)
        return out

    def __call__(self, x, cfg: SubnetConfig, bn_statistics: dict[str, tuple] | None = None) -> tf.Tensor:
        """Logits of subnet `cfg` on `x`, computed by the supernet.

        `bn_statistics` None: every BatchNorm normalises with the statistics of this batch (training mode).
        Otherwise a dict {layer name of the extracted model (e.g. "block3_expand_bn"): (mean, variance)},
        e.g. `bn_statistics_of(model)`: inference mode with those statistics.
        """
        masks = {k: tf.constant(v) for k, v in self.masks(cfg).items()}
        stats = None if bn_statistics is None else self._full_width_stats(cfg, bn_statistics)
        return self._forward(tf.convert_to_tensor(x, tf.float32), masks, stats)

    # ------------------------------------------------------------------------------------------ training
    def train(self, x, y=None, epochs: int = 1, batch_size: int = 64,
              learning_rate: float = 3e-3, num_random: int = 2, weight_decay: float = 0.0, seed: int | None = None,
              verbose: int = 1, log: Callable[[str], None] = print, validation_data=None,
              callbacks: Sequence | None = None, distill: bool = False,
              checkpoint_dir: str | None = None) -> list[float]:
        """Sandwich-rule training: per step the largest, the smallest and `num_random` random subnets are
        run on the same batch, their cross-entropy losses summed, one Adam step (cosine-decayed learning
        rate) applied. Returns the mean loss of each epoch (per subnet). `distill`: in-place knowledge
        distillation, the subnets other than the largest learn the largest's soft outputs of the batch.

        `x`, `y`: arrays (shuffled each epoch, `batch_size` per step), or `x` a `tf.data.Dataset` of
        (images, labels) batches, streamed as it comes (`y` None). The steps run on the supernet's
        strategy: each replica computes its piece of every batch, every replica draws the same subnets
        (from `seed`, the epoch and the step), gradients are all-reduced (`mcunet_tf.distribute`).
        `validation_data` ((x_val, y_val) or a dataset): each epoch's `val_loss` / `val_accuracy` of the
        largest subnet (BatchNorm on batch statistics). `callbacks`: Keras callbacks, shown a
        `SupernetModel` (EarlyStopping stops the training, ModelCheckpoint saves the supernet's .npz,
        TensorBoard logs the epochs). `checkpoint_dir`: a checkpoint after every epoch; the same training
        started again on it resumes after its last completed epoch (the history holds the epochs run now)."""
        if not isinstance(x, tf.data.Dataset):
            x, y = np.asarray(x, np.float32), np.asarray(y, np.int64).reshape(-1)
        steps_per_epoch = steps_of(x, batch_size)
        with self.strategy.scope():
            optimizer = keras.optimizers.Adam(
                keras.optimizers.schedules.CosineDecay(learning_rate, max(1, epochs * steps_per_epoch)))
        checkpoints = (None if checkpoint_dir is None else
                       distribute.EpochCheckpoints(checkpoint_dir, self.strategy, epochs, supernet=self,
                                                   optimizer=optimizer))
        first_epoch = checkpoints.restore() if checkpoints is not None else 0
        if first_epoch:
            self.epochs_trained += first_epoch
            log(f"supernet: resuming after epoch {first_epoch} of {epochs} from {checkpoint_dir}")
        callback_list = keras.callbacks.CallbackList(list(callbacks or []), model=SupernetModel(self, optimizer),
                                                     epochs=epochs, steps=steps_per_epoch, verbose=0)
        step = self._sandwich_step(optimizer, weight_decay, distill)
        extremes = [self.masks(self.largest()), self.masks(self.smallest())]
        seed = self.seed if seed is None else seed
        history = []
        callback_list.on_train_begin()
        for epoch in range(first_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            start, total, steps = time.time(), 0.0, 0
            bar = step_bar(steps_per_epoch, verbose)
            for pieces in self._epoch_input(x, y, batch_size, seed, epoch):
                rng = random.Random(f"{seed}/{epoch}/{steps}")
                mask_sets = extremes + [self.masks(self.sample(rng)) for _ in range(num_random)]
                loss = float(step(pieces, [{k: tf.constant(v) for k, v in m.items()} for m in mask_sets]))
                total += loss
                steps += 1
                if bar is not None:
                    bar.update(steps, [("loss", loss)])
            history.append(total / max(1, steps))
            self.epochs_trained += 1
            if checkpoints is not None:
                checkpoints.save(epoch + 1)
            logs = {"loss": history[-1], **(self.validation_logs(validation_data, batch_size)
                                            if validation_data is not None else {})}
            if verbose:
                log(f"supernet epoch {self.epochs_trained}: loss {history[-1]:.4f} "
                    + "".join(f"{k} {v:.4f} " for k, v in logs.items() if k != "loss")
                    + f"({steps} sandwich steps, {time.time() - start:.1f} s)")
            callback_list.on_epoch_end(epoch, logs)
            if callback_list.model.stop_training:
                break
        callback_list.on_train_end()
        return history

    def _epoch_input(self, x, y, batch_size: int, seed: int, epoch: int):
        """One epoch's batches dealt to the strategy's replicas: the dataset's own batches, or the arrays'
        full batches in an order drawn from (`seed`, `epoch`) alone (a resumed training draws it again)."""
        if isinstance(x, tf.data.Dataset):
            return distribute.distributed_batches(self.strategy, lambda: x)
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        return distribute.distributed_batches(self.strategy,
                                              lambda: distribute.array_batches(x, y, batch_size, order))

    def _sandwich_step(self, optimizer, weight_decay: float, distill: bool):
        """One sandwich step: the largest subnet first (hard labels), then the others (their targets: the
        largest's softened outputs with `distill`, in-place distillation as OFA / BigNAS, else the labels),
        gradients summed, one optimizer step. On one replica, one traced function serves every subnet (the
        masks are its inputs), so the first epoch traces one forward and backward pass instead of one per
        subnet; on several, the subnets are traced inline (their BatchNorms all-reduce across replicas,
        which a function traced in one replica's context cannot). Each replica's loss is its examples'
        summed loss over the global batch's size, so the all-reduced (summed) gradients are the global
        batch's mean gradient."""
        variables = list(self.variables_by_name.values())
        kernels = [v for name, v in self.variables_by_name.items() if name.endswith("/kernel")]
        strategy, replicas = self.strategy, self.strategy.num_replicas_in_sync

        def subnet_gradients(xb, targets, count, masks):
            with tf.GradientTape() as tape:
                logits = self._forward(xb, masks)
                loss = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(targets, logits)) / count
            return tape.gradient(loss, variables), loss, logits

        if replicas == 1:
            subnet_gradients = tf.function(subnet_gradients, reduce_retracing=True)

        def replica_step(xb, yb, count, mask_sets):
            count, labels = tf.cast(count, tf.float32), tf.one_hot(yb, self.space.num_classes)
            total, losses, logits = subnet_gradients(xb, labels, count, mask_sets[0])
            targets = tf.stop_gradient(tf.nn.softmax(logits)) if distill else labels
            for masks in mask_sets[1:]:
                grads, loss, _ = subnet_gradients(xb, targets, count, masks)
                total = [a + b for a, b in zip(total, grads)]
                losses += loss
            if weight_decay:  # every replica adds its share: the all-reduce sums them to one penalty
                with tf.GradientTape() as tape:
                    penalty = weight_decay / replicas * tf.add_n([tf.reduce_sum(tf.square(k)) for k in kernels])
                total = [g + d for g, d in zip(total, tape.gradient(penalty, variables))]
            optimizer.apply_gradients(zip(total, variables))
            return losses / len(mask_sets)

        @tf.function(reduce_retracing=True)
        def step(pieces, mask_sets):
            losses = strategy.run(replica_step, args=(*pieces, mask_sets))
            return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)
        return step

    def validation_logs(self, validation_data, batch_size: int = 256) -> dict[str, float]:
        """`val_loss` and `val_accuracy` of the largest subnet, BatchNorm on each batch's statistics."""
        masks = {k: tf.constant(v) for k, v in self.masks(self.largest()).items()}
        data, labels = (validation_data, None) if isinstance(validation_data, tf.data.Dataset) else validation_data
        if labels is not None:
            data, labels = np.asarray(data, np.float32), np.asarray(labels, np.int64).reshape(-1)
        loss, correct, count = 0.0, 0, 0
        for xb, yb in epoch_batches(data, labels, batch_size):
            logits = self._forward(xb, masks)
            loss += float(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(yb, logits)))
            correct += int(tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, -1), yb), tf.int32)))
            count += int(yb.shape[0])
        return {"val_loss": loss / max(1, count), "val_accuracy": correct / max(1, count)}

    # ------------------------------------------------------------------------------------------ extraction
    def extract_subnet(self, cfg: SubnetConfig, calibration_data: np.ndarray | None = None, batch_size: int = 64,
                       name: str = "mcunet") -> keras.Model:
        """The plain tf_keras functional model of `cfg` (`zoo.build_keras_model`) with the shared weights
        copied in. With `calibration_data` (training images), its BatchNorm statistics are re-calibrated
        (`zoo.calibrate_batchnorm`); without, they are mean 0 / variance 1 and the model is not yet usable
        for inference (set them with `set_bn_statistics`)."""
        weights = self.get_weights()
        model = zoo.build_keras_model(cfg, name=name)

        def set_conv(layer_name: str, kernel: np.ndarray, bn: str | None, gamma_beta_width: int):
            model.get_layer(layer_name).set_weights([kernel])
            if bn is not None:
                layer = model.get_layer(f"{layer_name}_bn")
                gamma = weights[f"{bn}/gamma"][:gamma_beta_width]
                beta = weights[f"{bn}/beta"][:gamma_beta_width]
                layer.set_weights([gamma, beta, np.zeros_like(gamma), np.ones_like(gamma)])

        set_conv("first_conv", weights["first_conv/kernel"], "first_conv_bn", self.first_conv_channels)
        for slot, position in self.assign(cfg):
            if position is None:
                continue
            block, n, p = cfg.blocks[position], f"slot{slot.index}", f"block{position}"
            mid = block.mid(slot.in_channels)
            if block.expand_ratio != 1:
                set_conv(f"{p}_expand", weights[f"{n}_expand/kernel"][..., :mid], f"{n}_expand_bn", mid)
            kernel = elastic_kernel_crop(weights[f"{n}_depthwise/kernel"], block.kernel_size)[:, :, :mid, :]
            set_conv(f"{p}_depthwise", kernel, f"{n}_depthwise_bn", mid)
            set_conv(f"{p}_project", weights[f"{n}_project/kernel"][:, :, :mid, :], f"{n}_project_bn",
                     slot.out_channels)
        if self.feature_mix_channels:
            set_conv("feature_mix", weights["feature_mix/kernel"], "feature_mix_bn", self.feature_mix_channels)
        model.get_layer("classifier").set_weights([weights["classifier/kernel"], weights["classifier/bias"]])
        if calibration_data is not None:
            zoo.calibrate_batchnorm(model, calibration_data, batch_size=batch_size)
        return model


def bn_statistics_of(model: keras.Model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{BatchNormalization layer name: (moving mean, moving variance)} of a tf_keras model."""
    return {layer.name: (layer.moving_mean.numpy(), layer.moving_variance.numpy())
            for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}


def set_bn_statistics(model: keras.Model, statistics: dict[str, Sequence[np.ndarray]]) -> keras.Model:
    """Set the moving mean / variance of `model`'s BatchNorm layers from `bn_statistics_of` output."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            mean, var = statistics[layer.name]
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(var)
    return model


def global_batch_moments(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-channel mean and variance over all but the last axis, as `tf.nn.moments`, of the whole global
    batch: in a replica context of several replicas, each replica's sums are all-reduced (their
    gradients too), so BatchNorm normalises as it would on one device (synchronised BatchNorm)."""
    axes = list(range(len(x.shape) - 1))
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return tf.nn.moments(x, axes)
    total = tf.distribute.ReduceOp.SUM
    count = context.all_reduce(total, tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), x.dtype))
    mean = context.all_reduce(total, tf.reduce_sum(x, axes)) / count
    variance = context.all_reduce(total, tf.reduce_sum(tf.math.squared_difference(x, tf.stop_gradient(mean)),
                                                       axes)) / count
    return mean, variance


def steps_of(x, batch_size: int) -> int:
    """Steps of one epoch: full batches of an array, or the batches of a dataset (counted by one pass
    when its cardinality is unknown, e.g. a generator)."""
    if not isinstance(x, tf.data.Dataset):
        return max(1, len(x) // batch_size)
    steps = int(x.cardinality())
    if steps < 0:
        steps = int(x.reduce(np.int64(0), lambda count, _: count + 1))
    return max(1, steps)


def epoch_batches(x, y, batch_size: int):
    """One pass of (images float32, labels int64) batches, on this device: the arrays' batches in order
    (the last may be short), or the dataset's own batches (streamed). Evaluation reads its data so."""
    if isinstance(x, tf.data.Dataset):
        for xb, yb in x:
            yield tf.cast(xb, tf.float32), tf.reshape(tf.cast(yb, tf.int64), [-1])
        return
    for start in range(0, len(x), batch_size):
        yield tf.constant(x[start:start + batch_size]), tf.constant(y[start:start + batch_size])


class SupernetModel(keras.Model):
    """What Keras callbacks see of a supernet in training: `stop_training`, the optimizer (its learning
    rate), and `save` / `save_weights` writing the supernet's .npz (`Supernet.save`) to the given path."""

    def __init__(self, supernet: Supernet, optimizer):
        super().__init__(name="supernet")
        self.supernet = supernet
        self.optimizer = optimizer

    def save(self, filepath, *args, **kwargs) -> None:
        self.supernet.save(str(filepath))

    def save_weights(self, filepath, *args, **kwargs) -> None:
        self.supernet.save(str(filepath))
