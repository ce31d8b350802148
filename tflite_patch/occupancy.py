"""Which arena bytes are taken during which ops: the index behind the planner's first-fit.

First-fit asks, for each buffer, the lowest aligned offset where none of its segments meets, in bytes and
in time, a segment placed before it. Scanning every placed segment makes a graph of N branches live at
once quadratic. Here time (op indices) is a segment tree: a placed segment is recorded at the O(log ops)
nodes that tile its lifetime ("cover") and at their ancestors ("part"); the segments meeting a window of
ops are then exactly those in the cover and part runs of the window's tiles plus the cover runs of the
tiles' ancestors. Each node keeps its bytes as merged runs, so a query jumps over a whole run of packed
buffers with one bisection instead of visiting them one by one.

Checking a plan (the planner's `check_plan`, the bounds proof) sweeps the ops once instead: `LiveSegments`
holds the segments live at the current op, so whether a range meets another buffer's bytes costs a few
bisections, not one test per live segment.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort


class ByteRuns:
    """Disjoint, non-touching half-open byte ranges [starts[i], ends[i]), sorted."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, lo: int, hi: int) -> None:
        """Take bytes [lo, hi), merging the runs it meets or touches."""
        starts, ends = self.starts, self.ends
        i = bisect_left(ends, lo)  # first run ending at or after lo
        if i == len(starts) or starts[i] > hi:
            starts.insert(i, lo)
            ends.insert(i, hi)
            return
        j = bisect_right(starts, hi, i)  # runs i..j-1 meet or touch [lo, hi)
        if lo < starts[i]:
            starts[i] = lo
        if hi < ends[j - 1]:
            hi = ends[j - 1]
        if j > i + 1:
            del starts[i + 1:j], ends[i + 1:j]
        if hi > ends[i]:
            ends[i] = hi

    def blocking_end(self, lo: int, hi: int) -> int | None:
        """The end of the run that meets [lo, hi) (hi > lo), or None when those bytes are free."""
        i = bisect_right(self.ends, lo)  # first run ending after lo
        if i < len(self.starts) and self.starts[i] < hi:
            return self.ends[i]
        return None


class Occupancy:
    """The segments placed so far in one first-fit run, for the lowest free offset of the next buffer.

    Exact for segments of at least one byte (the planner places no empty tensor or scratch): merging
    touching runs changes nothing for them."""

    def __init__(self, windows: list[tuple[int, int]]) -> None:
        """For segments living over the (first op, last op) `windows` (those to place, in any order). A
        placed segment is only ever looked up through the tiles of these windows, so only those nodes
        get runs: a graph of short lifetimes (a chain) pays a few nodes per segment, not log(ops)."""
        self.leaves = 1
        while self.leaves <= max((last for _, last in windows), default=0):
            self.leaves *= 2
        self.tile_nodes = {v for first, last in set(windows) for v in self.tiles(first, last)}
        self.lowest_node = min(self.tile_nodes, default=1)
        self.cover: list[ByteRuns | None] = [None] * (2 * self.leaves)
        self.part: list[ByteRuns | None] = [None] * (2 * self.leaves)

    def tiles(self, first: int, last: int) -> list[int]:
        """The tree nodes tiling ops [first, last]: leaves are nodes leaves..2*leaves-1, node v's
        children 2v and 2v+1."""
        tiles = []
        lo, hi = first + self.leaves, last + self.leaves + 1
        while lo < hi:
            if lo & 1:
                tiles.append(lo)
                lo += 1
            if hi & 1:
                hi -= 1
                tiles.append(hi)
            lo, hi = lo >> 1, hi >> 1
        return tiles

    def nodes(self, first: int, last: int) -> tuple[list[int], list[int]]:
        """The tiles of ops [first, last], and those of their ancestors that tile some window (each once)."""
        tiles = self.tiles(first, last)
        seen: set[int] = set()
        for v in tiles:
            v >>= 1
            while v >= self.lowest_node and v not in seen:
                seen.add(v)
                v >>= 1
        return tiles, [v for v in seen if v in self.tile_nodes]

    def add(self, first: int, last: int, lo: int, hi: int) -> None:
        """Record bytes [lo, hi) taken from op `first` to op `last`."""
        self._record(*self.nodes(first, last), lo, hi)

    def place(self, segments: list[tuple[int, int, int, int]], alignment: int) -> int:
        """Place a buffer of (first, last, rel, size) segments at the lowest offset, a multiple of
        `alignment`, where each segment's bytes [offset + rel, offset + rel + size) meet no placed segment
        alive at the same ops; record them and return the offset."""
        spans = [(rel, size, self.nodes(first, last)) for first, last, rel, size in segments]
        checks = [(rel, size, [r for r in [self.cover[v] for v in tiles] + [self.part[v] for v in tiles] +
                               [self.cover[v] for v in above] if r is not None])
                  for rel, size, (tiles, above) in spans]
        offset = _lowest_free(checks, alignment)
        for rel, size, (tiles, above) in spans:
            self._record(tiles, above, offset + rel, offset + rel + size)
        return offset

    def _record(self, tiles: list[int], above: list[int], lo: int, hi: int) -> None:
        for nodes, runs in ((tiles, self.cover), (above, self.part)):
            for v in nodes:
                if runs[v] is None:
                    runs[v] = ByteRuns()
                runs[v].add(lo, hi)


def _lowest_free(checks: list[tuple[int, int, list[ByteRuns]]], alignment: int) -> int:
    """The lowest aligned offset at which, for every (rel, size, runs), bytes [offset + rel, offset + rel +
    size) meet none of the runs. Each blocking run moves the offset past its end, so the offset only ever
    skips offsets that collide; the runs are visited in a cycle until all of them in a row let it be."""
    tests = [(rel, size, r) for rel, size, runs in checks for r in runs]
    offset, i, free_in_a_row = 0, 0, 0
    while free_in_a_row < len(tests):
        rel, size, r = tests[i]
        end = r.blocking_end(offset + rel, offset + rel + size)
        if end is None:
            free_in_a_row += 1
            i = (i + 1) % len(tests)
        else:
            offset = (end - rel + alignment - 1) // alignment * alignment
            free_in_a_row = 0
    return offset


class LiveSegments:
    """The segments live at the current op of a sweep over the ops, each held by some buffer: their starts
    and ends sorted (so the segments meeting a byte range are counted in two bisections) and each
    buffer's own. Segments have at least one byte."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.of: dict[int, list[tuple[int, int]]] = {}  # id(buffer) -> its live (start, end)
        self.buffers: dict[int, object] = {}

    def add(self, start: int, end: int, b: object) -> None:
        insort(self.starts, start)
        insort(self.ends, end)
        self.of.setdefault(id(b), []).append((start, end))
        self.buffers[id(b)] = b

    def remove(self, start: int, end: int, b: object) -> None:
        del self.starts[bisect_left(self.starts, start)]
        del self.ends[bisect_left(self.ends, end)]
        self.of[id(b)].remove((start, end))

    def other_meeting(self, lo: int, hi: int, mine: object) -> object | None:
        """A live buffer other than `mine` holding some of bytes [lo, hi), or None. Every segment has at
        least one byte, so those meeting [lo, hi) are the ones starting before hi, less those ending by lo."""
        own = sum(1 for start, end in self.of.get(id(mine), ()) if start < hi and lo < end)
        if bisect_left(self.starts, hi) - bisect_right(self.ends, lo) == own:
            return None
        return next(self.buffers[k] for k, segs in self.of.items() if self.buffers[k] is not mine
                    and any(start < hi and lo < end for start, end in segs))
