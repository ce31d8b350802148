"""One lowering per op family (`Lowering`, in base.py): every consumer asks `lowering_for(op)`.

Every module of this package is imported and each concrete `Lowering` subclass in it registered for its
`kinds`: adding an op is its kernel, its golden test and one module here (docs/ARCHITECTURE.md, "How
to add an op")."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from micro_runtime.lowering.base import C_TYPES, Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op


def _discover() -> dict[str, Lowering]:
    found: dict[str, Lowering] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Lowering) and cls.kinds and cls.__module__ == module.__name__:
                for kind in cls.kinds:
                    if kind in found:
                        raise RuntimeError(f"{kind} has two lowerings: {type(found[kind]).__name__} and {cls.__name__}")
                    found[kind] = cls()
    return found


LOWERINGS: dict[str, Lowering] = _discover()
SUPPORTED_OPS = frozenset(kind for kind, family in LOWERINGS.items() if not family.engine_only)


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
