"""Golden vectors for the elementwise kernels (maximum_minimum.c, relu.c, prelu.c, sub.c,
squared_difference.c, lut.c, logistic.c's TANH,
comparisons.c, select.c, fill.c), taken from the TF Lite Micro wheel.

Builds small single-op int8 models with tflite_patch (random shapes, broadcasting and quantization, fixed
seeds), runs each in the wheel on random inputs and writes the kernel's
parameter struct (derived with micro_runtime/quant.py, never read back from TFLM), the inputs and TFLM's output,
all in micro_runtime/golden/elementwise_golden.h (kernels/elementwise_test.c).

    .venv/bin/python micro_runtime/golden/make_golden_elementwise.py
"""
from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir))

from micro_runtime import quant  # noqa: E402
from micro_runtime.lowering.base import _initializer  # noqa: E402
from micro_runtime.lowering.binary import with_activation  # noqa: E402
from micro_runtime.lowering.comparisons import COMPARISONS  # noqa: E402
from tflite_patch import Graph, Op, Quantization, Tensor, save_tflite  # noqa: E402
from tflite_patch.tflm import run_tflm  # noqa: E402

CASES = 8


def _t(name, shape, scale, zp, data=None):
    return Tensor(name, tuple(shape), "int8", Quantization(np.array([scale], np.float32), np.array([zp], np.int64)),
                  data)


def _quant(rng):
    return float(np.float32(rng.uniform(0.004, 0.2))), int(rng.integers(-128, 128))


def _shapes(rng):
    rank = int(rng.integers(1, 5))
    out = [int(d) for d in rng.integers(1, 6, size=rank)]
    shapes = [[d if rng.random() < 0.6 else 1 for d in out[rank - int(rng.integers(1, rank + 1)):]] for _ in range(2)]
    full = [[1] * (rank - len(s)) + s for s in shapes]
    return shapes[0], shapes[1], [max(a, b) for a, b in zip(*full)]


def _c_array(name, values, ctype="int8_t"):
    flat = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    rows = [", ".join(flat[i:i + 16]) for i in range(0, len(flat), 16)]
    return f"static const {ctype} {name}[{len(flat)}] = {{\n  " + ",\n  ".join(rows) + "\n};"


def _run(graph, inputs):
    return run_tflm(save_tflite(graph), [inputs])[0][0]


def binary_cases(kind, rng):
    """(name, params C type, params fields, input1, input2, expected, extra) for SUB / SQUARED_DIFFERENCE /
    MAXIMUM / MINIMUM / PRELU / the comparisons (bool out)."""
    out = []
    for i in range(CASES):
        s1, s2, so = _shapes(rng)
        if kind == "PRELU":
            so = [max(a, b) for a, b in zip([1] * (len(so) - len(s1)) + s1, [1] * (len(so) - len(s2)) + s2)]
            s1 = so  # the input has the output's shape, alpha broadcasts
        q1, q2, qo = _quant(rng), _quant(rng), _quant(rng)
        x1 = rng.integers(-128, 128, size=s1).astype(np.int8)
        x2 = rng.integers(-128, 128, size=s2).astype(np.int8)
        options, options_type = {}, None
        if kind == "SUB":
            options, options_type = {"fusedActivationFunction": i % 4}, "SubOptions"
        elif kind == "SQUARED_DIFFERENCE":
            options_type = "SquaredDifferenceOptions"
        if kind in COMPARISONS and i % 2:  # equal quantization, many equal pairs
            q2 = q1
            x2 = np.where(rng.random(x2.shape) < 0.5, x1[tuple(0 for _ in x1.shape)], x2).astype(np.int8)
        second = _t("b", s2, *q2, x2 if kind == "PRELU" else None)
        y = Tensor("y", tuple(so), "bool") if kind in COMPARISONS else _t("y", so, *qo)
        graph = Graph([_t("a", s1, *q1), second, y], [Op(kind, [0, 1], [2], options, options_type)],
                      [0] if kind == "PRELU" else [0, 1], [2])
        want = _run(graph, [x1] if kind == "PRELU" else [x1, x2])
        shape = quant.broadcast4(s1, s2)
        if kind in COMPARISONS:
            p = quant.comparison_params(*q1, *q2)
            ctype, fields = "mr_arithmetic_params", {"shape": shape, "q": with_activation(p)}
        elif kind in ("MAXIMUM", "MINIMUM"):
            ctype, fields = "mr_broadcast4", shape
        elif kind == "PRELU":
            ctype, fields = "mr_prelu_params", {"shape": shape, **quant.prelu_params(*q1, *q2, *qo)}
        else:
            act = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6")[i % 4]
            if kind == "SUB":
                p = quant.sub_params(*q1, *q2, *qo, act)
            else:
                p = quant.squared_difference_params(*q1, *q2, *qo)
            ctype, fields = "mr_arithmetic_params", {"shape": shape, "q": with_activation(p)}
        out.append((f"{kind.lower()}_{i}", ctype, fields, x1, x2, want, {"kind": kind}))
    return out


