"""QUANTIZE and DEQUANTIZE with an int16 side: float32 -> int16, int8/int16/int32 -> int8/int16/int32 (TFLM's
Requantize, effective scale input / output in double) and int16 -> float32. (int8 <-> int32 is the int8
family's, on the kernels of quantize_s16.c.)"""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, elements, same_shape
from tflite_patch.graph import ModelError, Op

_SUFFIX = {"int8": "s8", "int16": "s16", "int32": "s32", "float32": "f32"}
_REQUANTIZE = {("int8", "int16"), ("int16", "int8"), ("int16", "int16"), ("int16", "int32"), ("int32", "int16")}


class QuantizeS16(Lowering):
    kinds = ("QUANTIZE", "DEQUANTIZE")
    sources = ("quantize_s16.c",)
    activation_type = "int16"

    def types_of(self, kind: str) -> tuple[str, ...]:
        if kind == "DEQUANTIZE":
            return ("int16 -> float32",)
        return ("float32 -> int16",) + tuple(f"{a} -> {b}" for a, b in sorted(_REQUANTIZE))

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        return same_shape(graph, op)

    def kernel(self, graph, op: Op, scratch_bytes: int | None = None) -> str:
        return f"{op.kind.lower()}_s16"

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        src, dst = e.t(x).dtype, e.t(y).dtype
        n = elements(e.graph, x)
        if op.kind == "QUANTIZE" and src == "float32" and dst == "int16":
            p = quant.quantize_params(*e.q(y))
            e.call("mr_quantize_f32_s16", e.ptr(x, True), n, e.ptr(y), f"{p['scale']!r}f", p["zero_point"])
        elif op.kind == "QUANTIZE" and (src, dst) in _REQUANTIZE:
            params = e.params("mr_requantize_params", "requantize", quant.requantize_params(*e.q(x), *e.q(y)))
            e.call(f"mr_requantize_{_SUFFIX[src]}_{_SUFFIX[dst]}", params, e.ptr(x, True), n, e.ptr(y))
        elif op.kind == "DEQUANTIZE" and (src, dst) == ("int16", "float32"):
            s, z = e.q(x)
            e.call("mr_dequantize_s16_f32", e.ptr(x, True), n, e.ptr(y), f"{float(np.float32(s))!r}f", z)
        else:
            raise ModelError(f"{src} -> {dst} is not supported")
