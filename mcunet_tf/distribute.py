"""Supernet training at data-set scale: batches dealt to the replicas of a `tf.distribute` strategy,
checkpoints per epoch, TFRecord folders streamed from disk.

Every replica sees its share of the same global batch the single-device run sees (the batch is cut
into `num_replicas_in_sync` consecutive pieces; each worker's input pipeline keeps its replicas'
pieces), and the supernet normalises with the statistics of the whole global batch (sums all-reduced
across replicas), so a distributed step computes the single-device step's gradient up to float
summation order.

TFRecord schema (`write_tfrecords`, `tfrecord_dataset`): one `tf.train.Example` per image with
`image` (bytes: the raw uint8 pixels, row-major HWC), `shape` (int64 list: height, width, channels)
and `label` (int64). Shards are the folder's `*.tfrecord` files, read in name order.
"""
from __future__ import annotations

import glob
import os
import shutil
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

CHECKPOINT_FOLDER = "supernet_checkpoints"


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the shared files: always without a cluster, else the `chief` task or,
    when the cluster has none, worker 0 (the convention of Keras' multi-worker training)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if not task_type:
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "chief" or (not has_chief and task_type == "worker" and resolver.task_id == 0)


def replica_pieces(dataset: tf.data.Dataset, input_context: tf.distribute.InputContext) -> tf.data.Dataset:
    """(images, labels, global batch size) for the replicas of this input pipeline, in replica order:
    each global batch of `dataset` cut into `num_replicas_in_sync` consecutive pieces (sizes differ by at
    most one), of which this pipeline keeps those of its own replicas."""
    replicas = input_context.num_replicas_in_sync
    local = replicas // input_context.num_input_pipelines
    first = input_context.input_pipeline_id * local

    def pieces(images, labels):
        count = tf.shape(images, out_type=tf.int64)[0]
        bounds = count * tf.range(replicas + 1, dtype=tf.int64) // replicas
        return tf.data.Dataset.range(first, first + local).map(
            lambda r: (images[bounds[r]:bounds[r + 1]], labels[bounds[r]:bounds[r + 1]], count))

    return dataset.flat_map(pieces).prefetch(tf.data.AUTOTUNE)


def array_batches(x: np.ndarray, y: np.ndarray, batch_size: int, order: np.ndarray | None) -> tf.data.Dataset:
    """The full `batch_size` batches of arrays in `order` (all, in order, without), read from memory batch
    by batch (never copied into the graph)."""
    order = np.arange(len(x)) if order is None else order
    steps = max(1, len(x) // batch_size)

    def batches():
        for i in range(steps):
            idx = order[i * batch_size:(i + 1) * batch_size]
            yield x[idx], y[idx]

    spec = (tf.TensorSpec((None,) + x.shape[1:], tf.float32), tf.TensorSpec((None,), tf.int64))
    return tf.data.Dataset.from_generator(batches, output_signature=spec)


def distributed_batches(strategy: tf.distribute.Strategy, make_dataset):
    """The strategy's distributed dataset of `replica_pieces` of `make_dataset()` (global batches of
    (images, labels)); images cast to float32, labels to flat int64."""
    def per_pipeline(input_context):
        data = make_dataset().map(lambda images, labels: (tf.cast(images, tf.float32),
                                                          tf.reshape(tf.cast(labels, tf.int64), [-1])))
        return replica_pieces(data, input_context)
    return strategy.distribute_datasets_from_function(per_pipeline)


class EpochCheckpoints:
    """`tf.train.CheckpointManager` in `directory` over the supernet's variables, the optimizer (its
    step and moments) and the training's progress (`epochs_done` of `epochs`), saved after each epoch.
    In a cluster the chief writes `directory`; the other workers take part in saving (as
    `tf.distribute` requires) into a temporary folder they delete, and all restore from `directory`,
    which must therefore be shared by the workers."""

    def __init__(self, directory: str, strategy: tf.distribute.Strategy, epochs: int, **objects):
        self.directory, self.strategy = directory, strategy
        with strategy.scope():
            self.epochs_done = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_done")
            self.epochs = tf.Variable(epochs, dtype=tf.int64, trainable=False, name="epochs")
        self.checkpoint = tf.train.Checkpoint(epochs_done=self.epochs_done, epochs=self.epochs, **objects)

    def restore(self) -> int:
        """Restore the latest checkpoint of `directory` if there is one; the epochs it completed (0 without).
        ValueError when it belongs to a training of another length (its learning-rate schedule)."""
        latest = tf.train.latest_checkpoint(self.directory)
        if latest is None:
            return 0
        epochs = int(self.epochs.numpy())
        self.checkpoint.restore(latest)
        if int(self.epochs.numpy()) != epochs:
            raise ValueError(f"{self.directory} holds a checkpoint of a {int(self.epochs.numpy())}-epoch supernet "
                             f"training, not {epochs} epochs: give epochs={int(self.epochs.numpy())} or delete it")
        return int(self.epochs_done.numpy())

    def save(self, epochs_done: int) -> None:
        self.epochs_done.assign(epochs_done)
        chief = is_chief(self.strategy)
        directory = self.directory if chief else tempfile.mkdtemp(prefix="supernet_ckpt_")
        tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=2).save(checkpoint_number=epochs_done)
        if not chief:
            shutil.rmtree(directory, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ TFRecord
def _example(image: np.ndarray, label: int) -> bytes:
    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image.tobytes()])),
        "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=list(image.shape))),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_tfrecords(folder: str, batches, images_per_shard: int = 10000) -> list[str]:
    """Write (uint8 images (N, H, W, C), labels (N,)) batches from the iterable `batches` into
    `folder/shard-00000.tfrecord`, ... (`images_per_shard` each). Returns the shard paths."""
    os.makedirs(folder, exist_ok=True)
    paths, writer, in_shard = [], None, 0
    try:
        for images, labels in batches:
            images = np.asarray(images)
            if images.dtype != np.uint8 or images.ndim != 4:
                raise ValueError(f"write_tfrecords takes uint8 images (N, H, W, C), not {images.dtype} "
                                 f"{images.shape}")
            for image, label in zip(images, np.asarray(labels).reshape(-1)):
                if writer is None or in_shard == images_per_shard:
                    if writer is not None:
                        writer.close()
                    paths.append(os.path.join(folder, f"shard-{len(paths):05d}.tfrecord"))
                    writer, in_shard = tf.io.TFRecordWriter(paths[-1]), 0
                writer.write(_example(image, label))
                in_shard += 1
    finally:
        if writer is not None:
            writer.close()
    return paths


