"""One lowering per op family (`Lowering`, in base.py): every consumer asks `lowering_for(op, graph)`.

Every module of this package is imported and each concrete `Lowering` subclass in it registered for its
`kinds` and its `activation_type`: adding an op is its kernel, its golden test and one module here
(docs/ARCHITECTURE.md, "How to add an op"). An op is int16 when one of its tensors that is not a constant is
(16x8 quantization), int8 otherwise; the two take separate lowerings of the same kind, and a family that only
moves bytes says `activation_type = "any"`."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from micro_runtime.lowering.base import C_TYPES, Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op


def _discover() -> dict[tuple[str, str], Lowering]:
    found: dict[tuple[str, str], Lowering] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Lowering) and cls.kinds and cls.__module__ == module.__name__:
                for kind in cls.kinds:
                    key = (kind, cls.activation_type)
                    if key in found:
                        raise RuntimeError(f"{key} has two lowerings: {type(found[key]).__name__} and {cls.__name__}")
                    found[key] = cls()
    return found


_BY_TYPE = _discover()
LOWERINGS_BY_TYPE: dict[tuple[str, str], Lowering] = dict(_BY_TYPE)  # (kind, activation type) -> lowering
LOWERINGS: dict[str, Lowering] = {kind: family for (kind, t), family in _BY_TYPE.items() if t in ("int8", "any")}
SUPPORTED_OPS = frozenset(kind for (kind, _), family in _BY_TYPE.items() if not family.engine_only)


def activation_type(graph: Graph, op: Op) -> str:
    """"int16" when a tensor of `op` that is not a constant is int16 (16x8 quantization), else "int8"."""
    tensors = [graph.tensors[t] for t in list(op.inputs) + list(op.outputs) if t >= 0]
    return "int16" if any(t.dtype == "int16" and not t.is_constant for t in tensors) else "int8"


def lowering_for(op: Op, graph: Graph) -> Lowering:
    """The lowering of `op`'s kind for its activation type in `graph`; `ModelError` (one line) for a kind or
    type the engine does not have."""
    kind_type = activation_type(graph, op)
    family = _BY_TYPE.get((op.kind, kind_type)) or _BY_TYPE.get((op.kind, "any"))
    if family is None:
        raise ModelError(f"unsupported op {op.kind}" + (" with int16 activations" if kind_type == "int16" else ""))
    return family


def describe(graph: Graph, op: Op) -> str:
    """One line for an engine op: kind, output shape, fusion and in-place mode (comments, tables)."""
    shapes = " ".join("x".join(str(d) for d in graph.tensors[t].shape) for t in op.outputs)
    extra = []
    detail = lowering_for(op, graph).detail(graph, op)
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


__all__ = ["C_TYPES", "Emitter", "LOWERINGS", "LOWERINGS_BY_TYPE", "Lowering", "SUPPORTED_OPS", "describe", "lowering_for"]
