"""Rewrite passes on the graph IR. Each takes a `Graph` and returns a new one; the input is not changed.

- `fold_pad_into_conv`: a PAD feeding only a CONV_2D / DEPTHWISE_CONV_2D becomes the conv's padding.
- `alias_reshapes`: RESHAPE/SQUEEZE outputs share their input's bytes (no copy, no arena space).
- `fuse_conv_add`: a CONV_2D feeding only an ADD adds the skip input per pixel; its output is never stored.
- `mark_inplace`: depthwise and pointwise convs, conv+ADD and elementwise ops whose input dies at the op
  write over it.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np

from tflite_patch.graph import FusedAdd, Graph, InPlace, Op

CONV_KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D")
POOL_KINDS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
RESHAPE_KINDS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
# Elementwise ops whose kernels read element i before writing element i, so out may equal in.
ELEMENTWISE_INPLACE_KINDS = ("ADD", "MUL", "HARD_SWISH", "LOGISTIC", "QUANTIZE", "DEQUANTIZE")


def copy_ops(graph: Graph) -> Graph:
    """A copy of `graph` whose ops (and their attrs) may be changed; tensors are shared, passes do not
    change them."""
    return dataclasses.replace(graph, ops=[
        dataclasses.replace(op, inputs=list(op.inputs), outputs=list(op.outputs), options=dict(op.options),
                            attrs=op.attrs.copy()) for op in graph.ops])


def same_padding(in_size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite SAME padding (before, after) along one axis: output = ceil(in / stride)."""
    out = (in_size + stride - 1) // stride
    effective = (kernel - 1) * dilation + 1
    total = max((out - 1) * stride + effective - in_size, 0)
    return total // 2, total - total // 2


def op_window(graph: Graph, op: Op) -> tuple[int, int, int, int]:
    """(kernel_h, kernel_w, stride_h, stride_w) of a convolution or pooling op."""
    if op.kind in CONV_KINDS:
        kh, kw = graph.tensors[op.inputs[1]].shape[1:3]
    else:
        kh, kw = op.options["filterHeight"], op.options["filterWidth"]
    return int(kh), int(kw), int(op.options.get("strideH", 1)), int(op.options.get("strideW", 1))


def op_padding(graph: Graph, op: Op) -> tuple[int, int, int, int]:
    """Explicit (top, bottom, left, right) padding of a conv or pooling op, folded PADs included."""
    if op.attrs.explicit_padding is not None:
        return tuple(op.attrs.explicit_padding)
    if op.padding() != "SAME":
        return 0, 0, 0, 0
    _, in_h, in_w, _ = graph.tensors[op.inputs[0]].shape
    kh, kw, sh, sw = op_window(graph, op)
    dh, dw = int(op.options.get("dilationHFactor", 1)), int(op.options.get("dilationWFactor", 1))
    return same_padding(in_h, kh, sh, dh) + same_padding(in_w, kw, sw, dw)


def _pad_amounts(graph: Graph, pad: Op) -> np.ndarray | None:
    paddings = graph.tensors[pad.inputs[1]]
    if paddings.data is None or paddings.data.shape != (4, 2):
        return None
    return paddings.data.astype(np.int64)


