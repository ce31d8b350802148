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
from typing import Callable, Collection

from tflite_patch.graph import Graph
from tflite_patch.occupancy import LiveSegments, Occupancy


@dataclasses.dataclass
class Segment:
    """One tensor's stay in its buffer: live from op `first` to op `last`, `size` bytes starting `rel`
    bytes after the buffer's offset."""
    first: int
    last: int
    size: int
    rel: int = 0
    tensor: int | None = None


@dataclasses.dataclass
class Buffer:
    """A region of the arena placed at one offset: tensors that share bytes (reshape aliases, in-place
    outputs, outputs written at a fixed distance from the input they overwrite), or one op's scratch
    (`scratch_of`). At any op the buffer occupies only its live segments, so an in-place chain grows and
    shrinks with its tensors instead of holding its largest size for its whole life."""
    tensors: list[int]
    segments: list[Segment]
    scratch_of: int | None = None

    @property
    def size(self) -> int:
        return max(s.rel + s.size for s in self.segments)

    @property
    def first(self) -> int:
        return min(s.first for s in self.segments)

    @property
    def last(self) -> int:
        return max(s.last for s in self.segments)

    def bytes_at(self, op: int) -> int:
        """Bytes the buffer's live segments cover at `op` (the union of their intervals)."""
        return _union_bytes([(s.rel, s.rel + s.size) for s in self.segments if s.first <= op <= s.last])

    def bytes_per_op(self) -> dict[int, int]:
        """`bytes_at` for every op the buffer lives at, in time linear in the segments' lifetimes."""
        spans: dict[int, list[tuple[int, int]]] = {}
        for s in self.segments:
            for op in range(s.first, s.last + 1):
                spans.setdefault(op, []).append((s.rel, s.rel + s.size))
        return {op: _union_bytes(at) for op, at in spans.items()}


def _union_bytes(spans: list[tuple[int, int]]) -> int:
    """Length of the union of half-open intervals."""
    total, end = 0, None
    for lo, hi in sorted(spans):
        if end is None or lo >= end:
            total += hi - lo
            end = hi
        elif hi > end:
            total += hi - end
            end = hi
    return total


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
    inplace_ops: frozenset = frozenset()
    inplace_choice: dict = dataclasses.field(default_factory=dict)  # op -> in-place alternative (1-based)
    scratch_bytes: dict = dataclasses.field(default_factory=dict)  # the extra scratch it was planned with
    external: frozenset = frozenset()  # graph inputs read from the caller's buffer, not placed in the arena


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def inplace_candidates(graph: Graph) -> list[int]:
    """Ops that `passes.mark_inplace` allows to write over an input."""
    return [i for i, op in enumerate(graph.ops) if op.attrs.inplace is not None]


def with_alternatives(graph: Graph, choice: dict[int, int]) -> Graph:
    """A copy of `graph` where op i uses its in-place alternative `choice[i]` (1-based index into
    `attrs.inplace.alternatives`; 0 keeps the op's first mode)."""
    import copy
    g = copy.copy(graph)
    g.ops = list(graph.ops)
    for i, k in choice.items():
        if k:
            op = copy.copy(graph.ops[i])
            op.attrs = op.attrs.copy()
            op.attrs.inplace = op.attrs.inplace.alternative(k)
            g.ops[i] = op
    return g


def arena_buffers(graph: Graph, inplace_ops: Collection[int] = (),
                  scratch_bytes: dict[int, int] | None = None, external: Collection[int] = ()) -> list[Buffer]:
    """Group the graph's activation tensors into buffers with lifetimes, plus per-op scratch buffers.

    Ops in `inplace_ops` (marked by `passes.mark_inplace`) share their output's buffer with the input
    they overwrite and get their in-place scratch (`attrs.inplace.scratch_bytes`); every op gets its
    `attrs.scratch_bytes`. `scratch_bytes` (op index -> bytes) replaces an op's total scratch when
    the engine knows better (e.g. kernels that need an im2col buffer). Tensors in `external` (graph
    inputs the code reads straight from the caller's buffer) get no buffer.
    """
    # Walk the ops in order: a reshape alias or an in-place output joins its input's group at a
    # fixed distance (`attrs.inplace.offset`, 0 unless the kernel writes at an offset).
    chosen = set(inplace_ops)
    root = {t: t for t in range(len(graph.tensors))}
    rel = {t: 0 for t in range(len(graph.tensors))}
    for i, op in enumerate(graph.ops):
        if op.attrs.alias:
            src, out = op.inputs[0], op.outputs[0]
        elif i in chosen:
            src, out = op.inputs[op.attrs.inplace.position], op.outputs[0]
        else:
            continue
        # `out` is written by this op, so no tensor has joined its group yet: it joins `src`'s.
        root[out], rel[out] = root[src], rel[src] + (0 if op.attrs.alias else op.attrs.inplace.offset)
    groups = root
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
        if t in first and t not in external and not graph.tensors[t].is_variable:  # state: static, never reused
            members.setdefault(groups[t], []).append(t)
    buffers = []
    for ts in members.values():
        low = min(rel[t] for t in ts)
        buffers.append(Buffer(tensors=sorted(ts), segments=[
            Segment(first[t], last[t], graph.tensors[t].nbytes, rel[t] - low, t) for t in sorted(ts)]))
    sizes = {i: op.attrs.scratch_bytes + (op.attrs.inplace.scratch_bytes if i in chosen else 0)
             for i, op in enumerate(graph.ops)}
    sizes.update(scratch_bytes or {})
    for i, size in sorted(sizes.items()):
        if size > 0:
            buffers.append(Buffer(tensors=[], segments=[Segment(i, i, int(size))], scratch_of=i))
    return buffers


