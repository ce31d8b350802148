"""The planner report: our arena against the lower bound and against stock TFLM, for one model."""
from __future__ import annotations

import dataclasses
import os
from typing import Callable

import numpy as np

from tflite_patch.graph import Graph, load_tflite, save_tflite
from tflite_patch.validate import check_int8_model
from tflite_patch.passes import prepare_for_engine, prepare_for_tflm
from tflite_patch.planner import ArenaPlan, arena_buffers, check_plan, live_bytes_per_op, plan_arena
from tflite_patch.tflm import random_inputs, run_tflm, tflm_arena, with_offline_plan

ENGINE_ALIGNMENT = 4   # int8 kernels need no more; word loads on Cortex-M4 are fine at 4
TFLM_ALIGNMENT = 16    # TFLM's MicroArenaBufferAlignment()


@dataclasses.dataclass
class PlanReport:
    """Figures of `scripts/plan.py` for one model (all bytes)."""
    model: str
    ops: int
    arena_bytes: int
    lower_bound_bytes: int
    heuristic: str
    tflm_arena_bytes: int
    tflm_head_bytes: int
    tflm_tail_bytes: int
    tflm_planned_arena_bytes: int
    tflm_planned_head_bytes: int
    tflm_planned_outputs_identical: bool
    inputs_checked: int
    round_trip_lossless: bool
    live_bytes: list[int]          # ours, per op of the original graph
    tflm_live_bytes: list[int]     # TFLM's tensors live per op (no in-place), per op of the original graph
    fused_lower_bound_bytes: int | None = None  # the bound with inverted-residual blocks fused (below layer by layer)

    @property
    def arena_over_lower_bound(self) -> float:
        return self.arena_bytes / max(self.lower_bound_bytes, 1)

    @property
    def arena_over_tflm(self) -> float:
        return self.arena_bytes / self.tflm_arena_bytes

    @property
    def arena_over_tflm_head(self) -> float:
        return self.arena_bytes / max(self.tflm_head_bytes, 1)

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d.update(arena_over_lower_bound=round(self.arena_over_lower_bound, 4),
                 arena_over_tflm=round(self.arena_over_tflm, 4),
                 arena_over_tflm_head=round(self.arena_over_tflm_head, 4))
        return d


def default_engine_plan(graph: Graph) -> tuple[Graph, ArenaPlan]:
    """The engine passes and plan without any kernel scratch beyond the in-place marks."""
    engine = prepare_for_engine(graph)
    return engine, plan_arena(engine, alignment=ENGINE_ALIGNMENT, inplace=True)


def plan_model(model: bytes, name: str, inputs_checked: int = 10,
               engine_plan: Callable[[Graph], tuple[Graph, ArenaPlan]] = default_engine_plan,
               fused_lower_bound_bytes: int | None = None) -> tuple[PlanReport, bytes]:
    """Plan `model`, measure TFLM on it and on its planned copy; returns the report and the planned
    model (the original with our no-in-place plan as TFLM `OfflineMemoryAllocation` metadata).

    `engine_plan` makes our plan; the code generator's `micro_runtime.codegen.plan_engine` (which adds
    the scratch its kernels need) gives exactly the arena of the generated code. `fused_lower_bound_bytes`:
    the lower bound of the schedule with fused blocks (micro_runtime.fusion), reported beside ours."""
    graph = load_tflite(model)
    check_int8_model(graph)
    round_trip = load_tflite(save_tflite(graph)) == graph

    engine, ours = engine_plan(graph)
    check_plan(engine, ours, ours.scratch_bytes)

    tflm_graph = prepare_for_tflm(graph)
    tflm_plan = plan_arena(tflm_graph, alignment=TFLM_ALIGNMENT, inplace=False)
    check_plan(tflm_graph, tflm_plan)
    planned = save_tflite(with_offline_plan(graph, tflm_plan))

    stock, with_plan = tflm_arena(model), tflm_arena(planned)
    sets = random_inputs(graph, inputs_checked)
    n_out = len(graph.outputs)
    identical = all(np.array_equal(a, b) for x, y in zip(run_tflm(model, sets, n_out), run_tflm(planned, sets, n_out))
                    for a, b in zip(x, y))

    tflm_live = live_bytes_per_op(tflm_graph, arena_buffers(tflm_graph))
    live = [0] * len(graph.ops)
    for op, bytes_live in zip(engine.ops, ours.live_bytes):
        for i in op.attrs.origins or []:
            live[i] = bytes_live
    report = PlanReport(
        model=name, ops=len(graph.ops), arena_bytes=ours.arena_bytes, lower_bound_bytes=ours.lower_bound_bytes,
        heuristic=ours.heuristic, tflm_arena_bytes=stock.total, tflm_head_bytes=stock.head,
        tflm_tail_bytes=stock.tail, tflm_planned_arena_bytes=with_plan.total,
        tflm_planned_head_bytes=with_plan.head, tflm_planned_outputs_identical=identical,
        inputs_checked=inputs_checked, round_trip_lossless=round_trip, live_bytes=live, tflm_live_bytes=tflm_live,
        fused_lower_bound_bytes=fused_lower_bound_bytes)
    return report, planned


def format_table(reports: list[PlanReport]) -> str:
    """A plain-text table of the reports, one row per model."""
    header = ("model", "ops", "ours B", "lower bd B", "ours/lb", "fused lb B", "TFLM total B", "TFLM head B",
              "ours/TFLM", "ours/head", "TFLM+plan B", "same out", "round trip")
    rows = [header]
    for r in reports:
        rows.append((r.model, str(r.ops), f"{r.arena_bytes:,}", f"{r.lower_bound_bytes:,}",
                     f"{r.arena_over_lower_bound:.3f}",
                     "-" if r.fused_lower_bound_bytes is None else f"{r.fused_lower_bound_bytes:,}",
                     f"{r.tflm_arena_bytes:,}", f"{r.tflm_head_bytes:,}",
                     f"{r.arena_over_tflm:.3f}", f"{r.arena_over_tflm_head:.3f}",
                     f"{r.tflm_planned_arena_bytes:,}", "yes" if r.tflm_planned_outputs_identical else "NO",
                     "lossless" if r.round_trip_lossless else "LOSSY"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def plot_live_bytes(report: PlanReport, path: str) -> None:
    """Per-op live memory, ours against TFLM's, with both arenas as horizontal lines (PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.5))
    x = np.arange(len(report.live_bytes))
    ax.step(x, np.array(report.tflm_live_bytes) / 1024, where="mid", label="TFLM: tensors live at the op")
    ax.step(x, np.array(report.live_bytes) / 1024, where="mid", label="ours: live (in-place, fused)")
    ax.axhline(report.tflm_head_bytes / 1024, color="C0", ls="--", lw=1,
               label=f"TFLM arena head {report.tflm_head_bytes:,} B (total {report.tflm_arena_bytes:,} B)")
    ax.axhline(report.arena_bytes / 1024, color="C1", ls="--", lw=1, label=f"our arena {report.arena_bytes:,} B")
    ax.set_xlabel("op (execution order of the .tflite)")
    ax.set_ylabel("kB")
    ax.set_title(f"{report.model}: memory per op")
    ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
