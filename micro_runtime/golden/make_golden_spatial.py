"""Golden vectors for the spatial-op kernels (resize_bilinear.c, transpose_conv.c, batch_matmul.c), taken from
the TF Lite Micro wheel: random single-op models of tests/test_ops_spatial.py, the calls our lowerings emit
(transpose_conv's accumulators in the arena after the tensors), as make_golden_shape.py lays them out.

    .venv/bin/python micro_runtime/golden/make_golden_spatial.py

Deterministic (fixed seeds).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT, HERE, os.path.join(ROOT, "tests")]

from make_golden_shape import write  # noqa: E402
from test_ops_spatial import batch_matmul_case, resize_bilinear_case, transpose_conv_case  # noqa: E402

KERNELS = {"resize_bilinear": [resize_bilinear_case], "transpose_conv": [transpose_conv_case],
           "batch_matmul": [batch_matmul_case]}


def main() -> int:
    for seed, (kernel, makers) in enumerate(KERNELS.items()):
        print(write(kernel, makers, 200 + seed, "make_golden_spatial.py"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
