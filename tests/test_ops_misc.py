"""EXPAND_DIMS, SHAPE, CAST, MIRROR_PAD: random single-op models against the TFLM wheel."""
import numpy as np

from micro_runtime.codegen import generate
from shape_ops_check import act, check_cases, const, single
from tflite_patch import save_tflite

CASES = 20


def expand_dims_case(rng):
    shape = [int(v) for v in rng.integers(1, 7, size=int(rng.integers(1, 4)))]
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    out = list(shape)
    out.insert(axis % (len(shape) + 1), 1)
    x = act(shape, rng)
    tensors = [x, const([axis], "axis"), act(out, rng, "y", x.quant)]
    return single(tensors, "EXPAND_DIMS", [0, 1], [2], {}, "ExpandDimsOptions")


def test_expand_dims():
    assert check_cases(expand_dims_case, 3, CASES) == CASES


def test_expand_dims_is_an_alias():
    """Its output shares the input's bytes: no copy is emitted (when the input is not a graph output)."""
    rng = np.random.default_rng(0)
    g = expand_dims_case(rng)
    gen = generate(save_tflite(g), "op")
    text = "".join(v for k, v in gen.files.items() if k.endswith(".c"))
    assert "alias: same bytes, new shape" in text and "memcpy" not in text.split("alias")[0][-200:]
