"""Inverted-residual blocks fused into one op run row by row (MCUNetV2-style, without recomputation).

`inverted_residual_blocks` finds expand 1x1 -> depthwise -> project 1x1 chains (the project possibly fused
with the residual ADD by `passes.fuse_conv_add`) in a prepared engine graph; `fuse_inverted_residuals`
replaces chosen ones by an INVERTED_RESIDUAL op whose kernel keeps only a window of expanded rows
(micro_runtime/lowering/inverted_residual.py). The schedule decides which blocks to fuse
(micro_runtime.fusion)."""
from __future__ import annotations

from collections.abc import Collection

from tflite_patch.graph import FusedBlock, Graph, InPlace, Op
from tflite_patch.passes import (OFFSET_GRANULE, alias_groups, copy_ops, last_use, op_padding, op_window,
                                 runs_on_reference_kernel)

FUSED_KIND = "INVERTED_RESIDUAL"


def _pointwise(graph: Graph, op: Op) -> bool:
    """A 1x1 stride-1 unpadded int8 CONV_2D the fast kernels take."""
    return op.kind == "CONV_2D" and op_window(graph, op) == (1, 1, 1, 1) and op_padding(graph, op) == (0, 0, 0, 0) \
        and not runs_on_reference_kernel(graph, op) \
        and all(graph.tensors[t].dtype == "int8" and len(graph.tensors[t].shape) == 4 for t in (op.inputs[0], op.outputs[0]))


def _single_reader(graph: Graph, users: dict[int, list[int]], t: int, reader: int) -> bool:
    return users.get(t, []) == [reader] and t not in graph.outputs


def inverted_residual_blocks(graph: Graph) -> list[int]:
    """Indices of the expand ops of the fusable blocks: ops i, i+1, i+2 are a 1x1 CONV_2D, a DEPTHWISE_CONV_2D
    (depth multiplier 1, not dilated) and a 1x1 CONV_2D, each the only reader of the previous one's output,
    none on the reference kernel; a fused ADD on the project must add the block's own input."""
    users = graph.consumers()
    found = []
    for i in range(len(graph.ops) - 2):
        expand, dw, project = graph.ops[i:i + 3]
        if expand.attrs.fused_add is not None or not _pointwise(graph, expand) or dw.kind != "DEPTHWISE_CONV_2D" \
                or not _pointwise(graph, project) or runs_on_reference_kernel(graph, dw):
            continue
        if dw.inputs[0] != expand.outputs[0] or project.inputs[0] != dw.outputs[0] \
                or not _single_reader(graph, users, expand.outputs[0], i + 1) \
                or not _single_reader(graph, users, dw.outputs[0], i + 2):
            continue
        x, mid = graph.tensors[expand.inputs[0]], graph.tensors[dw.outputs[0]]
        if x.shape[0] != 1 or mid.shape[3] != graph.tensors[dw.inputs[0]].shape[3] \
                or (int(dw.options.get("dilationHFactor", 1)), int(dw.options.get("dilationWFactor", 1))) != (1, 1):
            continue
        if project.attrs.fused_add is not None and project.inputs[-1] != expand.inputs[0]:
            continue
        found.append(i)
    return found


def fused_inplace_offset(graph: Graph, op: Op) -> int:
    """The largest (output - input) byte distance, at most 0 and a multiple of OFFSET_GRANULE, at which the
    fused block `op` may write its output over its input: output rows 0..y are written once the input rows
    below the depthwise window of row y are expanded, and may cover only those."""
    dw = op.attrs.block.depthwise
    _, in_h, in_w, in_c = graph.tensors[op.inputs[0]].shape
    _, out_h, out_w, out_c = graph.tensors[op.outputs[0]].shape
    kh, _, sh, _ = op_window(graph, dw)
    top = op_padding(graph, dw)[0]
    limit = 0
    for y in range(out_h):
        expanded = in_h if y == out_h - 1 else min(max(y * sh - top + kh, 0), in_h)
        limit = min(limit, expanded * in_w * in_c - (y + 1) * out_w * out_c)
    return limit // OFFSET_GRANULE * OFFSET_GRANULE


def _fused(expand: Op, dw: Op, project: Op) -> Op:
    inner = [Op(o.kind, list(o.inputs), list(o.outputs), dict(o.options), o.options_type, o.version,
                attrs=o.attrs.copy()) for o in (expand, dw, project)]
    for o in inner:
        o.attrs.inplace = None  # the fused kernel runs the layers on rows, never in place
    op = Op(FUSED_KIND, [expand.inputs[0]], [project.outputs[0]])
    op.attrs.block = FusedBlock(*inner)
    op.attrs.origins = [k for o in inner for k in (o.attrs.origins or [])]
    return op


def fuse_inverted_residuals(graph: Graph, starts: Collection[int]) -> Graph:
    """`graph` with the blocks at `starts` (from `inverted_residual_blocks`) each replaced by one
    INVERTED_RESIDUAL op; a block whose input dies there is marked to write its output over it
    (`fused_inplace_offset`)."""
    g = copy_ops(graph)
    ops, i = [], 0
    while i < len(g.ops):
        if i in starts:
            ops.append(_fused(*g.ops[i:i + 3]))
            i += 3
        else:
            ops.append(g.ops[i])
            i += 1
    g.ops = ops
    groups, last = alias_groups(g), last_use(g)
    for i, op in enumerate(g.ops):
        x = op.inputs[0]
        if op.kind == FUSED_KIND and last.get(groups[x]) == i and x not in g.outputs:
            op.attrs.inplace = InPlace(0, "rows", offset=fused_inplace_offset(g, op))
    return g
