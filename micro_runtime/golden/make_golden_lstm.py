"""Golden vectors for lstm.c, taken from the TF Lite Micro wheel: random UNIDIRECTIONAL_SEQUENCE_LSTM layers
of tests/test_ops_lstm.py (int8 and 16x8), one invocation each from the initial (reset) state; the header holds the calls our
lowering emits, as make_golden_shape.py writes them (kernels/lstm_test.c runs them with golden_graph_check.h).

    .venv/bin/python micro_runtime/golden/make_golden_lstm.py

Deterministic (fixed seeds).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from make_golden_int16 import seeded  # noqa: E402
from make_golden_shape import write  # noqa: E402
from tests.test_ops_lstm import lstm_case  # noqa: E402


def main() -> int:
    print(write("lstm", [seeded(lstm_case), seeded(lambda s: lstm_case(s, "int16"))], 300, "make_golden_lstm.py"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
