"""Which inverted-residual blocks the schedule fuses (`tflite_patch.fuse_blocks`): fusing trades a few
instructions per row (moving the window of expanded rows) for the expanded tensor's bytes, so a block is
fused only where that lowers the peak of live bytes."""
from __future__ import annotations

from micro_runtime.lowering import lowering_for
from micro_runtime.lowering.conv_common import fast_takes
from tflite_patch.fuse_blocks import fuse_inverted_residuals, inverted_residual_blocks
from tflite_patch.graph import Graph
from tflite_patch.planner import arena_buffers, inplace_candidates, live_bytes_per_op

FUSE_MODES = ("auto", "off", "all")


def fusable_blocks(engine: Graph) -> list[int]:
    """The blocks (their expand op's index) whose three layers the fast kernels take, outside a patch stage
    (its ops run on patches), without overlaps."""
    found: list[int] = []
    for s in inverted_residual_blocks(engine):
        layers = engine.ops[s:s + 3]
        if all(fast_takes(engine, op) and op.attrs.patch is None for op in layers) \
                and (not found or s >= found[-1] + 3):
            found.append(s)
    return found


def live_bytes(graph: Graph) -> list[int]:
    """Bytes live at each op with every marked op in place and each kernel's least scratch: the lower bound
    of any plan, per op."""
    scratch = {}
    for i, op in enumerate(graph.ops):
        size = lowering_for(op, graph).scratch_bytes(graph, op)
        if size is not None:
            scratch[i] = size
    return live_bytes_per_op(graph, arena_buffers(graph, inplace_candidates(graph), scratch))


def _peak(live: list[int]) -> tuple[int, int]:
    top = max(live, default=0)
    return top, live.count(top)


def choose_fusion(engine: Graph, mode: str = "auto") -> Graph:
    """`engine` (prepared) with the blocks `mode` asks for fused: "all" every fusable block; "auto" the block
    holding the peak of live bytes, again and again while that lowers the peak (or the number of ops at it);
    "off" none."""
    if mode not in FUSE_MODES:
        raise ValueError(f"--fuse={mode}: choose one of {', '.join(FUSE_MODES)}")
    candidates = fusable_blocks(engine) if mode != "off" else []
    if mode == "all" or not candidates:
        return fuse_inverted_residuals(engine, candidates) if candidates else engine
    chosen: list[int] = []
    current, live = engine, live_bytes(engine)
    while True:
        peak = live.index(max(live))
        block = next((s for s in candidates if s not in chosen and
                      0 <= peak - (s - 2 * sum(c < s for c in chosen)) < 3), None)
        if block is None:
            return current
        trial = fuse_inverted_residuals(engine, chosen + [block])
        trial_live = live_bytes(trial)
        if _peak(trial_live) >= _peak(live):
            return current
        chosen.append(block)
        current, live = trial, trial_live


def describe_fusion(engine: Graph) -> str | None:
    """One line on the fused blocks of a planned engine graph (None: none)."""
    fused = [i for i, op in enumerate(engine.ops) if op.attrs.block is not None]
    if not fused:
        return None
    return f"{len(fused)} inverted-residual block(s) run row by row (ops {', '.join(map(str, fused))})"
