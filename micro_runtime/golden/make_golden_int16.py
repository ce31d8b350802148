"""Golden vectors for the 16x8 kernels (fully_connected_s16.c, conv_s16.c, arithmetic_s16.c, quantize_s16.c,
logistic_s16.c, softmax_s16.c, the int16 kernels of pooling.c, mean.c and pad.c) and svdf.c, taken from the
TF Lite Micro wheel.

Each case is a random single-op model of tests/test_ops_int16.py run by the wheel; the header holds the calls
our lowering emits for it, as make_golden_shape.py writes them (kernels/<kernel>_test.c runs them with
golden_graph_check.h).

    .venv/bin/python micro_runtime/golden/make_golden_int16.py

Deterministic (fixed seeds).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from make_golden_shape import write  # noqa: E402
from tests.test_ops_int16 import (QUANTIZE_PAIRS, arithmetic_case, conv_case, fully_connected_case,  # noqa: E402
                                  mean_case, pad_case, pool_case, quantize_case, sigmoid_tanh_case,
                                  softmax_case, svdf_case)


def seeded(make):
    """A case maker of make_golden_shape (rng -> graph) from one of a seed."""
    return lambda rng: make(int(rng.integers(0, 1 << 30)))


KERNELS = {
    "fully_connected_s16": [seeded(fully_connected_case)],
    "conv_s16": [seeded(lambda s: conv_case(s, False)), seeded(lambda s: conv_case(s, True))],
    "arithmetic_s16": [seeded(lambda s, k=k: arithmetic_case(k, s)) for k in ("ADD", "SUB", "MUL")],
    "quantize_s16": [seeded(lambda s, p=p: quantize_case(*p, s)) for p in QUANTIZE_PAIRS],
    "logistic_s16": [seeded(lambda s, k=k: sigmoid_tanh_case(k, s)) for k in ("LOGISTIC", "TANH")],
    "softmax_s16": [seeded(lambda s, x=x: softmax_case(x, s)) for x in ("int8", "int16")],
    "svdf": [seeded(lambda s, t=t: svdf_case(t, s)) for t in ("int16", "int8")],  # one invocation from reset
    "pooling_s16": [seeded(lambda s, k=k: pool_case(k, s)) for k in ("AVERAGE_POOL_2D", "MAX_POOL_2D")],
    "mean_s16": [seeded(mean_case)],
    "pad_s16": [seeded(pad_case)],
}


def main() -> int:
    for seed, (kernel, makers) in enumerate(KERNELS.items()):
        print(write(kernel, makers, 200 + seed, "make_golden_int16.py"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
