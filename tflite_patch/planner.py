"""The static memory planner: one arena, every non-constant tensor at a fixed offset.

The same `plan_arena` places tensors for the generated C code (in-place ops allowed) and for the plan
injected into TFLM (no in-place: TFLM's kernels cannot run in place), and TinyNAS calls it to decide
whether a candidate fits the SRAM budget.

Lifetimes come from the op order: a tensor is live from the op that writes it (op 0 for graph inputs)
to the last op that reads it (the end for graph outputs). Tensors that share bytes (reshape aliases,
in-place outputs) form one buffer whose lifetime is the union of theirs.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from tflite_patch.graph import Graph
from tflite_patch.passes import alias_groups


@dataclasses.dataclass
class Buffer:
    """A region of the arena that starts at one offset: tensors sharing bytes (reshape aliases, in-place
    outputs), or one op's scratch (`scratch_of`). Each segment (first_op, last_op, bytes) is one member's
    lifetime; at any op the buffer occupies the largest segment live then, so an in-place chain grows
    and shrinks with its tensors instead of holding its largest size for its whole life."""
    tensors: list[int]
    segments: list[tuple[int, int, int]]
    scratch_of: int | None = None

    @property
    def size(self) -> int:
        return max(size for _, _, size in self.segments)

    @property
    def first(self) -> int:
        return min(first for first, _, _ in self.segments)

    @property
    def last(self) -> int:
        return max(last for _, last, _ in self.segments)

    def bytes_at(self, op: int) -> int:
        return max((size for first, last, size in self.segments if first <= op <= last), default=0)


@dataclasses.dataclass
class ArenaPlan:
    """Where every buffer lives. `offsets` maps tensor index -> byte offset; `scratch` maps op index ->
    (offset, size)."""
    offsets: dict[int, int]
    scratch: dict[int, tuple[int, int]]
    arena_bytes: int
    lower_bound_bytes: int
    live_bytes: list[int]
    heuristic: str
    alignment: int
    inplace: bool


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def arena_buffers(graph: Graph, inplace: bool = True,
                  scratch_bytes: dict[int, int] | None = None) -> list[Buffer]:
    """Group the graph's activation tensors into buffers with lifetimes, plus per-op scratch buffers.

    With `inplace`, ops marked by `passes.mark_inplace` share their output's buffer with the input they
    overwrite and get their scratch. `scratch_bytes` (op index -> bytes) replaces the marked scratch
    sizes when the engine knows better (e.g. kernels that need an im2col buffer).
    """
    groups = dict(alias_groups(graph))
    if inplace:
        for op in graph.ops:
            if "inplace" in op.attrs:
                src = op.inputs[op.attrs["inplace"]]
                out_root, src_root = groups[op.outputs[0]], groups[src]
                for t, r in groups.items():
                    if r == out_root:
                        groups[t] = src_root
    n_ops = len(graph.ops)
    first: dict[int, int] = {}
    last: dict[int, int] = {}

    def touch(t: int, i: int) -> None:
        first[t] = min(first.get(t, i), i)
        last[t] = max(last.get(t, i), i)

    for t in graph.inputs:
        touch(t, 0)
    for i, op in enumerate(graph.ops):
        for t in list(op.inputs) + list(op.outputs):
            if t >= 0 and not graph.tensors[t].is_constant:
                touch(t, i)
    for t in graph.outputs:
        touch(t, max(n_ops - 1, 0))

    members: dict[int, list[int]] = {}
    for t in graph.activation_tensors():
        if t in first:
            members.setdefault(groups[t], []).append(t)
    buffers = [Buffer(tensors=sorted(ts), segments=[(first[t], last[t], graph.tensors[t].nbytes) for t in sorted(ts)])
               for ts in members.values()]
    sizes = {i: op.attrs.get("scratch_bytes", 0) for i, op in enumerate(graph.ops)} if inplace else {}
    sizes.update(scratch_bytes or {})
    for i, size in sorted(sizes.items()):
        if size > 0:
            buffers.append(Buffer(tensors=[], segments=[(i, i, int(size))], scratch_of=i))
    return buffers


def live_bytes_per_op(graph: Graph, buffers: list[Buffer]) -> list[int]:
    """Bytes that must coexist while each op runs (the sum over buffers of what each holds then)."""
    return [sum(b.bytes_at(i) for b in buffers) for i in range(max(len(graph.ops), 1))]


def lower_bound_bytes(graph: Graph, inplace: bool = True, scratch_bytes: dict[int, int] | None = None) -> int:
    """The largest number of bytes live at once at any op: no placement of these buffers can use less."""
    return max(live_bytes_per_op(graph, arena_buffers(graph, inplace, scratch_bytes)), default=0)


def _first_fit(order: list[Buffer], alignment: int) -> tuple[list[int], int]:
    """Place buffers in the given order, each at the lowest aligned offset where none of its segments
    overlaps, in bytes and in time, a segment already placed. Returns offsets (in `order`'s order) and
    the arena size."""
    placed: list[tuple[int, int, int, int]] = []  # (first, last, start, end) of every placed segment
    offsets = []
    top = 0
    for b in order:
        forbidden = []  # open intervals (lo, hi) of offsets that would collide
        for first, last, size in b.segments:
            size = _align(size, alignment)
            forbidden += [(start - size, end) for f, l, start, end in placed if f <= last and first <= l]
        candidates = sorted({0} | {_align(hi, alignment) for _, hi in forbidden})
        offset = next(o for o in candidates if all(not (lo < o < hi) for lo, hi in forbidden))
        for first, last, size in b.segments:
            placed.append((first, last, offset, offset + _align(size, alignment)))
        offsets.append(offset)
        top = max(top, offset + _align(b.size, alignment))
    return offsets, top


# Orderings tried by plan_arena; the smallest arena wins (ties: the earlier heuristic).
HEURISTICS: dict[str, Callable[[Buffer], tuple]] = {
    "size_desc": lambda b: (-b.size, b.first),
    "size_x_lifetime_desc": lambda b: (-b.size * (b.last - b.first + 1), -b.size, b.first),
    "first_use": lambda b: (b.first, -b.size),
    "lifetime_desc": lambda b: (-(b.last - b.first), -b.size, b.first),
    "last_use_desc": lambda b: (-b.last, -b.size),
}


def plan_arena(graph: Graph, alignment: int = 4, inplace: bool = True,
               scratch_bytes: dict[int, int] | None = None) -> ArenaPlan:
    """Place every activation tensor (and per-op scratch) of `graph` in one arena.

    Tries each ordering in `HEURISTICS` with first-fit placement and keeps the smallest arena.
    `inplace=False` gives a plan without in-place sharing (for TFLM). Offsets are multiples of
    `alignment`.
    """
    buffers = arena_buffers(graph, inplace, scratch_bytes)
    live = live_bytes_per_op(graph, buffers)
    best = None
    for name, key in HEURISTICS.items():
        order = sorted(buffers, key=key)
        offsets, top = _first_fit(order, alignment)
        if best is None or top < best[0]:
            best = (top, name, order, offsets)
    top, heuristic, order, offs = best if best else (0, "empty", [], [])
    tensor_offsets: dict[int, int] = {}
    scratch: dict[int, tuple[int, int]] = {}
    for b, off in zip(order, offs):
        if b.scratch_of is not None:
            scratch[b.scratch_of] = (off, b.size)
        for t in b.tensors:
            tensor_offsets[t] = off
    return ArenaPlan(offsets=tensor_offsets, scratch=scratch, arena_bytes=top,
                     lower_bound_bytes=max(live, default=0), live_bytes=live, heuristic=heuristic,
                     alignment=alignment, inplace=inplace)


def check_plan(graph: Graph, plan: ArenaPlan, scratch_bytes: dict[int, int] | None = None) -> None:
    """Raise AssertionError if two buffers that are live at the same op overlap in the arena."""
    buffers = arena_buffers(graph, plan.inplace, scratch_bytes)
    spans = []
    for b in buffers:
        off = plan.scratch[b.scratch_of][0] if b.scratch_of is not None else plan.offsets[b.tensors[0]]
        assert all(plan.offsets[t] == off for t in b.tensors), f"aliased tensors {b.tensors} split"
        assert off % plan.alignment == 0 and off + b.size <= plan.arena_bytes, f"buffer {b} out of arena"
        spans += [(f, l, off, off + size, b) for f, l, size in b.segments]
    for i, (f1, l1, s1, e1, b1) in enumerate(spans):
        for f2, l2, s2, e2, b2 in spans[i + 1:]:
            assert b1 is b2 or not (f1 <= l2 and f2 <= l1 and s1 < e2 and s2 < e1), f"{b1} and {b2} overlap"
