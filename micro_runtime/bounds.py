"""The generation-time bounds proof: every call codegen emits reads and writes only the bytes the plan
gave it.

Each op's lowering says which bytes its call may touch (`Lowering.extents`: ranges of its tensors,
computed from its inputs and options, and of its scratch). `check_bounds` proves, for the planned engine
graph, that each range lies inside its tensor's (or scratch's) buffer, that every buffer lies inside the
arena, and that no write meets a buffer live at that op other than the ones the plan lets it share (its
own buffer: reshape aliases, in-place outputs over their inputs). The generator refuses, in one line,
to write code that fails it: a plan bug, or a model the checks let through, never becomes an overflow.
"""
from __future__ import annotations

from micro_runtime.lowering import lowering_for
from micro_runtime.lowering.base import Extent
from tflite_patch.graph import Graph, ModelError
from tflite_patch.occupancy import LiveSegments
from tflite_patch.planner import ArenaPlan, Buffer, arena_buffers


def _spans(graph: Graph, plan: ArenaPlan) -> tuple[list[list], dict[int | None, Buffer], dict[int, Buffer]]:
    """The (last op, arena start, arena end, buffer) of the segments that start at each op, each tensor's
    buffer and each op's scratch buffer; `ModelError` for a segment outside the arena."""
    starting: list[list] = [[] for _ in range(max(len(graph.ops), 1))]
    owner, scratch = {}, {}
    for b in arena_buffers(graph, plan.inplace_ops, plan.scratch_bytes, plan.external):
        for seg in b.segments:
            if b.scratch_of is not None:
                start, what = plan.scratch[b.scratch_of][0], f"the scratch of op {b.scratch_of}"
                scratch[b.scratch_of] = b
            else:
                start, what = plan.offsets[seg.tensor], f"tensor {seg.tensor} ({graph.tensors[seg.tensor].name})"
                owner[seg.tensor] = b
            if start < 0 or start + seg.size > plan.arena_bytes:
                raise ModelError(f"{what} at arena bytes [{start}, {start + seg.size}) lies outside the "
                                 f"{plan.arena_bytes}-byte arena")
            starting[seg.first].append((seg.last, start, start + seg.size, b))
    return starting, owner, scratch


def _region(graph: Graph, plan: ArenaPlan, i: int, x: Extent) -> tuple[int, int] | None:
    """The arena bytes [lo, hi) of extent `x` of op `i` (None: a graph input read from the caller's
    buffer); `ModelError` when it leaves its tensor's or its scratch's buffer."""
    if x.tensor is None:
        offset, granted = plan.scratch.get(i, (0, 0))
        what = "scratch"
    else:
        tensor = graph.tensors[x.tensor]
        what = f"tensor {x.tensor} ({tensor.name})"
        if x.tensor not in plan.offsets and x.tensor not in plan.external:
            raise ModelError(f"{what} has no place in the arena")
        offset, granted = plan.offsets.get(x.tensor, 0), tensor.nbytes
    if x.start < 0 or x.start + x.size > granted:
        raise ModelError(f"its call {'writes' if x.write else 'reads'} bytes [{x.start}, {x.start + x.size}) of "
                         f"{what}, which has {granted}")
    if x.tensor in plan.external:
        if x.write:
            raise ModelError(f"its call writes graph input {x.tensor}, which is read from the caller's buffer")
        return None
    return offset + x.start, offset + x.start + x.size


def check_bounds(graph: Graph, plan: ArenaPlan) -> None:
    """Prove the planned `graph`'s calls stay inside the buffers of `plan` (see the module docstring);
    `ModelError` (one line, naming the op) where they do not. Time: the segments and extents, each with a
    few bisections over the segments live at its op."""
    starting, owner, scratch = _spans(graph, plan)
    live, ending = LiveSegments(), {}
    for i, op in enumerate(graph.ops):
        for last, start, end, b in starting[i]:
            live.add(start, end, b)
            ending.setdefault(last, []).append((start, end, b))
        try:
            extents = lowering_for(op, graph).extents(graph, op)
            regions = [(x, _region(graph, plan, i, x)) for x in extents]
        except ModelError as err:
            raise ModelError(f"op {op.kind} at index {i}: {err}") from None
        for x, region in regions:
            if not x.write or region is None:
                continue
            b = live.other_meeting(*region, scratch.get(i) if x.tensor is None else owner.get(x.tensor))
            if b is not None:
                held = f"the scratch of op {b.scratch_of}" if b.scratch_of is not None else \
                    f"tensor {b.tensors[0]} ({graph.tensors[b.tensors[0]].name})"
                raise ModelError(f"op {op.kind} at index {i}: its call writes arena bytes [{region[0]}, "
                                 f"{region[1]}), which {held} holds at that op")
        for start, end, b in ending.pop(i, ()):
            live.remove(start, end, b)
