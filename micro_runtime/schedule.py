"""The schedule of a model: the engine graph (passes run), the kernels' scratch, the arena plan, the RAM
it needs, and the patch-based schedule (MCUNetV2) when one is asked for. The code generator emits it and
TinyNAS's cost model (`mcunet_tf.cost`) calls the same functions on a graph built from a candidate's
config, so both see the same bytes (DESIGN.md, "Co-design, in code").

Patch-based: where the patch stage ends and how many patches per side, trading the recomputation of
overlapping windows (extra MACs) against the arena; every option is planned by `plan_prepared`.
"""
from __future__ import annotations

import dataclasses

from micro_runtime.fusion import choose_fusion
from micro_runtime.lowering import lowering_for
from micro_runtime.quant import QuantRangeError
from tflite_patch.costs import graph_macs
from tflite_patch.graph import Graph, ModelError
from tflite_patch.passes import copy_ops, prepare_for_engine
from tflite_patch.patches import PatchSpec, check_spec, extra_macs, parse_patch, split_candidates, unroll_patches
from tflite_patch.planner import (ArenaPlan, arena_buffers, inplace_candidates, live_bytes_per_op, lower_bound_bytes,
                                  plan_arena)

ARENA_ALIGNMENT = 4


def kernel_scratch_bytes(graph: Graph, external: frozenset[int] = frozenset()) -> dict[int, int]:
    """Scratch (op index -> bytes) the kernels chosen for each op need, as their lowerings say (each
    replaces the op's total: in-place scratch included); it lives in the arena, so the planner places
    it. Where a larger scratch buys a faster kernel (`Lowering.faster_scratch`), the op gets the fastest
    one that keeps it under the graph's peak of live bytes."""
    sizes: dict[int, int] = {}
    faster: dict[int, list[int]] = {}
    for i, op in enumerate(graph.ops):
        lowering = lowering_for(op, graph)
        try:  # a kernel's choice may depend on its rescale, which can be out of TFLM's range
            size = lowering.scratch_bytes(graph, op)
        except QuantRangeError as err:
            raise ModelError(f"op {op.kind} at index {i}: {err}") from None
        if size is None:
            continue
        sizes[i] = size
        wanted = lowering.faster_scratch(graph, op, size)
        if wanted:
            faster[i] = wanted
    if faster:
        live = live_bytes_per_op(graph, arena_buffers(graph, inplace_candidates(graph), sizes, external))
        peak = max(live, default=0)
        for i, wanted in faster.items():  # the fastest mode that fits
            affordable = [n for n in wanted if live[i] + n - sizes[i] <= peak]
            if affordable:
                sizes[i] = affordable[0]
    return sizes


def plan_engine(graph: Graph, patch: PatchSpec | None = None, fuse: str = "off") -> tuple[Graph, ArenaPlan]:
    """The engine's passes and memory plan for a checked graph: what `codegen.generate` emits, and what
    TinyNAS's cost model calls on a graph built from a candidate's config, so both see the same arena bytes.
    `patch`: run engine ops 0..patch.split patch by patch (`tflite_patch.patches.unroll_patches`).
    `fuse` (layer by layer only): "auto" runs the inverted-residual blocks whose fusion lowers the RAM
    row by row (`micro_runtime.fusion`), "all" every fusable one, "off" none.
    Returns the rewritten graph (marks of ops the plan does not run in place removed, chosen in-place
    alternatives applied) and the plan."""
    return plan_prepared(prepare_for_engine(graph), patch, fuse)


def outside_input_bytes(engine: Graph, plan: ArenaPlan) -> int:
    """Bytes of the inputs a schedule reads in place from the caller's buffer (not in its arena)."""
    return sum(engine.tensors[t].nbytes for t in plan.external)


def ram_bytes(engine: Graph, plan: ArenaPlan) -> int:
    """All the RAM a schedule needs: the arena, plus the inputs it reads in place from the caller's
    buffer (which must then stay there for the whole call)."""
    return plan.arena_bytes + outside_input_bytes(engine, plan)


