"""RESHAPE and SQUEEZE: the same bytes under a new shape (an alias in the plan; a copy otherwise)."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import ModelError, Op


class Reshape(Lowering):
    kinds = ("RESHAPE", "SQUEEZE")
    activation_type = "any"  # bytes only

    def check(self, graph, i: int, op: Op) -> None:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if x.nbytes != y.nbytes:
            raise ModelError(f"reshapes {x.nbytes} bytes ({list(x.shape)}) into {y.nbytes} ({list(y.shape)})")

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        if e.plan.offsets[x] != e.plan.offsets[y]:
            e.body.append(f"  memcpy(A + {e.plan.offsets[y]}, A + {e.plan.offsets[x]}, {e.t(y).nbytes});")
        else:
            e.body.append("  /* alias: same bytes, new shape */")
