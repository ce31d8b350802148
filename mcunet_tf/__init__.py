"""mcunet-tf: MCUNet (TinyNAS + TinyEngine) for TensorFlow / Keras and TF Lite Micro.

    import mcunet_tf as mt
    tuner = mt.TinyNAS(mt.SearchSpace.mcunet(), budget=mt.Budget(sram_kb=256, flash_kb=1024),
                       objective="val_accuracy", max_trials=..., directory="runs", project_name="vww")
    tuner.search(x, y, validation_data=(xv, yv), epochs=...)
    best = tuner.get_best_models(1)[0]          # a plain tf_keras functional model
    tflite_bytes = mt.export.quantize_and_convert(best, representative_data=x[:200], qat_epochs=...)
"""
import importlib
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # before anything imports TensorFlow: TF-MOT needs tf_keras

from mcunet_tf.space import (BlockConfig, Layer, SearchSpace, StageSpace, SubnetConfig, count_macs,  # noqa: E402
                             count_params, layers)

# These import TensorFlow or Keras Tuner (seconds): loaded on first use.
_LAZY_MODULES = ("export", "zoo", "data", "cost", "supernet", "oracle", "tuner", "stage1", "pipeline", "keras3",
                 "complete_space")
_LAZY_ATTRS = {"TinyNAS": "tuner", "TinyNASOracle": "oracle", "Supernet": "supernet",
               "Budget": "cost", "DEVICES": "cost", "subnet_cost": "cost"}


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f"mcunet_tf.{name}")
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(f"mcunet_tf.{_LAZY_ATTRS[name]}"), name)
    raise AttributeError(f"module 'mcunet_tf' has no attribute {name!r}")


__all__ = ["BlockConfig", "Layer", "SearchSpace", "StageSpace", "SubnetConfig", "count_macs", "count_params",
           "layers", "TinyNAS", "TinyNASOracle", "Supernet", "Budget", "DEVICES", "subnet_cost", *_LAZY_MODULES]
