"""mcunet-tf: MCUNet (TinyNAS + TinyEngine) for TensorFlow / Keras and TF Lite Micro."""
import importlib
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # before anything imports TensorFlow: TF-MOT needs tf_keras

from mcunet_tf.space import (BlockConfig, Layer, SearchSpace, StageSpace, SubnetConfig, count_macs,  # noqa: E402
                             count_params, layers)

_LAZY_MODULES = ("export", "zoo")  # these import TensorFlow (~6 s): loaded on first use


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f"mcunet_tf.{name}")
    raise AttributeError(f"module 'mcunet_tf' has no attribute {name!r}")


__all__ = ["BlockConfig", "Layer", "SearchSpace", "StageSpace", "SubnetConfig", "count_macs", "count_params",
           "layers", "export", "zoo"]