def fold_pad_into_conv(graph: Graph) -> Graph:
    """Fold each PAD/PADV2 whose only reader is a CONV_2D/DEPTHWISE_CONV_2D into that conv's padding.

    Allowed when the PAD pads only H and W, by non-negative amounts, with the input's zero point (what a
    conv's own padding contributes: nothing to the accumulator), and its output is not a graph output.
    The conv keeps SAME when the total equals SAME's padding of the unpadded input; otherwise it gets
    `attrs.explicit_padding = (top, bottom, left, right)`, which the engine honours.
    """
    g = copy_ops(graph)
    users = g.consumers()
    removed = set()
    for i, pad in enumerate(g.ops):
        if pad.kind not in ("PAD", "PADV2") or pad.outputs[0] in g.outputs:
            continue
        readers = users.get(pad.outputs[0], [])
        if len(readers) != 1 or g.ops[readers[0]].kind not in CONV_KINDS:
            continue
        conv = g.ops[readers[0]]
        if conv.inputs[0] != pad.outputs[0] or int(conv.options.get("dilationHFactor", 1)) != 1 \
                or int(conv.options.get("dilationWFactor", 1)) != 1:
            continue
        amounts = _pad_amounts(g, pad)
        src, dst = g.tensors[pad.inputs[0]], g.tensors[pad.outputs[0]]
        if amounts is None or amounts.min() < 0 or amounts[0].any() or amounts[3].any():
            continue
        if src.quant is None or dst.quant is None or src.quant != dst.quant:
            continue
        if pad.kind == "PADV2":
            value = g.tensors[pad.inputs[2]].data if len(pad.inputs) > 2 and pad.inputs[2] >= 0 else None
            if value is None or int(value.reshape(-1)[0]) != int(src.quant.zero_point[0]):
                continue
        top, bottom, left, right = op_padding(g, conv)
        total = (top + int(amounts[1, 0]), bottom + int(amounts[1, 1]),
                 left + int(amounts[2, 0]), right + int(amounts[2, 1]))
        conv.inputs[0] = pad.inputs[0]
        conv.attrs.origins = (pad.attrs.origins or []) + (conv.attrs.origins or [])
        kh, kw, sh, sw = op_window(g, conv)
        _, in_h, in_w, _ = src.shape
        conv.attrs.explicit_padding = None
        if total == same_padding(in_h, kh, sh) + same_padding(in_w, kw, sw):
            conv.options["padding"] = 0  # Padding.SAME
        elif total == (0, 0, 0, 0):
            conv.options["padding"] = 1  # Padding.VALID
        else:
            conv.attrs.explicit_padding = total
        removed.add(i)
    g.ops = [op for i, op in enumerate(g.ops) if i not in removed]
    return g


def alias_reshapes(graph: Graph) -> Graph:
    """Mark RESHAPE/SQUEEZE ops as aliases: their output is their input's bytes under a new shape.

    The planner gives both tensors one buffer and the engine emits no copy. TFLM's RESHAPE also skips
    its copy when the two tensors share an address, so an injected plan may alias them too.
    """
    g = copy_ops(graph)
    for op in g.ops:
        if op.kind in RESHAPE_KINDS and not g.tensors[op.inputs[0]].is_constant \
                and g.tensors[op.inputs[0]].nbytes == g.tensors[op.outputs[0]].nbytes:
            op.attrs.alias = True
    return g


def alias_groups(graph: Graph) -> dict[int, int]:
    """Tensor -> representative tensor of its reshape-alias group (itself when not aliased)."""
    root: dict[int, int] = {}

    def find(t: int) -> int:
        while root.get(t, t) != t:
            t = root[t]
        return t

    for op in graph.ops:
        if op.attrs.alias:
            root[find(op.outputs[0])] = find(op.inputs[0])
    return {t: find(t) for t in range(len(graph.tensors))}


def last_use(graph: Graph) -> dict[int, int]:
    """Alias-group representative -> index of the last op that reads any tensor of the group;
    graph outputs are read "after" the last op (index len(ops))."""
    groups = alias_groups(graph)
    last: dict[int, int] = {}
    for i, op in enumerate(graph.ops):
        for t in op.inputs:
            if t >= 0:
                last[groups[t]] = max(last.get(groups[t], -1), i)
    for t in graph.outputs:
        last[groups[t]] = len(graph.ops)
    return last


