"""Patch-based inference (MCUNetV2): the first ops of an engine graph run patch by patch.

The ops up to a split op (the "patch stage") run once per patch of an n x n grid over the split op's
output tensor (the split tensor). Each patch computes its receptive field: the window of every stage
tensor it needs, found by propagating the patch's slice of the split tensor backwards through the
stage (stride, kernel and padding exact). The rest of the graph then runs layer by layer on the whole
split tensor.

`unroll_patches` writes that schedule as a plain graph the planner and the code generator already take:
per patch, one copy of every stage op on small per-patch tensors (each convolution or pooling op with
the padding its window needs: a border patch pads like the whole layer on its border sides, an interior
patch does not pad), plus `PATCH_COPY` ops that load the input window, crop a sub-window where one
consumer needs less than another, and store the patch's output in its slice of the split tensor. The
one planner (`plan_arena`) then places per-patch buffers and whole tensors alike.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from tflite_patch.costs import graph_macs
from tflite_patch.graph import EngineAttrs, Graph, ModelError, Op, Tensor
from tflite_patch.passes import CONV_KINDS, POOL_KINDS, copy_ops, mark_inplace, op_padding, op_window

# Ops a patch can run on a window of its input: convolutions and pooling (exact padding per side),
# PAD, and elementwise ops on operands of the output's shape (QUANTIZE of a float input included).
WINDOW_KINDS = CONV_KINDS + POOL_KINDS
ELEMENTWISE_KINDS = ("ADD", "MUL", "HARD_SWISH", "LOGISTIC", "QUANTIZE")
PAD_KINDS = ("PAD", "PADV2")

Region = tuple[int, int, int, int]  # rows [r0, r1), cols [c0, c1)
# One patch: its slice of the split tensor, the window of each stage tensor, the window each (op, input) reads.
PatchWindows = tuple[Region, dict[int, Region], dict[tuple[int, int], Region]]


@dataclasses.dataclass(frozen=True)
class PatchSpec:
    """Run engine ops 0..`split` (inclusive) patch by patch over an `n` x `n` grid of the split op's output."""
    split: int
    n: int

    def __str__(self) -> str:
        return f"{self.split}:{self.n}"


def parse_patch(text: str) -> str | PatchSpec | None:
    """`--patch` values: "off" -> None, "auto" -> "auto", "SPLIT:N" -> PatchSpec. Raises ValueError."""
    text = text.strip().lower()
    if text == "off":
        return None
    if text == "auto":
        return "auto"
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"--patch takes auto, off or SPLIT:N (engine op index : patches per side), not {text!r}")
    split, n = int(parts[0]), int(parts[1])
    if n < 1:
        raise ValueError(f"--patch {text}: N must be at least 1")
    return PatchSpec(split, n)


def _is_4d(graph: Graph, t: int) -> bool:
    shape = graph.tensors[t].shape
    return len(shape) == 4 and shape[0] == 1


def _stage_op_ok(graph: Graph, op: Op) -> bool:
    """True when one copy of `op` per patch computes exactly the op's output on a window."""
    if len(op.outputs) != 1 or op.attrs.alias or not _is_4d(graph, op.outputs[0]):
        return False
    out_shape = graph.tensors[op.outputs[0]].shape
    if op.kind in WINDOW_KINDS:
        if int(op.options.get("dilationHFactor", 1)) != 1 or int(op.options.get("dilationWFactor", 1)) != 1:
            return False
        if not _is_4d(graph, op.inputs[0]):
            return False
        if op.attrs.fused_add is not None:
            skip = op.inputs[-1]
            return not graph.tensors[skip].is_constant and graph.tensors[skip].shape == out_shape
        return True
    if op.kind in ELEMENTWISE_KINDS:
        inputs = [t for t in op.inputs if t >= 0]
        return all(not graph.tensors[t].is_constant and graph.tensors[t].shape == out_shape for t in inputs)
    if op.kind in PAD_KINDS:
        pads = graph.tensors[op.inputs[1]].data
        if pads is None or pads.shape != (4, 2) or pads[0].any() or pads[3].any() or pads.min() < 0:
            return False
        return _is_4d(graph, op.inputs[0])
    return False


