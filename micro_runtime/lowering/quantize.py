"""QUANTIZE (float32 -> int8/uint8, and requantization between int8 and uint8) and DEQUANTIZE
(int8/uint8 -> float32)."""
from __future__ import annotations

import numpy as np

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, Lowering, elements, same_shape
from tflite_patch.graph import ModelError, Op

_REQUANTIZE = {("int8", "int8"): "mr_requantize_s8_s8", ("uint8", "int8"): "mr_requantize_u8_s8",
               ("int8", "uint8"): "mr_requantize_s8_u8",
               ("int8", "int32"): "mr_requantize_s8_s32", ("int32", "int8"): "mr_requantize_s32_s8"}  # quantize_s16.c
_SUFFIX = {"int8": "s8", "uint8": "u8"}


class Quantize(Lowering):
    kinds = ("QUANTIZE",)
    sources = ("quantize.c", "quantize_x86.c", "quantize_backward.c")
    types = ("float32 -> int8", "float32 -> uint8", "int8 -> int8", "int8 -> uint8", "uint8 -> int8")

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        return same_shape(graph, op)

    def kernel_sources(self, graph, op: Op) -> tuple[str, ...]:
        wide = "int32" in (graph.tensors[op.inputs[0]].dtype, graph.tensors[op.outputs[0]].dtype)
        return self.sources + (("quantize_s16.c",) if wide else ())

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        src, dst = e.t(x).dtype, e.t(y).dtype
        if src == "float32" and dst in _SUFFIX:
            p = quant.quantize_params(*e.q(y))
            inplace = op.attrs.inplace
            backward = "_backward" if inplace is not None and inplace.order == "reverse" else ""
            e.call(f"mr_quantize_f32_{_SUFFIX[dst]}{backward}", e.ptr(x, True), elements(e.graph, x), e.ptr(y),
                   f"{p['scale']!r}f", p["zero_point"])
        elif (src, dst) in _REQUANTIZE:
            params = e.params("mr_requantize_params", "requantize", quant.requantize_params(*e.q(x), *e.q(y)))
            e.call(_REQUANTIZE[(src, dst)], params, e.ptr(x, True), elements(e.graph, x), e.ptr(y))
        else:
            raise ModelError(f"{src} -> {dst} is not supported")


class Dequantize(Lowering):
    kinds = ("DEQUANTIZE",)
    sources = ("dequantize.c",)
    types = ("int8 -> float32", "uint8 -> float32")

    def output_shapes(self, graph, op: Op) -> list[tuple[int, ...]]:
        return same_shape(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        src = e.t(x).dtype
        if src not in _SUFFIX or e.t(y).dtype != "float32":
            raise ModelError(f"{src} -> {e.t(y).dtype} is not supported")
        s, z = e.q(x)
        e.call(f"mr_dequantize_{_SUFFIX[src]}_f32", e.ptr(x, True), elements(e.graph, x), e.ptr(y),
               f"{float(np.float32(s))!r}f", z)
