"""INVERTED_RESIDUAL (engine only, `tflite_patch.fuse_blocks`): expand 1x1 -> depthwise -> project 1x1 (+ the
residual ADD) run row by row by mr_inverted_residual_s8, which calls the layers' own fast kernels on rows with
the layers' parameter structs: the bytes are those of the three calls, the expanded tensor is never stored."""
from __future__ import annotations

from micro_runtime.lowering.base import Emitter, Lowering, align4
from micro_runtime.lowering.conv import Conv2D, conv_scratch_bytes, gemm_filter
from micro_runtime.lowering.conv_common import conv_params, conv_struct, fast_takes, geometry
from micro_runtime.lowering.depthwise import FAST_SOURCES, DepthwiseConv2D, depthwise_unrolled
from tflite_patch.graph import Graph, ModelError, Op

_CONV, _DEPTHWISE = Conv2D(), DepthwiseConv2D()


def fused_scratch_bytes(graph: Graph, op: Op) -> int:
    """mr_inverted_residual_scratch_bytes: the window of k_h expanded rows, one depthwise output row, then the
    larger of the expand's and the project's kernel scratch."""
    block = op.attrs.block
    dw = geometry(graph, block.depthwise)
    window = align4(dw.k_h * dw.in_w * dw.in_c)
    row = align4(dw.out_w * dw.out_c)
    expand = conv_scratch_bytes(1, 1, geometry(graph, block.expand).in_c)
    project = conv_scratch_bytes(1, 1, dw.out_c)
    if block.project.attrs.fused_add is not None:
        project += align4(2 * geometry(graph, block.project).out_c)
    return window + row + max(expand, project)


class InvertedResidual(Lowering):
    kinds = ("INVERTED_RESIDUAL",)
    engine_only = True
    sources = ("inverted_residual.c", *Conv2D.sources, *FAST_SOURCES)

    def check(self, graph: Graph, i: int, op: Op) -> None:
        for layer in (op.attrs.block.expand, op.attrs.block.depthwise, op.attrs.block.project):
            if not fast_takes(graph, layer):
                raise ModelError(f"its {layer.kind} takes the reference kernel, which the fused block cannot run")

    def scratch_bytes(self, graph: Graph, op: Op) -> int:
        return fused_scratch_bytes(graph, op)

    def constant_bytes(self, graph: Graph, op: Op) -> int:
        block = op.attrs.block
        return _CONV.constant_bytes(graph, block.expand) + _DEPTHWISE.constant_bytes(graph, block.depthwise) \
            + _CONV.constant_bytes(graph, block.project)

    def detail(self, graph: Graph, op: Op) -> str | None:
        dw = geometry(graph, op.attrs.block.depthwise)
        return f"{dw.k_h}x{dw.k_w}/{dw.stride_h} x{dw.in_c}"

    def emit(self, e: Emitter, i: int, op: Op) -> None:
        block = op.attrs.block
        structs = []
        for layer in (block.expand, block.project):
            p = conv_params(e, layer, folded=True, fast=True, gemm_filter=gemm_filter)
            fields = conv_struct(geometry(e.graph, layer), p, p["gemm_filter"], p["folded_bias"], True)
            structs.append(e.params("mr_conv_params", "conv", fields))
        g = geometry(e.graph, block.depthwise)
        dw = DepthwiseConv2D._params(e, block.depthwise, g, True)
        add = "NULL"
        if block.project.attrs.fused_add is not None:
            add = e.params("mr_add_params", "add", Conv2D._add_fields(e, block.project))
        e.call("mr_inverted_residual_s8", structs[0], dw, depthwise_unrolled(g), structs[1], add,
               e.ptr(op.inputs[0], True), e.ptr(op.outputs[0]), e.scratch(i))
