"""Golden vectors for the math kernels (div.c, l2norm.c, log_softmax.c), taken from the TF Lite Micro wheel.

Builds small single-op int8 models with tflite_patch (random shapes, broadcasting and quantization, fixed
seeds), runs each in the wheel on random inputs and writes the kernel's parameters (derived with
micro_runtime/quant.py, never read back from TFLM), the inputs and TFLM's output, all in
micro_runtime/golden/math_golden.h (kernels/math_test.c) in make_golden_elementwise.py's format.

    .venv/bin/python micro_runtime/golden/make_golden_math.py
"""
from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir))

from make_golden_elementwise import CASES, _quant, _run, _shapes, _t, write_header  # noqa: E402

from micro_runtime import quant  # noqa: E402
from micro_runtime.lowering.binary import with_activation  # noqa: E402
from tflite_patch import Graph, Op  # noqa: E402


def div_cases(rng):
    out = []
    for i in range(CASES):
        s1, s2, so = _shapes(rng)
        q1, q2, qo = _quant(rng), _quant(rng), _quant(rng)
        x1 = rng.integers(-128, 128, size=s1).astype(np.int8)
        x2 = rng.integers(-128, 128, size=s2).astype(np.int8)
        graph = Graph([_t("a", s1, *q1), _t("b", s2, *q2), _t("y", so, *qo)],
                      [Op("DIV", [0, 1], [2], {"fusedActivationFunction": i % 4}, "DivOptions")], [0, 1], [2])
        act = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6")[i % 4]
        fields = {"shape": quant.broadcast4(s1, s2), "q": with_activation(quant.div_params(*q1, *q2, *qo, act))}
        out.append((f"div_{i}", "mr_arithmetic_params", fields, x1, x2, _run(graph, [x1, x2]), {"kind": "DIV"}))
    return out


def rows_cases(kind, rng):
    out = []
    for i in range(CASES):
        shape = [int(d) for d in rng.integers(1, 9, size=int(rng.integers(1, 5)))]
        qx = _quant(rng)
        qy = (float(np.float32(16 / 256)), 127) if kind == "LOG_SOFTMAX" else _quant(rng)
        x = rng.integers(-128, 128, size=shape).astype(np.int8)
        options_type = "LogSoftmaxOptions" if kind == "LOG_SOFTMAX" else "L2NormOptions"
        graph = Graph([_t("x", shape, *qx), _t("y", shape, *qy)], [Op(kind, [0], [1], {}, options_type)], [0], [1])
        rows = (x.size // shape[-1], shape[-1])
        if kind == "LOG_SOFTMAX":
            ctype = "mr_log_softmax_params"
            fields = {"outer_size": rows[0], "depth": rows[1], **quant.log_softmax_params(qx[0])}
        else:  # mr_l2_normalization_s8's input_zero_point, outer_size, depth
            ctype, fields = "int32_t", [qx[1], *rows]
        out.append((f"{kind.lower()}_{i}", ctype, fields, x, np.zeros(0, np.int8), _run(graph, [x]), {"kind": kind}))
    return out


def main() -> None:
    rng = np.random.default_rng(200)
    cases = div_cases(rng) + rows_cases("L2_NORMALIZATION", rng) + rows_cases("LOG_SOFTMAX", rng)
    with open(os.path.join(HERE, "math_golden.h"), "w") as f:
        f.write(write_header(cases, "math", "int32_t[3] for L2_NORMALIZATION: input zero point, outer size, depth"))
    print(f"math_golden.h: {len(cases)} cases")


if __name__ == "__main__":
    main()
