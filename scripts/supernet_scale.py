"""Supernet training streamed from TFRecord shards: peak memory against data-set size, images/s, and the
bytes each step all-reduces.

  python scripts/supernet_scale.py --images=10000,200000 --resolution=96 --steps=20 --out_dir=out/scale

Writes `--images` generated images each (uint8, `--resolution` square, 3 channels, 10 classes; the
TFRecord schema of `mcunet_tf.distribute`) into `--out_dir/<count>/` unless they are there, then for each
folder runs, in a fresh process, `--steps` sandwich steps of the MCUNet supernet (`--width_multiplier`)
streaming it through a shuffle buffer, and prints its peak resident memory (getrusage) and images/s.
`--steps` bounds the run: a whole epoch of 200,000 images does not fit a short run on a small machine,
and streaming holds the same buffers whatever the folder's size.
"""
import json
import os
import resource
import subprocess
import sys
import time

from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

IMAGES = flags.DEFINE_list("images", ["10000", "200000"], "data set sizes to compare")
RESOLUTION = flags.DEFINE_integer("resolution", 96, "image side")
WIDTH = flags.DEFINE_float("width_multiplier", 0.35, "width multiplier of the MCUNet search space")
STEPS = flags.DEFINE_integer("steps", 20, "sandwich steps per run")
BATCH = flags.DEFINE_integer("batch_size", 32, "images per step")
SHUFFLE = flags.DEFINE_integer("shuffle_buffer", 2048, "images in the shuffle buffer")
OUT_DIR = flags.DEFINE_string("out_dir", "out/scale", "where the shards go")
RUN = flags.DEFINE_string("run", None, "internal: train on this folder and print one JSON line")


def generate(folder: str, count: int, resolution: int) -> None:
    """`count` images whose class is a brightness gradient direction, plus noise (cheap to make)."""
    import numpy as np
    from mcunet_tf.distribute import write_tfrecords

    def batches():
        rng = np.random.default_rng(count)
        ramp = np.linspace(0, 1, resolution, dtype=np.float32)
        for start in range(0, count, 1000):
            n = min(1000, count - start)
            labels = rng.integers(0, 10, n)
            angle = labels[:, None, None] * (np.pi / 5)
            field = np.cos(angle) * ramp[None, :, None] + np.sin(angle) * ramp[None, None, :]
            noise = rng.integers(0, 64, (n, resolution, resolution, 3), dtype=np.uint8)
            yield (field[..., None] * 96 + 64).astype(np.uint8) + noise, labels

    write_tfrecords(folder, batches(), images_per_shard=10000)


def train_run(folder: str) -> dict:
    import tensorflow as tf
    from mcunet_tf.distribute import tfrecord_dataset
    from mcunet_tf.space import SearchSpace
    from mcunet_tf.supernet import Supernet
    space = SearchSpace.mcunet(width_multiplier=WIDTH.value, resolution=RESOLUTION.value, num_classes=10)
    net = Supernet(space, seed=0)
    data = tfrecord_dataset(folder, BATCH.value, shuffle_buffer=SHUFFLE.value)
    net.train(data.take(2).apply(tf.data.experimental.assert_cardinality(2)), epochs=1, verbose=0)  # the trace
    start = time.time()
    net.train(data.take(STEPS.value).apply(tf.data.experimental.assert_cardinality(STEPS.value)), epochs=1,
              verbose=0)
    seconds = time.time() - start
    return {"images_per_s": STEPS.value * BATCH.value / seconds, "seconds": seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "allreduce_bytes_per_step": net.parameter_bytes}


def main(argv):
    del argv
    if RUN.value:
        print(json.dumps(train_run(RUN.value)), flush=True)
        return
    results = {}
    for count in (int(c) for c in IMAGES.value):
        folder = os.path.join(OUT_DIR.value, str(count))
        if not os.path.exists(os.path.join(folder, "done")):
            start = time.time()
            generate(folder, count, RESOLUTION.value)
            open(os.path.join(folder, "done"), "w").close()
            print(f"{count} images written to {folder} in {time.time() - start:.0f} s", flush=True)
        run = subprocess.run([sys.executable, __file__, f"--run={folder}"] + sys.argv[1:],
                             capture_output=True, text=True, check=True)
        results[count] = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"{count:>8} images: peak RSS {results[count]['peak_rss_mb']:.0f} MB, "
              f"{results[count]['images_per_s']:.1f} images/s ({STEPS.value} steps of {BATCH.value}), "
              f"all-reduce {results[count]['allreduce_bytes_per_step']:,} B per step", flush=True)
    counts = sorted(results)
    if len(counts) > 1:
        print(f"peak memory {counts[-1]} / {counts[0]} images: "
              f"{results[counts[-1]]['peak_rss_mb'] / results[counts[0]]['peak_rss_mb']:.2f}x")


if __name__ == "__main__":
    app.run(main)
