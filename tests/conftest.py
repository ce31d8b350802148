"""Shared fixtures: the real reference models and small models built with the TFLite converter."""
import glob
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED_MODELS = os.environ.get("MCUNET_SHARED_MODELS", os.path.join(os.path.dirname(ROOT), "shared", "models"))
MLPERF = sorted(glob.glob(os.path.join(SHARED_MODELS, "mlperf_tiny", "*.tflite")))
BUILT_MODELS = os.environ.get("MCUNET_BUILT_MODELS", os.path.join(ROOT, "build", "models"))


def mlperf_ids():
    return [os.path.basename(p).rsplit(".", 1)[0] for p in MLPERF]


@pytest.fixture(scope="session")
def shared_models_dir():
    assert MLPERF, f"no MLPerf Tiny models under {SHARED_MODELS}"
    return SHARED_MODELS


def read(path):
    with open(path, "rb") as f:
        return f.read()


def read_model(path):
    """read(path); a model of build/models that is not there skips the test: `make test-quick` does not build
    them (`make test` does, and test_codegen.py's test_built_models_are_present fails without them)."""
    if not os.path.exists(path) and os.path.dirname(os.path.abspath(path)) == os.path.abspath(BUILT_MODELS):
        pytest.skip(f"{path} not built (make models)")
    return read(path)