def fuse_conv_add(graph: Graph) -> Graph:
    """Fuse a CONV_2D whose only reader is an ADD into one op that adds the skip input per pixel.

    The conv's int8 output (requantized and clamped exactly as before) is added to the other ADD input
    as soon as a pixel is computed, so the conv's output tensor is never stored. The fused op keeps the
    conv's kind and inputs plus the skip tensor as its last input, writes the ADD's output, and carries
    `attrs.fused_add` (the ADD op and the conv's own output tensor) and `attrs.scratch_bytes` (one conv
    output pixel).
    """
    g = copy_ops(graph)
    users = g.consumers()
    removed = set()
    for i, conv in enumerate(g.ops):
        if conv.kind != "CONV_2D" or conv.outputs[0] in g.outputs or conv.attrs.fused_add is not None \
                or runs_on_reference_kernel(g, conv) \
                or g.tensors[conv.outputs[0]].dtype != "int8":  # the fused kernel is int8's
            continue
        readers = users.get(conv.outputs[0], [])
        if len(readers) != 1 or g.ops[readers[0]].kind != "ADD" or readers[0] in removed:
            continue
        add = g.ops[readers[0]]
        skip = [t for t in add.inputs if t != conv.outputs[0]]
        out = g.tensors[add.outputs[0]]
        if any(_wide_zero_point(g.tensors[t]) for t in skip + add.outputs):  # the fused kernel's offsets are int8's
            continue
        if len(skip) != 1 or g.tensors[skip[0]].shape != out.shape \
                or g.tensors[conv.outputs[0]].shape != out.shape or g.tensors[skip[0]].is_constant:
            continue
        producer = g.producer()
        # The skip must exist before the conv runs: it is read while the conv's pixels are produced.
        if producer.get(skip[0], -1) > i:
            continue
        fused = copy.deepcopy(conv)
        fused.inputs = list(conv.inputs) + [skip[0]]
        fused.outputs = list(add.outputs)
        fused.attrs.fused_add = FusedAdd(add=add, conv_output=conv.outputs[0])
        fused.attrs.scratch_bytes = int(out.shape[3])  # one conv output pixel before the add
        fused.attrs.origins = (conv.attrs.origins or []) + (add.attrs.origins or [])
        # The ADD runs where the conv ran; ops between them must not need the ADD's output.
        g.ops[i] = fused
        removed.add(readers[0])
    g.ops = [op for i, op in enumerate(g.ops) if i not in removed]
    return g


# Distances between an input and the output written over it are multiples of this (any arena alignment
# we use divides it).
OFFSET_GRANULE = 16