def plan_prepared(engine: Graph, patch: PatchSpec | None = None, fuse: str = "off") -> tuple[Graph, ArenaPlan]:
    """`plan_engine` on a graph the engine passes already ran on (`prepare_for_engine`): the patch
    search plans many schedules of one graph. A patch stage loads its input windows itself, so the
    input may stay in the caller's buffer or be copied into the arena, where its bytes are reused once
    the patch stage is done; both are planned and the one needing less RAM (`ram_bytes`) is kept.
    `fuse` as `plan_engine`'s; "auto" keeps the fused schedule only where its plan needs less RAM."""
    if patch is None:
        fused = choose_fusion(engine, fuse)
        if fused is engine:
            return plan_schedule(engine, None, False)
        planned = plan_schedule(fused, None, False)
        if fuse == "all":
            return planned
        plain = plan_schedule(engine, None, False)
        return planned if ram_bytes(*planned) < ram_bytes(*plain) else plain
    outside = plan_schedule(engine, patch, True, fuse)
    inside = plan_schedule(engine, patch, False, fuse)
    return inside if ram_bytes(*inside) < ram_bytes(*outside) else outside


def plan_schedule(engine: Graph, patch: PatchSpec | None, input_outside: bool,
                  fuse: str = "off") -> tuple[Graph, ArenaPlan]:
    """One schedule: `engine` (prepared) unrolled by `patch` (the blocks after the patch stage fused as
    `fuse` says), the input in the caller's buffer when `input_outside`, planned; ops the plan does not run
    in place lose their marks."""
    engine = copy_ops(engine)
    if patch is not None:
        engine = choose_fusion(unroll_patches(engine, patch), fuse)
    external = frozenset(engine.inputs) if input_outside else frozenset()
    plan = plan_arena(engine, alignment=ARENA_ALIGNMENT, inplace=True,
                      scratch_bytes=kernel_scratch_bytes(engine, external), external=external)
    for i, op in enumerate(engine.ops):  # the plan decides which of the marked ops run in place, and how
        if i not in plan.inplace_ops:
            op.attrs.inplace = None
        elif plan.inplace_choice.get(i):
            op.attrs.inplace = op.attrs.inplace.alternative(plan.inplace_choice[i])
    return engine, plan


MAX_PATCHES_PER_SIDE = 8
MAX_EXTRA_MACS = 0.3  # options recomputing more than this fraction of the model's MACs are not considered


@dataclasses.dataclass(frozen=True)
class PatchChoice:
    """A schedule and what it costs: `spec` None is layer by layer. `engine` / `plan` are the planned
    schedule itself (what `codegen.generate` emits); `ram_bytes` is its arena plus an input read in place
    from the caller's buffer (`ram_bytes`): what schedules are compared on."""
    spec: PatchSpec | None
    engine: Graph = dataclasses.field(repr=False, compare=False)
    plan: ArenaPlan = dataclasses.field(repr=False, compare=False)
    layer_arena_bytes: int
    macs: int
    extra_macs: int

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def ram_bytes(self) -> int:
        return ram_bytes(self.engine, self.plan)

    @property
    def extra_macs_pct(self) -> float:
        return 100.0 * self.extra_macs / max(self.macs, 1)

    @property
    def label(self) -> str:
        return "off" if self.spec is None else str(self.spec)

    def describe(self) -> str:
        if self.spec is None:
            return f"patch off: arena {self.arena_bytes:,} B"
        outside = self.ram_bytes - self.arena_bytes
        held = f" + {outside:,} B input read in place" if outside else ""
        return (f"patch {self.spec} (ops 0..{self.spec.split} over {self.spec.n}x{self.spec.n} patches): RAM "
                f"{self.ram_bytes:,} B (arena {self.arena_bytes:,} B{held}) vs {self.layer_arena_bytes:,} B layer by "
                f"layer ({self.ram_bytes / self.layer_arena_bytes:.3f}x), extra MACs {self.extra_macs_pct:.1f}%")


