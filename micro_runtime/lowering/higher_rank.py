"""Broadcasting ops of any rank on the 4-D kernels, as the TFLM wheel runs them (it takes ranks above 4 for
ADD, MUL, SUB, DIV, MAXIMUM, MINIMUM, SELECT_V2, ...).

The broadcast is folded first: output dimensions of extent 1 are dropped and neighbours along which every
operand either runs or repeats alike are merged (one contiguous run in each). What remains beyond 4 dimensions
is looped in the generated C around the kernel's call, each operand's pointer offset per outer index."""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Iterator, Sequence

from micro_runtime import quant
from micro_runtime.lowering.base import Emitter, broadcast_shape
from tflite_patch.graph import ModelError

KERNEL_RANK = 4


@dataclasses.dataclass(frozen=True)
class FoldedBroadcast:
    """`shapes`: each operand's folded shape of the innermost 4 dimensions (ones in front: the kernel's
    operands); `outer`: the extents looped outside the call, outermost first; `outer_strides`: per operand
    and then the output, the element step of each outer dimension."""
    shapes: tuple[tuple[int, ...], ...]
    outer: tuple[int, ...]
    outer_strides: tuple[tuple[int, ...], ...]

    def strides(self) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
        """quant.broadcast_strides of the inner shapes: the kernel's dims and each operand's strides."""
        return quant.broadcast_strides(*self.shapes)


def _row_major_strides(shape: Sequence[int]) -> list[int]:
    strides, step = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = step if shape[d] != 1 else 0
        step *= shape[d]
    return strides


def fold_broadcast(shapes: Sequence[Sequence[int]], out_shape: Sequence[int]) -> FoldedBroadcast:
    """The broadcast of `shapes` into `out_shape` folded for the 4-D kernels. ModelError (one line) when the
    output is not the shapes' broadcast."""
    try:
        expected = tuple(shapes[0])
        for s in shapes[1:]:
            expected = broadcast_shape(expected, tuple(s))
    except ModelError:
        raise ModelError(f"shapes {', '.join(str(list(s)) for s in shapes)} do not broadcast") from None
    rank = max(len(expected), len(out_shape))
    declared, out_shape = list(out_shape), (1,) * (rank - len(out_shape)) + tuple(out_shape)
    if (1,) * (rank - len(expected)) + expected != out_shape:  # leading ones aside, as TFLM's extended shapes
        raise ModelError(f"output shape {declared} is not the broadcast of "
                         f"{', '.join(str(list(s)) for s in shapes)}")
    full = [[1] * (rank - len(s)) + [int(d) for d in s] for s in shapes]
    extents: list[int] = []
    patterns: list[tuple[bool, ...]] = []
    for d in range(rank):
        if out_shape[d] == 1:
            continue
        pattern = tuple(f[d] != 1 for f in full)  # which operands run along d (the others repeat)
        if patterns and patterns[-1] == pattern:
            extents[-1] *= int(out_shape[d])
        else:
            extents.append(int(out_shape[d]))
            patterns.append(pattern)
    folded = [[e if p[j] else 1 for e, p in zip(extents, patterns)] for j in range(len(shapes))]
    n_outer = max(len(extents) - KERNEL_RANK, 0)
    inner = [[1] * (KERNEL_RANK - len(f[n_outer:])) + f[n_outer:] for f in folded]
    outer_strides = [tuple(_row_major_strides(f)[:n_outer]) for f in folded + [extents]]
    return FoldedBroadcast(tuple(tuple(s) for s in inner), tuple(extents[:n_outer]), tuple(outer_strides))


@contextlib.contextmanager
def outer_loops(e: Emitter, outer: Sequence[int], pointers: Sequence[str],
                strides: Sequence[Sequence[int]]) -> Iterator[list[str]]:
    """Calls emitted inside run once per index of the `outer` dimensions (a C loop nest); yields `pointers`
    offset by their `strides` times the current indexes. Nothing is added for no outer dimension."""
    if not outer:
        yield list(pointers)
        return
    index = [f"o{d}_" for d in range(len(outer))]
    e.body.append(f"  {{ int32_t {', '.join(index)};")
    e.body += [f"  for ({i} = 0; {i} < {extent}; ++{i})" for i, extent in zip(index, outer)]
    e.body[-1] += " {"
    yield [" + ".join([p] + [f"{i} * {s}" for i, s in zip(index, st) if s]) for p, st in zip(pointers, strides)]
    e.body.append("  }}")
