"""Build realistic int8 MCUNet .tflite models from the published architecture configs.

  python scripts/build_models.py [--out_dir=build/models] [--configs=a.json,b.json] [--io=int8,float32]
                                 [--seed=0]

For every config (default: all of $MCUNET_SHARED_MODELS/mcunet_configs/*.json): build the tf_keras model,
give it random weights, calibrate its BatchNorm on image-like inputs, convert it to a full-integer int8
.tflite and check that it runs in TF Lite Micro. Writes `<stem>.int8.tflite` (int8 I/O) and
`<stem>.f32io.tflite` (float I/O: QUANTIZE ... DEQUANTIZE); files already present are kept.
"""
import glob
import os
import sys
import time

import warnings

from absl import flags, logging

import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

SHARED_MODELS = os.environ.get("MCUNET_SHARED_MODELS", os.path.join(os.path.dirname(ROOT), "shared", "models"))
CONFIG_DIR = os.path.join(SHARED_MODELS, "mcunet_configs")
SUFFIX = {"int8": ".int8.tflite", "float32": ".f32io.tflite"}

OUT_DIR = flags.DEFINE_string("out_dir", "build/models", "where the .tflite files go")
CONFIGS = flags.DEFINE_list("configs", None, f"ProxylessNAS-style config JSONs (paths, or stems in {CONFIG_DIR}); "
                            "default: all of them")
IO = flags.DEFINE_list("io", ["int8", "float32"], "I/O variants to write: int8 and/or float32")
SEED = flags.DEFINE_integer("seed", 0, "weights and data seed")
SAMPLES = flags.DEFINE_integer("samples", 32, "representative (and BatchNorm calibration) images")
ARENA = 4_000_000


def config_paths(names):
    if not names:
        paths = sorted(glob.glob(os.path.join(CONFIG_DIR, "*.json")))
        if not paths:
            sys.exit(f"error: no configs in {CONFIG_DIR} (set MCUNET_SHARED_MODELS)")
        return paths
    paths = []
    for name in names:
        path = name if os.path.exists(name) else os.path.join(CONFIG_DIR, name if name.endswith(".json")
                                                              else name + ".json")
        if not os.path.exists(path):
            sys.exit(f"error: no config {name}")
        paths.append(path)
    return paths


def run_in_tflm(data: bytes, image, io_dtype: str):
    """One inference in stock TFLM; returns the output. `image` is a float (1, H, W, C) array in [-1, 1]."""
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(data, arena_size=ARENA)
    if io_dtype == "int8":
        image = np.clip(np.round(image * 127.0), -128, 127).astype(np.int8)
    interpreter.set_input(image, 0)
    interpreter.invoke()
    return interpreter.get_output(0)


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
    bad = sorted(set(IO.value) - set(SUFFIX))
    if bad:
        sys.exit(f"error: --io takes int8 and/or float32, not {','.join(bad)}")
    from mcunet_tf import export, zoo
    from mcunet_tf.space import SubnetConfig, count_macs
    from tflite_patch.files import atomic_write

    os.makedirs(OUT_DIR.value, exist_ok=True)
    for path in config_paths(CONFIGS.value):
        stem = os.path.basename(path).rsplit(".json", 1)[0]
        todo = [io for io in IO.value if not os.path.exists(os.path.join(OUT_DIR.value, stem + SUFFIX[io]))]
        cfg = SubnetConfig.from_proxyless_json(path)
        if not todo:
            print(f"{stem}: {count_macs(cfg) / 1e6:.1f}M MACs, already built", flush=True)
            continue
        start = time.time()
        model = zoo.build_random_model(cfg, seed=SEED.value, calibration_images=SAMPLES.value)
        images = zoo.random_images(SAMPLES.value, cfg.resolution, cfg.in_channels, seed=SEED.value + 2)
        build_s = time.time() - start
        for io in todo:
            start = time.time()
            data = export.convert_int8(model, images, io_dtype=io)
            convert_s = time.time() - start
            output = run_in_tflm(data, images[:1], io)
            if output.shape != (1, cfg.num_classes):
                sys.exit(f"error: {stem} ({io}): TFLM output shape {output.shape}")
            out_path = os.path.join(OUT_DIR.value, stem + SUFFIX[io])
            atomic_write(out_path, data)
            ops = export.tflite_op_names(data)
            print(f"{os.path.basename(out_path)}: {count_macs(cfg) / 1e6:.1f}M MACs, {len(data) / 1024:.0f} kB, "
                  f"{len(ops)} ops, keras {build_s:.1f}s, convert {convert_s:.1f}s, TFLM ok", flush=True)


if __name__ == "__main__":
    cli.run(main)