def _options(engine: Graph, max_n: int, max_extra: float) -> list[tuple[int, PatchSpec, Graph]]:
    """(extra MACs, spec, unrolled graph) of the valid options within the recomputation cap, fewest extra
    MACs first."""
    macs = graph_macs(engine)
    found = []
    for n in range(2, max_n + 1):
        for k in split_candidates(engine):
            _, h, w, _ = engine.tensors[engine.ops[k].outputs[0]].shape
            if n > min(h, w):
                continue
            unrolled = unroll_patches(engine, PatchSpec(k, n))
            extra = extra_macs(engine, unrolled)
            if extra > max_extra * macs:
                break  # deeper splits only widen the receptive fields
            found.append((extra, PatchSpec(k, n), unrolled))
    found.sort(key=lambda o: (o[0], o[1].split, o[1].n))
    return found


def choose_patch(engine: Graph, sram_bytes: int | None = None, max_n: int = MAX_PATCHES_PER_SIDE,
                 max_extra_macs: float = MAX_EXTRA_MACS, fuse: str = "off") -> PatchChoice:
    """The schedule for an engine graph (`prepare_for_engine`). With `sram_bytes`: the fewest extra MACs
    whose RAM (arena + an input read in place) fits (layer by layer when it fits already; the least RAM
    when nothing fits). Without: the least RAM, ties to fewer extra MACs. Options recomputing more than
    `max_extra_macs` of the model's MACs are not considered. `fuse`: the schedule without patches fuses
    inverted-residual blocks so (`plan_prepared`)."""
    off = layer_by_layer(engine, fuse)
    layer, macs = off.arena_bytes, off.macs
    options = _options(engine, max_n, max_extra_macs)

    def planned(spec: PatchSpec, extra: int) -> PatchChoice:
        return PatchChoice(spec, *plan_prepared(engine, spec, fuse), layer, macs, extra)

    # With the input in the arena nothing is held outside it, so this bound holds for both placements.
    def bound(unrolled: Graph) -> int:
        return lower_bound_bytes(choose_fusion(unrolled, fuse), True, None)

    if sram_bytes is not None:
        if layer <= sram_bytes:
            return off
        for extra, spec, unrolled in options:
            if bound(unrolled) > sram_bytes:
                continue  # cannot fit
            choice = planned(spec, extra)
            if choice.ram_bytes <= sram_bytes:
                return choice  # the fewest extra MACs that fit
    best = off
    for extra, spec, unrolled in options:
        if bound(unrolled) >= best.ram_bytes:
            continue  # cannot beat the best so far
        choice = planned(spec, extra)
        if (choice.ram_bytes, extra) < (best.ram_bytes, best.extra_macs):
            best = choice
    return best


def resolve_patch(graph: Graph, patch: str | PatchSpec | None, sram_bytes: int | None = None,
                  fuse: str = "off") -> PatchChoice:
    """`--patch` (auto, off, SPLIT:N, or a PatchSpec) for a checked model graph; `fuse` applies to the schedule
    without patches, which "auto" weighs the patch options against. Raises ModelError for a bad value or an
    invalid split."""
    if isinstance(patch, str):
        try:
            patch = parse_patch(patch)
        except ValueError as e:
            raise ModelError(str(e)) from None
    engine = prepare_for_engine(graph)
    if patch == "auto":
        return choose_patch(engine, sram_bytes, fuse=fuse)
    off = layer_by_layer(engine, fuse)
    if patch is None:
        return off
    check_spec(engine, patch)
    unrolled, plan = plan_prepared(engine, patch, fuse)
    return PatchChoice(patch, unrolled, plan, off.arena_bytes, off.macs, extra_macs(engine, unrolled))


def layer_by_layer(engine: Graph, fuse: str = "off") -> PatchChoice:
    """The layer-by-layer schedule of an engine graph (blocks fused as `fuse` says), as a choice (no extra MACs)."""
    layer_engine, plan = plan_prepared(engine, None, fuse)
    return PatchChoice(None, layer_engine, plan, plan.arena_bytes, graph_macs(engine), 0)