def unary_cases(kind, rng):
    out = []
    for i in range(CASES):
        shape = [int(d) for d in rng.integers(1, 7, size=int(rng.integers(1, 5)))]
        qx, qy = _quant(rng), _quant(rng)
        options, options_type = {}, None
        alpha = float(rng.choice([0.01, 0.1, 0.2, 0.5, 1.5, -0.25]))
        if kind == "LEAKY_RELU":
            options, options_type = {"alpha": alpha}, "LeakyReluOptions"
        x = rng.integers(qx[1] if kind == "RSQRT" else -128, 128, size=shape).astype(np.int8)
        graph = Graph([_t("x", shape, *qx), _t("y", shape, *qy)], [Op(kind, [0], [1], options, options_type)],
                      [0], [1])
        want = _run(graph, [x])
        if kind == "RELU":
            ctype, fields = "mr_relu_params", with_activation(quant.relu_params(*qx, *qy))
        elif kind == "LEAKY_RELU":
            ctype, fields = "mr_leaky_relu_params", quant.leaky_relu_params(*qx, *qy, alpha)
        elif kind == "RELU6":  # the bounds in a mr_activation
            lower, upper = quant.relu6_bounds(*qx)
            ctype, fields = "mr_activation", {"min": lower, "max": upper}
        elif kind == "TANH":  # mr_tanh_s8's four values
            p = quant.logistic_params(*qx)
            ctype = "int32_t"
            fields = [p["input_zero_point"], p["input_range_radius"], p["input_multiplier"], p["input_left_shift"]]
        else:  # a table, indexed by the input byte
            table = {"ABS": quant.abs_table, "RSQRT": quant.rsqrt_table, "ELU": quant.elu_table}[kind](*qx, *qy)
            ctype, fields = "int8_t", table[128:] + table[:128]
        out.append((f"{kind.lower()}_{i}", ctype, fields, x, np.zeros(0, np.int8), want, {"kind": kind}))
    return out


def select_cases(kind, rng):
    """SELECT_V2 (input1: the condition as 0/1, input2: x, input3: y) and FILL (params: the value)."""
    out = []
    for i in range(CASES):
        if kind == "FILL":
            shape = [int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 5)))]
            q = _quant(rng)
            v = np.array(rng.integers(-128, 128), np.int8)
            graph = Graph([Tensor("dims", (len(shape),), "int32", None, np.array(shape, np.int32)), _t("v", (), *q),
                           _t("y", shape, *q)], [Op("FILL", [0, 1], [2], {}, None)], [1], [2])
            want = _run(graph, [v])
            out.append((f"fill_{i}", "int8_t", [int(v)], np.zeros(0, np.int8), np.zeros(0, np.int8), want,
                        {"kind": kind}))
            continue
        sx, sy, so = _shapes(rng)
        cond_shape = [d if rng.random() < 0.5 else 1 for d in so]
        cond = rng.random(cond_shape) < 0.5
        x = rng.integers(-128, 128, size=sx).astype(np.int8)
        y = rng.integers(-128, 128, size=sy).astype(np.int8)
        qx = _quant(rng)
        graph = Graph([Tensor("c", tuple(cond_shape), "bool"), _t("x", sx, *qx), _t("y", sy, *_quant(rng)),
                       _t("out", so, *qx)], [Op("SELECT_V2", [0, 1, 2], [3], {}, None)], [0, 1, 2], [3])
        want = _run(graph, [cond, x, y])
        dims, (sc, s1, s2) = quant.broadcast_strides(cond_shape, sx, sy)
        fields = {"dims": dims, "stride_condition": sc, "stride_x": s1, "stride_y": s2}
        out.append((f"select_v2_{i}", "mr_select_params", fields, cond.astype(np.int8), x, want,
                    {"kind": kind, "input3": y}))
    return out


