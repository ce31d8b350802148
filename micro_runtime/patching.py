"""Choosing a patch-based schedule (MCUNetV2) for a model: where the patch stage ends and how many
patches per side, trading the recomputation of overlapping windows (extra MACs) against the arena.

Every option is planned by the code generator's own `plan_prepared`, so the arena bytes of the choice are
the `<NAME>_ARENA_BYTES` the generated code declares; TinyNAS's cost model calls the same function.
"""
from __future__ import annotations

import dataclasses

from micro_runtime.codegen import plan_prepared, ram_bytes
from tflite_patch.costs import graph_macs
from tflite_patch.graph import Graph, ModelError
from tflite_patch.passes import prepare_for_engine
from tflite_patch.patches import PatchSpec, check_spec, extra_macs, parse_patch, split_candidates, unroll_patches
from tflite_patch.planner import ArenaPlan, lower_bound_bytes

MAX_PATCHES_PER_SIDE = 8
MAX_EXTRA_MACS = 0.3  # options recomputing more than this fraction of the model's MACs are not considered


@dataclasses.dataclass(frozen=True)
class PatchChoice:
    """A schedule and what it costs: `spec` None is layer by layer. `engine` / `plan` are the planned
    schedule itself (what `codegen.generate` emits); `ram_bytes` is its arena plus an input read in place
    from the caller's buffer (`codegen.ram_bytes`): what schedules are compared on."""
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
                 max_extra_macs: float = MAX_EXTRA_MACS) -> PatchChoice:
    """The schedule for an engine graph (`prepare_for_engine`). With `sram_bytes`: the fewest extra MACs
    whose RAM (arena + an input read in place) fits (layer by layer when it fits already; the least RAM
    when nothing fits). Without: the least RAM, ties to fewer extra MACs. Options recomputing more than
    `max_extra_macs` of the model's MACs are not considered."""
    off = layer_by_layer(engine)
    layer, macs = off.arena_bytes, off.macs
    options = _options(engine, max_n, max_extra_macs)

    def planned(spec: PatchSpec, extra: int) -> PatchChoice:
        return PatchChoice(spec, *plan_prepared(engine, spec), layer, macs, extra)

    # With the input in the arena nothing is held outside it, so this bound holds for both placements.
    def bound(unrolled: Graph) -> int:
        return lower_bound_bytes(unrolled, True, None)

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


def resolve_patch(graph: Graph, patch: str | PatchSpec | None, sram_bytes: int | None = None) -> PatchChoice:
    """`--patch` (auto, off, SPLIT:N, or a PatchSpec) for a checked model graph. Raises ModelError for a
    bad value or an invalid split."""
    if isinstance(patch, str):
        try:
            patch = parse_patch(patch)
        except ValueError as e:
            raise ModelError(str(e)) from None
    engine = prepare_for_engine(graph)
    if patch == "auto":
        return choose_patch(engine, sram_bytes)
    off = layer_by_layer(engine)
    if patch is None:
        return off
    check_spec(engine, patch)
    unrolled, plan = plan_prepared(engine, patch)
    return PatchChoice(patch, unrolled, plan, off.arena_bytes, off.macs, extra_macs(engine, unrolled))


def layer_by_layer(engine: Graph) -> PatchChoice:
    """The layer-by-layer schedule of an engine graph, as a choice (no extra MACs)."""
    layer_engine, plan = plan_prepared(engine)
    return PatchChoice(None, layer_engine, plan, plan.arena_bytes, graph_macs(engine), 0)