def tfrecord_files(folder: str) -> list[str]:
    """The `*.tfrecord` shards of `folder` in name order; ValueError when there are none."""
    files = sorted(glob.glob(os.path.join(folder, "*.tfrecord")))
    if not files:
        raise ValueError(f"{folder}: no *.tfrecord files (TFRecord schema: image bytes, shape, label)")
    return files


def tfrecord_dataset(folder: str, batch_size: int, resolution: int | None = None,
                     pixel_range: tuple[float, float] = (-1.0, 1.0), shuffle_buffer: int = 0,
                     seed: int = 0) -> tf.data.Dataset:
    """Batches of (float32 images scaled from 0..255 onto `pixel_range`, int64 labels) streamed from the
    shards of `folder` (schema in the module docstring), resized (bilinear) to `resolution` when given;
    shuffled through a `shuffle_buffer` of images when it is > 0. Only the buffers are held in memory,
    never the data set."""
    spec = {"image": tf.io.FixedLenFeature([], tf.string), "shape": tf.io.FixedLenFeature([3], tf.int64),
            "label": tf.io.FixedLenFeature([], tf.int64)}
    low, high = pixel_range

    def decode(record):
        example = tf.io.parse_single_example(record, spec)
        image = tf.cast(tf.reshape(tf.io.decode_raw(example["image"], tf.uint8), example["shape"]), tf.float32)
        if resolution is not None:
            image = tf.image.resize(image, (resolution, resolution))
        return image * ((high - low) / 255.0) + low, example["label"]

    data = tf.data.TFRecordDataset(tfrecord_files(folder), num_parallel_reads=tf.data.AUTOTUNE)
    if shuffle_buffer > 0:
        data = data.shuffle(shuffle_buffer, seed=seed)
    return data.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)