def _align_up(n: int) -> int:
    return -(-n // OFFSET_GRANULE) * OFFSET_GRANULE


def _align_down(n: int) -> int:
    return n // OFFSET_GRANULE * OFFSET_GRANULE


def rows_inplace_offset(graph: Graph, op: Op) -> int:
    """Where a convolution may put its output relative to its own input when it writes one output row
    at a time (from scratch) over an input that dies: output rows 0..y may only cover input rows that
    no later output row reads. Returns the largest allowed (output - input) byte distance, at most 0,
    rounded down to OFFSET_GRANULE."""
    _, in_h, in_w, in_c = graph.tensors[op.inputs[0]].shape
    _, out_h, out_w, out_c = graph.tensors[op.outputs[0]].shape
    _, _, sh, _ = op_window(graph, op)
    top = op_padding(graph, op)[0]
    row_in, row_out = in_w * in_c, out_w * out_c
    limit = 0
    for y in range(out_h):
        done = y + 1
        free_rows = in_h if done == out_h else min(max(done * sh - top, 0), in_h)
        limit = min(limit, free_rows * row_in - done * row_out)
    return _align_down(limit)


def _pointwise_inplace_order(src, out) -> str:
    """Forward when each output element is no larger than its input element, else reverse."""
    return "forward" if out.nbytes <= src.nbytes else "reverse"


def _dilated(op: Op) -> bool:
    return (int(op.options.get("dilationHFactor", 1)), int(op.options.get("dilationWFactor", 1))) != (1, 1)


def _wide_zero_point(tensor) -> bool:
    return tensor.dtype == "int8" and tensor.quant is not None and \
        bool(((tensor.quant.zero_point < -128) | (tensor.quant.zero_point > 127)).any())


def wide_zero_points(graph: Graph, op: Op) -> bool:
    """Whether the op's data input or output is int8 with a zero point outside [-128, 127] (TFLM takes it)."""
    return any(_wide_zero_point(graph.tensors[t]) for t in (op.inputs[0], op.outputs[0]))


def runs_on_reference_kernel(graph: Graph, op: Op) -> bool:
    """A conv the fast kernels cannot compute exactly, which the engine runs on the reference kernel, which reads
    its whole input (no in place, no fused ADD): int8 zero points outside [-128, 127], or a filter channel with a
    negative scale and a -128 weight (the fast kernels run negative channels negated:
    micro_runtime.lowering.conv_common.negated_channels)."""
    if op.kind not in CONV_KINDS or len(op.inputs) < 2:
        return False
    if wide_zero_points(graph, op):
        return True
    w = graph.tensors[op.inputs[1]]
    if w.quant is None or w.data is None or w.data.ndim != 4 or not (w.quant.scale < 0).any():
        return False
    rows = np.moveaxis(w.data, 3 if op.kind == "DEPTHWISE_CONV_2D" else 0, 0)
    minimum = (rows.reshape(rows.shape[0], -1) == -128).any(axis=1)
    return bool((minimum & np.broadcast_to(w.quant.scale < 0, minimum.shape)).any())


def mark_inplace(graph: Graph) -> Graph:
    """Mark ops that may write their output over an input that dies at the op.

    `attrs.inplace` (`InPlace`) holds the position of the overwritten input, the order in which the kernel
    must produce its output so that it never overwrites bytes it still has to read, and the scratch the
    in-place kernel needs. The planner decides which marked ops do run in place (`ArenaPlan.inplace_ops`).
    - DEPTHWISE_CONV_2D, depth multiplier 1: one output channel at a time into scratch (out_h*out_w),
      then copied over the input channel it replaces (TinyEngine's in-place depthwise); any stride.
    - CONV_2D 1x1, stride 1, no padding: each input pixel is copied to scratch (in_c bytes) and its
      output pixel written in its place, forward when out_c <= in_c, else from the last pixel backwards;
      the buffer holds the larger of the two tensors.
    - CONV_2D fused with an ADD (`fuse_conv_add`): each output pixel is written over the skip pixel it
      adds, right after reading it (the conv pixel waits in the fused op's scratch).
    - Other CONV_2D (any kernel and stride): one output row at a time into scratch (out_w*out_c), then
      copied to the output, which starts `attrs.inplace.offset` bytes from the input
      (`rows_inplace_offset`: no row written covers input rows still to be read).
    - QUANTIZE float32 -> int8: backwards, the int8 tensor at the tail of the float buffer;
      DEQUANTIZE int8 -> float32: forwards, the float buffer starting 3 bytes per element before it.
    - ADD, MUL, HARD_SWISH, LOGISTIC, int8 QUANTIZE on an input of the output's shape and element size:
      element by element, forward.
    """
    g = copy_ops(graph)
    groups = alias_groups(g)
    last = last_use(g)

    def dies_here(t: int, i: int) -> bool:
        return t >= 0 and not g.tensors[t].is_constant and last.get(groups[t]) == i and t not in g.outputs

    for i, op in enumerate(g.ops):
        out = g.tensors[op.outputs[0]]
        src = g.tensors[op.inputs[0]] if op.inputs and op.inputs[0] >= 0 else None
        if runs_on_reference_kernel(g, op):
            continue
        if any(g.tensors[t].dtype == "int16" for t in op.inputs + op.outputs if t >= 0):
            continue  # the int16 kernels have no in-place mode
        if op.kind == "DEPTHWISE_CONV_2D":
            if src.shape[3] == out.shape[3] and not _dilated(op) and out.nbytes <= src.nbytes and dies_here(op.inputs[0], i) \
                    and src.itemsize == out.itemsize == 1:
                op.attrs.inplace = InPlace(0, "channel", scratch_bytes=int(out.shape[1] * out.shape[2]))
        elif op.kind == "CONV_2D" and op.attrs.fused_add is not None:
            skip_pos = len(op.inputs) - 1
            if dies_here(op.inputs[skip_pos], i) and op.inputs.count(op.inputs[skip_pos]) == 1:
                op.attrs.inplace = InPlace(skip_pos, "forward")
        elif op.kind == "CONV_2D" and dies_here(op.inputs[0], i):
            kh, kw, sh, sw = op_window(g, op)
            if (kh, kw, sh, sw) == (1, 1, 1, 1) and op_padding(g, op) == (0, 0, 0, 0) \
                    and src.shape[1:3] == out.shape[1:3]:
                op.attrs.inplace = InPlace(0, _pointwise_inplace_order(src, out), scratch_bytes=int(src.shape[3]))
            elif len(src.shape) == 4 and src.shape[0] == 1 and src.itemsize == out.itemsize == 1 \
                    and not _dilated(op):  # a dilated conv runs on the reference kernel, which reads all its input
                op.attrs.inplace = InPlace(0, "rows", offset=rows_inplace_offset(g, op),
                                           scratch_bytes=int(out.shape[2] * out.shape[3]))
        elif op.kind == "QUANTIZE" and src.dtype == "float32" and src.shape == out.shape \
                and out.itemsize < src.itemsize and dies_here(op.inputs[0], i):
            # float32 -> int8: backwards, each int8 value written into the tail of the float buffer.
            # The other way, forwards into the head of the float buffer, is listed as an alternative:
            # which one fits better depends on what the next ops put around it (the planner tries both).
            n = int(np.prod(out.shape))
            op.attrs.inplace = InPlace(0, "reverse", offset=_align_up((src.itemsize - out.itemsize) * (n - 1)),
                                       alternatives=(("forward", 0),))
        elif op.kind == "DEQUANTIZE" and src.shape == out.shape and out.itemsize > src.itemsize \
                and dies_here(op.inputs[0], i):
            # int8 -> float32: forwards, the float buffer starting before the int8 one.
            n = int(np.prod(out.shape))
            op.attrs.inplace = InPlace(0, "forward", offset=-_align_up((out.itemsize - src.itemsize) * n))
        elif op.kind in ELEMENTWISE_INPLACE_KINDS:
            for pos, t in enumerate(op.inputs[:2]):
                if t < 0:
                    continue
                cand = g.tensors[t]
                if cand.shape == out.shape and out.itemsize == cand.itemsize and dies_here(t, i) \
                        and op.inputs.count(t) == 1:
                    op.attrs.inplace = InPlace(pos, "forward")
                    break
    return g


def stamp_origins(graph: Graph) -> Graph:
    """Record in `attrs.origins` which ops of the original graph each op stands for (fusions and
    folds merge them), so that per-op figures can be drawn against the original op order."""
    g = copy_ops(graph)
    for i, op in enumerate(g.ops):
        if op.attrs.origins is None:
            op.attrs.origins = [i]
    return g


def prepare_for_engine(graph: Graph) -> Graph:
    """The pass pipeline the engine and the search use: fold PADs, fuse conv+ADD, alias reshapes, mark
    in-place ops."""
    return mark_inplace(alias_reshapes(fuse_conv_add(fold_pad_into_conv(stamp_origins(graph)))))


def prepare_for_tflm(graph: Graph) -> Graph:
    """The passes valid for a plan that stock TFLM executes: only reshape aliases (TFLM's RESHAPE skips
    its copy when input and output share an address)."""
    return alias_reshapes(graph)