def live_bytes_per_op(graph: Graph, buffers: list[Buffer]) -> list[int]:
    """Bytes that must coexist while each op runs (the sum over buffers of what each holds then); a buffer
    of several segments is visited at the ops it lives at, a single segment only at its two ends."""
    live = [0] * max(len(graph.ops), 1)
    change = [0] * (len(live) + 1)  # a lone segment adds its size from its first op to its last
    for b in buffers:
        if len(b.segments) == 1:
            seg = b.segments[0]
            change[seg.first] += seg.size
            change[seg.last + 1] -= seg.size
        else:
            for op, size in b.bytes_per_op().items():
                live[op] += size
    total = 0
    for op in range(len(live)):
        total += change[op]
        live[op] += total
    return live


def lower_bound_bytes(graph: Graph, inplace: bool = True, scratch_bytes: dict[int, int] | None = None,
                      external: Collection[int] = ()) -> int:
    """The largest number of bytes live at once at any op, with every allowed op in place (`inplace`):
    no placement of these buffers, and no choice of in-place ops, can use less."""
    ops = inplace_candidates(graph) if inplace else ()
    return max(live_bytes_per_op(graph, arena_buffers(graph, ops, scratch_bytes, external)), default=0)


def _first_fit(order: list[Buffer], alignment: int) -> tuple[list[int], int]:
    """Place buffers in the given order, each at the lowest aligned offset where none of its segments
    overlaps, in bytes and in time, a segment already placed. Returns offsets (in `order`'s order) and
    the arena size. The placed bytes are indexed by time (`Occupancy`), so a buffer's offset costs about
    log(ops) bisections per run of packed buffers it must skip, not one step per placed segment."""
    occupancy = Occupancy([(s.first, s.last) for b in order for s in b.segments])
    offsets = []
    top = 0
    for b in order:
        segments = [(s.first, s.last, s.rel, _align(s.size, alignment)) for s in b.segments]
        offset = occupancy.place(segments, alignment)
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


def _needed_inplace(graph: Graph, marked: list[int], external: Collection[int] = ()) -> list[int]:
    """The marked ops without which the lower bound would rise: running an op in place only changes the
    bytes live at that op, so an op whose separate output still fits under the all-in-place lower
    bound gains nothing from sharing, and not sharing frees the placer (a chain of in-place ops must
    keep one base offset for its whole life)."""
    live = live_bytes_per_op(graph, arena_buffers(graph, marked, external=external))
    bound = max(live, default=0)
    keep = []
    for i in marked:
        op = graph.ops[i]
        src, out = graph.tensors[op.inputs[op.attrs.inplace.position]].nbytes, graph.tensors[op.outputs[0]].nbytes
        d = op.attrs.inplace.offset
        shared = max(src, d + out) - min(0, d)  # the two tensors' union when they share a base
        alone = live[i] - shared + src + out - op.attrs.inplace.scratch_bytes
        if alone > bound:
            keep.append(i)
    return keep