def split_candidates(graph: Graph) -> list[int]:
    """Engine op indices where the patch stage may end: every op up to it can run per patch, the graph
    has one input (read only by those ops), and the op's output is the only stage tensor used later."""
    if len(graph.inputs) != 1 or not _is_4d(graph, graph.inputs[0]):
        return []
    users = graph.consumers()
    produced: set[int] = {graph.inputs[0]}
    found = []
    for k, op in enumerate(graph.ops):
        if not _stage_op_ok(graph, op):
            break
        produced.update(op.outputs)
        split = op.outputs[0]
        if split in graph.outputs:
            break
        crossing = {t for t in produced if any(u > k for u in users.get(t, []))}
        if crossing == {split}:
            found.append(k)
    return found


def _input_region(graph: Graph, op: Op, pos: int, out: Region) -> Region:
    """The window of input `pos` that `op` reads to compute the window `out` of its output."""
    r0, r1, c0, c1 = out
    if op.kind in WINDOW_KINDS and pos == 0:
        _, in_h, in_w, _ = graph.tensors[op.inputs[0]].shape
        kh, kw, sh, sw = op_window(graph, op)
        top, _, left, _ = op_padding(graph, op)
        return (max(r0 * sh - top, 0), min((r1 - 1) * sh - top + kh, in_h),
                max(c0 * sw - left, 0), min((c1 - 1) * sw - left + kw, in_w))
    if op.kind in PAD_KINDS:
        _, in_h, in_w, _ = graph.tensors[op.inputs[0]].shape
        pads = graph.tensors[op.inputs[1]].data
        top, left = int(pads[1, 0]), int(pads[2, 0])
        return max(r0 - top, 0), min(r1 - top, in_h), max(c0 - left, 0), min(c1 - left, in_w)
    return out  # elementwise operands and a fused ADD's skip input: the same pixels


def _union(a: Region | None, b: Region) -> Region:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _activation_inputs(graph: Graph, op: Op) -> list[int]:
    """Positions of `op`'s inputs that are activations (windows), not weights or parameters."""
    if op.kind in WINDOW_KINDS:
        return [0] + ([len(op.inputs) - 1] if op.attrs.fused_add is not None else [])
    if op.kind in PAD_KINDS:
        return [0]
    return [p for p, t in enumerate(op.inputs) if t >= 0]


