"""SPACE_TO_DEPTH, DEPTH_TO_SPACE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND: rearrangements of NHWC blocks,
each one or a few strided block copies (mr_copy_strided) whose strides the generator computes here."""
from __future__ import annotations

from micro_runtime.lowering import strided
from micro_runtime.lowering.base import Emitter, Lowering
from tflite_patch.graph import Graph, ModelError, Op


def _same_type(graph: Graph, op: Op, want_out: list[int]) -> None:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or list(y.shape) != list(want_out):
        raise ModelError(f"output {y.dtype} {list(y.shape)} is not {x.dtype} {list(want_out)}")


class _DepthSpace(Lowering):
    """SPACE_TO_DEPTH and DEPTH_TO_SPACE (NHWC, block b): in the order (n, h, w, by, bx, c) of the depth
    side, the space side is element [n][h * b + by][w * b + bx][c]."""
    sources = strided.SOURCES
    to_depth = True

    def _geometry(self, graph: Graph, op: Op):
        x = graph.tensors[op.inputs[0]]
        b = int(op.options.get("blockSize", 0))
        if len(x.shape) != 4 or b < 1:
            raise ModelError(f"needs a 4-D input and a block size >= 1 (input {list(x.shape)}, block {b})")
        n, h, w, c = x.shape
        if self.to_depth:
            if h % b or w % b:
                raise ModelError(f"input height {h} and width {w} must be multiples of the block size {b}")
            space, depth = (n, h, w, c), (n, h // b, w // b, c * b * b)
        else:
            if c % (b * b):
                raise ModelError(f"input depth {c} must be a multiple of block size squared {b * b}")
            space, depth = (n, h * b, w * b, c // (b * b)), (n, h, w, c)
        _same_type(graph, op, depth if self.to_depth else space)
        return b, space, depth

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self._geometry(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        b, (n, h, w, c), depth = self._geometry(e.graph, op)
        blocks = (n, h // b, w // b, b, b, c)
        space_strides = (h * w * c, b * w * c, b * c, w * c, c, 1)
        depth_strides = strided.row_strides(blocks)
        x, y = op.inputs[0], op.outputs[0]
        if self.to_depth:
            strided.emit_copy(e, x, y, blocks, space_strides, depth_strides)
        else:
            strided.emit_copy(e, x, y, blocks, depth_strides, space_strides)


class SpaceToDepth(_DepthSpace):
    kinds = ("SPACE_TO_DEPTH",)


class DepthToSpace(_DepthSpace):
    kinds = ("DEPTH_TO_SPACE",)
    to_depth = False


class _BatchSpace(Lowering):
    """SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on 3-D ([B, H, C], one block dimension) or 4-D NHWC
    inputs: batch (sh * bw + sw) * B + b, pixel (y, x) of the batch side is pixel (y * bh + sh - top,
    x * bw + sw - left) of image b of the space side; one copy per block offset (sh, sw) over the pixels
    inside both, the padding (SPACE_TO_BATCH_ND) set to 0 first: the pinned wheel pads with
    SpaceToBatchParams.output_offset, which its Prepare never sets (0 on a fresh arena, as on a device's
    zeroed .bss arena; newer TFLM sets the output zero point)."""
    sources = strided.SOURCES
    to_batch = True

    def _geometry(self, graph: Graph, op: Op):
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if len(op.inputs) != 3 or len(x.shape) not in (3, 4):
            raise ModelError(f"needs a 3-D or 4-D input and 3 inputs (input {list(x.shape)})")
        block = strided.const_ints(graph, op.inputs[1], "block_shape")
        pads = strided.const_ints(graph, op.inputs[2], "paddings" if self.to_batch else "crops")
        spatial = len(x.shape) - 2
        if len(block) != spatial or len(pads) != 2 * spatial or min(block) < 1 or min(pads) < 0:
            raise ModelError(f"block_shape {block} and paddings/crops {pads} do not fit input {list(x.shape)}")
        if spatial == 1:
            block, pads = block + [1], pads + [0, 0]
        shape4 = list(x.shape) if spatial == 2 else [x.shape[0], x.shape[1], 1, x.shape[2]]
        bh, bw = block
        if self.to_batch:
            ph, pw = shape4[1] + pads[0] + pads[1], shape4[2] + pads[2] + pads[3]
            if ph % bh or pw % bw:
                raise ModelError(f"padded size {ph}x{pw} is not a multiple of the block {bh}x{bw}")
            space = shape4
            batch = [shape4[0] * bh * bw, ph // bh, pw // bw, shape4[3]]
        else:
            if shape4[0] % (bh * bw):
                raise ModelError(f"input batch {shape4[0]} is not a multiple of the block {bh}x{bw}")
            batch = shape4
            space = [shape4[0] // (bh * bw), shape4[1] * bh - pads[0] - pads[1], shape4[2] * bw - pads[2] - pads[3],
                     shape4[3]]
            if min(space) < 1:
                raise ModelError(f"crops {pads} leave nothing of {shape4[1] * bh}x{shape4[2] * bw}")
        out = batch if self.to_batch else space
        _same_type(graph, op, out if spatial == 2 else [out[0], out[1], out[3]])
        return (bh, bw), (pads[0], pads[2]), space, batch

    def check(self, graph: Graph, i: int, op: Op) -> None:
        self._geometry(graph, op)

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        (bh, bw), (top, left), space, batch = self._geometry(e.graph, op)
        x, y = op.inputs[0], op.outputs[0]
        if self.to_batch:
            e.body.append(f"  memset({e.ptr(y)}, 0, {e.t(y).nbytes});")  # TFLM pads with 0, not the zero point
        s_strides, b_strides = strided.row_strides(space), strided.row_strides(batch)
        images = space[0]
        for sh in range(bh):
            for sw in range(bw):
                # batch-side rows y with 0 <= y * bh + sh - top < space height, likewise columns
                y0 = max(0, -((sh - top) // bh))
                y1 = min(batch[1], (space[1] - 1 - sh + top) // bh + 1)
                x0 = max(0, -((sw - left) // bw))
                x1 = min(batch[2], (space[2] - 1 - sw + left) // bw + 1)
                if y1 <= y0 or x1 <= x0:
                    continue
                counts = (images, y1 - y0, x1 - x0, space[3])
                b_off = (sh * bw + sw) * images * b_strides[0] + y0 * b_strides[1] + x0 * b_strides[2]
                s_off = (y0 * bh + sh - top) * s_strides[1] + (x0 * bw + sw - left) * s_strides[2]
                s_step = (s_strides[0], bh * s_strides[1], bw * s_strides[2], 1)
                if self.to_batch:
                    strided.emit_copy(e, x, y, counts, s_step, b_strides, s_off, b_off)
                else:
                    strided.emit_copy(e, x, y, counts, b_strides, s_step, b_off, s_off)


class SpaceToBatchNd(_BatchSpace):
    kinds = ("SPACE_TO_BATCH_ND",)


class BatchToSpaceNd(_BatchSpace):
    kinds = ("BATCH_TO_SPACE_ND",)
    to_batch = False
