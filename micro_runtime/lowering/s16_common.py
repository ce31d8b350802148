"""What the 16x8 lowerings (int16 activations, int8 weights) share: the int16 checks TFLM's Prepare makes
and the bias, which TFLM takes as int32 or int64 (the kernels accumulate in its type)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter
from micro_runtime.lowering.conv_common import has_bias
from tflite_patch.graph import Graph, ModelError, Op


def require_int16(graph: Graph, tensors) -> None:
    """Each tensor is int16 with one scale and zero point 0 (TFLM's 16x8 kernels check it)."""
    for t in tensors:
        tensor = graph.tensors[t]
        if tensor.dtype != "int16":
            raise ModelError(f"tensor {t} is {tensor.dtype}; this 16x8 op needs int16")
        if tensor.quant is None or tensor.quant.scale.size != 1 or int(tensor.quant.zero_point[0]) != 0:
            raise ModelError(f"tensor {t} needs per-tensor quantization with zero point 0")


def bias_s16(e: Emitter, op: Op) -> tuple[str, str]:
    """(int32 bias, int64 bias) arrays for a 16x8 layer, "NULL" for the one the model does not have."""
    if not has_bias(op):
        return "NULL", "NULL"
    b = op.inputs[2]
    if e.t(b).dtype == "int64":
        return "NULL", e.const(b)
    return e.const(b), "NULL"


def bias_bytes(graph: Graph, op: Op) -> int:
    return graph.tensors[op.inputs[2]].nbytes if has_bias(op) else 0