def _inplace_policies(graph: Graph, external: Collection[int] = ()) -> dict[str, list[int]]:
    """Sets of in-place ops to try. Sharing a base offset is not always a win: a long in-place chain
    must fit one offset for its whole life, so elementwise ops (a float QUANTIZE at the input) can
    cost more than they save."""
    marked = inplace_candidates(graph)
    convs = [i for i in marked if graph.ops[i].kind in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    depthwise = [i for i in marked if graph.ops[i].kind == "DEPTHWISE_CONV_2D"]
    policies = {"all": marked, "needed": _needed_inplace(graph, marked, external), "convs": convs,
                "depthwise": depthwise}
    return {name: ops for name, ops in policies.items()
            if name == "all" or ops != policies["all"]}


def plan_arena(graph: Graph, alignment: int = 4, inplace: bool = True,
               scratch_bytes: dict[int, int] | None = None, external: Collection[int] = ()) -> ArenaPlan:
    """Place every activation tensor (and per-op scratch) of `graph` in one arena.

    With `inplace`, tries several sets of in-place ops (`_inplace_policies`); for each, every ordering in
    `HEURISTICS` with first-fit placement; keeps the smallest arena. `plan.inplace_ops` says which ops
    must run in place. `inplace=False` gives a plan without in-place sharing (for TFLM). Offsets are
    multiples of `alignment`. Graph inputs in `external` are read from the caller's buffer (no offset).
    """
    external = frozenset(external)
    policies = _inplace_policies(graph, external) if inplace else {"none": []}
    alternatives = [i for i, op in enumerate(graph.ops) if op.attrs.inplace and op.attrs.inplace.alternatives]
    choices = [{}] + ([{i: 1 for i in alternatives}] if inplace and alternatives else [])
    best = None
    tried = set()  # orders already placed: first-fit is a function of the segments, and ties keep the first
    for choice in choices:
        variant = with_alternatives(graph, choice)
        for policy, ops in policies.items():
            buffers = arena_buffers(variant, ops, scratch_bytes, external)
            for name, key in HEURISTICS.items():
                order = sorted(buffers, key=key)
                signature = tuple(tuple((s.first, s.last, s.size, s.rel) for s in b.segments) for b in order)
                if signature in tried:
                    continue
                tried.add(signature)
                offsets, top = _first_fit(order, alignment)
                if best is None or top < best[0]:
                    label = f"{name}, in place: {policy}{', alternatives' if choice else ''}"
                    best = (top, label, order, offsets, ops, buffers, choice)
    top, heuristic, order, offs, ops, buffers, choice = best
    tensor_offsets: dict[int, int] = {}
    scratch: dict[int, tuple[int, int]] = {}
    for b, off in zip(order, offs):
        if b.scratch_of is not None:
            scratch[b.scratch_of] = (off, b.size)
        for seg in b.segments:
            if seg.tensor is not None:
                tensor_offsets[seg.tensor] = off + seg.rel
    return ArenaPlan(offsets=tensor_offsets, scratch=scratch, arena_bytes=top,
                     lower_bound_bytes=lower_bound_bytes(graph, inplace, scratch_bytes, external),
                     live_bytes=live_bytes_per_op(graph, buffers), heuristic=heuristic,
                     alignment=alignment, inplace=inplace, inplace_ops=frozenset(ops),
                     inplace_choice={i: k for i, k in choice.items() if i in ops},
                     scratch_bytes=dict(scratch_bytes or {}), external=external)


def check_plan(graph: Graph, plan: ArenaPlan, scratch_bytes: dict[int, int] | None = None) -> None:
    """Raise AssertionError unless the plan is sound: every segment inside the arena and aligned, the
    tensors of one buffer at their fixed distances, and no two segments of different buffers, or of
    unrelated tensors, sharing bytes while both are live."""
    buffers = arena_buffers(with_alternatives(graph, plan.inplace_choice), plan.inplace_ops, scratch_bytes,
                            plan.external)
    starting: dict[int, list] = {}
    for b in buffers:
        if b.scratch_of is not None:
            base = plan.scratch[b.scratch_of][0]
        else:
            seg0 = b.segments[0]
            base = plan.offsets[seg0.tensor] - seg0.rel
        for seg in b.segments:
            start = base + seg.rel
            if seg.tensor is not None:
                assert plan.offsets[seg.tensor] == start, f"tensor {seg.tensor} not at its distance in {b.tensors}"
            assert start % plan.alignment == 0 and 0 <= start and start + seg.size <= plan.arena_bytes, \
                f"segment {seg} out of the arena or unaligned"
            starting.setdefault(seg.first, []).append((seg.last, start, start + seg.size, b))
    live, ending = LiveSegments(), {}  # a sweep over the ops: each segment checked once, when it starts
    for op in range(max(len(graph.ops), 1)):
        for last, start, end, b in starting.get(op, ()):
            other = live.other_meeting(start, end, b)
            assert other is None, f"{b} and {other} overlap"
            live.add(start, end, b)
            ending.setdefault(last, []).append((start, end, b))
        for start, end, b in ending.pop(op, ()):
            live.remove(start, end, b)
