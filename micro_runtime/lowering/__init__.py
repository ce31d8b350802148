"""One lowering per op family (`Lowering`, in base.py): every consumer asks `lowering_for(op)`.

To add an op: write its kernel (micro_runtime/kernels/<op>.c, declared in mr_kernels.h, with a golden
test), a `Lowering` subclass in a module of this package, and list it in `_FAMILIES` below
(docs/ARCHITECTURE.md, "How to add an op")."""
from __future__ import annotations

from micro_runtime.lowering.activations import HardSwish, Logistic
from micro_runtime.lowering.base import C_TYPES, Emitter, Lowering
from micro_runtime.lowering.concatenation import Concatenation
from micro_runtime.lowering.conv import Conv2D
from micro_runtime.lowering.depthwise import DepthwiseConv2D
from micro_runtime.lowering.elementwise import AddMul
from micro_runtime.lowering.fully_connected import FullyConnected
from micro_runtime.lowering.mean import Mean
from micro_runtime.lowering.pad import Pad
from micro_runtime.lowering.patch_copy import PatchCopy
from micro_runtime.lowering.pooling import Pool2D
from micro_runtime.lowering.quantize import Dequantize, Quantize
from micro_runtime.lowering.reshape import Reshape
from micro_runtime.lowering.resize import ResizeNearestNeighbor
from micro_runtime.lowering.softmax import Softmax
from micro_runtime.lowering.transpose import Transpose
from tflite_patch.graph import Graph, ModelError, Op

_FAMILIES: tuple[Lowering, ...] = (
    Conv2D(), DepthwiseConv2D(), FullyConnected(), AddMul(), Pool2D(), Mean(), Pad(), Reshape(), Softmax(),
    Concatenation(), ResizeNearestNeighbor(), HardSwish(), Logistic(), Quantize(), Dequantize(), Transpose(),
    PatchCopy(),
)
LOWERINGS: dict[str, Lowering] = {kind: family for family in _FAMILIES for kind in family.kinds}
ENGINE_ONLY_KINDS = frozenset({"PATCH_COPY"})  # made by the passes, never read from a .tflite
SUPPORTED_OPS = frozenset(LOWERINGS) - ENGINE_ONLY_KINDS


def lowering_for(op: Op) -> Lowering:
    """The lowering of `op`'s kind; `ModelError` (one line) for a kind the engine does not have."""
    family = LOWERINGS.get(op.kind)
    if family is None:
        raise ModelError(f"unsupported op {op.kind}")
    return family


def describe(graph: Graph, op: Op) -> str:
    """One line for an engine op: kind, output shape, fusion and in-place mode (comments, tables)."""
    shapes = " ".join("x".join(str(d) for d in graph.tensors[t].shape) for t in op.outputs)
    extra = []
    detail = lowering_for(op).detail(graph, op)
    if detail:
        extra.append(detail)
    if op.attrs.fused_add is not None:
        extra.append("+ADD")
    if op.attrs.inplace is not None:
        extra.append(f"in place ({op.attrs.inplace.order})")
    if op.attrs.patch is not None:
        source = op.attrs.patch_source
        extra.append(f"[patch {op.attrs.patch}{'' if source is None else f', op {source}'}]")
    return f"{op.kind} {' '.join(extra[:1])} -> {shapes} {' '.join(extra[1:])}".replace("  ", " ").strip()


__all__ = ["C_TYPES", "Emitter", "LOWERINGS", "Lowering", "SUPPORTED_OPS", "describe", "lowering_for"]