KINDS = [(binary_cases, "MAXIMUM"), (binary_cases, "MINIMUM"), (unary_cases, "RELU"), (unary_cases, "RELU6"),
         (unary_cases, "LEAKY_RELU"), (binary_cases, "PRELU"), (binary_cases, "SUB"),
         (binary_cases, "SQUARED_DIFFERENCE"), (unary_cases, "ABS"), (unary_cases, "RSQRT"), (unary_cases, "ELU"),
         (unary_cases, "TANH")] + [(binary_cases, kind) for kind in COMPARISONS] + [
    (select_cases, "SELECT_V2"), (select_cases, "FILL")]


PARAMS_NOTE = ("mr_activation: RELU6's bounds; int32_t[4]: TANH's; int8_t[256]: the table of ABS, RSQRT, ELU; "
               "int8_t[1]: FILL's value")


def write_header(cases, stem: str = "elementwise", params_note: str = PARAMS_NOTE) -> str:
    """The golden header of `cases`: golden/<stem>_golden.h, written by make_golden_<stem>.py."""
    guard = f"MR_{stem.upper()}_GOLDEN_H_"
    lines = [f"/* Generated by micro_runtime/golden/make_golden_{stem}.py from TF Lite Micro (tflite-micro wheel)."
             " Do not edit. */", f"#ifndef {guard}", f"#define {guard}", "",
             "#include <stdint.h>", "", '#include "mr_types.h"', "",
             f"/* kind: the op (which kernel); params: its parameter struct ({params_note}). */",
             "typedef struct {", "  const char *name;", "  const char *kind;", "  const void *params;",
             "  int32_t n1, n2, n;", "  const int8_t *input1, *input2, *input3, *expected;",
             f"}} mr_{stem}_golden_case;", ""]
    rows = []
    for name, ctype, fields, x1, x2, want, extra in cases:
        dims = f"[{len(fields)}]" if isinstance(fields, list) else ""
        lines.append(f"static const {ctype} {name}_params{dims} = {_initializer(fields)};")
        lines.append(_c_array(f"{name}_input1", x1))
        lines.append(_c_array(f"{name}_input2", x2 if x2.size else np.zeros(1, np.int8)))
        lines.append(_c_array(f"{name}_input3", extra.get("input3", np.zeros(1, np.int8))))
        lines.append(_c_array(f"{name}_expected", want))
        params = f"{name}_params" if dims else f"&{name}_params"
        rows.append(f'  {{"{name}", "{extra["kind"]}", {params}, {x1.size}, {x2.size}, {want.size}, '
                    f"{name}_input1, {name}_input2, {name}_input3, {name}_expected}},")
    lines += ["", f"#define {stem.upper()}_GOLDEN_COUNT {len(cases)}",
              f"static const mr_{stem}_golden_case {stem}_golden_cases[{len(cases)}] = {{"] + rows
    lines += ["};", "", f"#endif /* {guard} */", ""]
    return "\n".join(lines)


def main() -> None:
    rng = np.random.default_rng(100)
    cases = [case for make, kind in KINDS for case in make(kind, rng)]
    with open(os.path.join(HERE, "elementwise_golden.h"), "w") as f:
        f.write(write_header(cases))
    print(f"elementwise_golden.h: {len(cases)} cases")


if __name__ == "__main__":
    main()