def patch_regions(graph: Graph, spec: PatchSpec) -> list[PatchWindows]:
    """Per patch (row-major): its slice of the split tensor, the window of every stage tensor it computes
    (the union of what its readers need), and the window each (op, input position) reads."""
    split_t = graph.ops[spec.split].outputs[0]
    _, h, w, _ = graph.tensors[split_t].shape
    patches = []
    for i in range(spec.n):
        for j in range(spec.n):
            own = (h * i // spec.n, h * (i + 1) // spec.n, w * j // spec.n, w * (j + 1) // spec.n)
            region: dict[int, Region] = {split_t: own}
            reads: dict[tuple[int, int], Region] = {}
            for k in range(spec.split, -1, -1):
                op = graph.ops[k]
                for pos in _activation_inputs(graph, op):
                    need = _input_region(graph, op, pos, region[op.outputs[0]])
                    if need[0] >= need[1] or need[2] >= need[3]:
                        raise ModelError(f"patch {i},{j} of --patch {spec} reads an empty window of op {k}")
                    reads[(k, pos)] = need
                    region[op.inputs[pos]] = _union(region.get(op.inputs[pos]), need)
            patches.append((own, region, reads))
    return patches


def check_spec(graph: Graph, spec: PatchSpec) -> None:
    """Raise ModelError (one line) unless `spec` is a valid split of this engine graph."""
    candidates = split_candidates(graph)
    if spec.split not in candidates:
        shown = ", ".join(str(k) for k in candidates) or "none"
        raise ModelError(f"--patch {spec}: op {spec.split} is not a valid split (valid split ops: {shown})")
    _, h, w, _ = graph.tensors[graph.ops[spec.split].outputs[0]].shape
    if spec.n > min(h, w):
        raise ModelError(f"--patch {spec}: {spec.n} patches per side but the split tensor is {h}x{w}")


def _window_padding(graph: Graph, op: Op, out: Region, window: Region) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) padding of `op` computing output window `out` from input `window`:
    what falls outside the whole input, so a border patch pads exactly like the whole layer."""
    kh, kw, sh, sw = op_window(graph, op)
    top, _, left, _ = op_padding(graph, op)
    pad_top = window[0] - (out[0] * sh - top)
    pad_left = window[2] - (out[2] * sw - left)
    pad_bottom = (out[1] - out[0] - 1) * sh + kh - (window[1] - window[0]) - pad_top
    pad_right = (out[3] - out[2] - 1) * sw + kw - (window[3] - window[2]) - pad_left
    return pad_top, pad_bottom, pad_left, pad_right


def _copy_op(src: int, dst: int, src_at: tuple[int, int], dst_at: tuple[int, int], size: tuple[int, int],
             patch: int) -> Op:
    """A PATCH_COPY of patch `patch`: `size` (rows, cols) pixels from `src` at `src_at` to `dst` at `dst_at`."""
    return Op("PATCH_COPY", [src], [dst], attrs=EngineAttrs(window=(*src_at, *dst_at, *size), patch=patch))


def unroll_patches(graph: Graph, spec: PatchSpec) -> Graph:
    """The engine graph with its patch stage unrolled patch by patch (module docstring). The stage's
    in-place marks are made anew for the per-patch tensors (`mark_inplace`); the rest keeps its ops."""
    check_spec(graph, spec)
    g = copy_ops(graph)
    g.tensors = list(graph.tensors)
    split_t = graph.ops[spec.split].outputs[0]
    image = graph.inputs[0]

    def new_tensor(t: int, region: Region, tag: str) -> int:
        base = graph.tensors[t]
        shape = (1, region[1] - region[0], region[3] - region[2], base.shape[3])
        g.tensors.append(dataclasses.replace(base, name=f"{base.name}/{tag}", shape=shape, shape_signature=None))
        return len(g.tensors) - 1

    ops: list[Op] = []
    for p, (own, region, reads) in enumerate(patch_regions(graph, spec)):
        local: dict[int, int] = {}
        win = region[image]
        local[image] = new_tensor(image, win, f"patch{p}")
        ops.append(_copy_op(image, local[image], (win[0], win[2]), (0, 0), (win[1] - win[0], win[3] - win[2]), p))
        for k in range(spec.split + 1):
            op = g.ops[k]
            clone = dataclasses.replace(op, inputs=list(op.inputs), options=dict(op.options),
                                        attrs=dataclasses.replace(op.attrs.copy(), inplace=None, patch_source=k,
                                                                  patch=p))
            for pos in _activation_inputs(graph, op):
                t, need = op.inputs[pos], reads[(k, pos)]
                if need == region[t]:
                    clone.inputs[pos] = local[t]
                    continue
                crop = new_tensor(t, need, f"patch{p}/op{k}")
                ops.append(_copy_op(local[t], crop, (need[0] - region[t][0], need[2] - region[t][2]), (0, 0),
                                    (need[1] - need[0], need[3] - need[2]), p))
                clone.inputs[pos] = crop
            out = op.outputs[0]
            local[out] = new_tensor(out, region[out], f"patch{p}")
            clone.outputs = [local[out]]
            if op.kind in WINDOW_KINDS:
                clone.attrs.explicit_padding = _window_padding(graph, op, region[out], reads[(k, 0)])
            elif op.kind in PAD_KINDS:
                window = reads[(k, 0)]
                pads = graph.tensors[op.inputs[1]].data.astype(np.int32)
                o = region[out]
                local_pads = np.array([[0, 0], [window[0] + pads[1, 0] - o[0], o[1] - (window[1] + pads[1, 0])],
                                       [window[2] + pads[2, 0] - o[2], o[3] - (window[3] + pads[2, 0])], [0, 0]],
                                      np.int32)
                g.tensors.append(Tensor(f"{graph.tensors[op.inputs[1]].name}/patch{p}", (4, 2), "int32",
                                        data=local_pads))
                clone.inputs[1] = len(g.tensors) - 1
            ops.append(clone)
        ops.append(_copy_op(local[split_t], split_t, (0, 0), (own[0], own[2]), (own[1] - own[0], own[3] - own[2]), p))
    for op in g.ops[spec.split + 1:]:
        op.attrs.inplace = None
    g.ops = ops + g.ops[spec.split + 1:]
    return mark_inplace(g)


def extra_macs(engine: Graph, unrolled: Graph) -> int:
    """MACs the patch schedule `unrolled` adds to the layer-by-layer `engine`: the recomputation of the
    overlapping windows (the rest of the graph is the same ops; copies have no MACs)."""
    return graph_macs(unrolled) - graph_macs(engine)
