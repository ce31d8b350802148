"""A per-layer report of an int8 model on a device, as STM32Cube.AI's `analyze` gives one: for each op the
generated code runs, its shapes, MACs, the arena bytes live while it runs, its constant bytes in Flash, the
Cortex-M4 instructions the fitted model predicts (`mcunet_tf.cost`) and, from a benchmark profile, those
measured in QEMU, each also in ms at the device's clock; totals against TF Lite Micro's arena.

The rows are the ops of `micro_runtime.codegen.generate` (the engine graph: PADs folded, reshapes aliased),
in the order the generated `<name>_invoke` calls them; `micro_runtime.bench` profiles the same list.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from mcunet_tf.cost import latency_model, layer_data_bytes, layer_instructions
from micro_runtime.codegen import generate
from micro_runtime.lowering import describe
from tflite_patch.costs import op_macs


@dataclasses.dataclass
class LayerRow:
    """One op of the generated code. `live_bytes`: arena bytes in use while it runs; `flash_bytes`: its
    constants (weights, biases, requantization arrays); instructions and ms of one inference."""
    index: int
    op: str
    input_shapes: list[list[int]]
    output_shapes: list[list[int]]
    macs: int
    live_bytes: int
    flash_bytes: int
    predicted_instructions: int
    predicted_ms: float
    measured_instructions: int | None = None
    measured_ms: float | None = None


@dataclasses.dataclass
class Analysis:
    """The rows and their totals: additive columns summed, `peak_live_bytes` the largest row; the arena
    (ours, and TFLM's when known) holds every row's live bytes."""
    model: str
    clock_mhz: float
    cycles_per_instruction: float
    layers: list[LayerRow]
    arena_bytes: int
    code_bytes_predicted: int
    invoke_instructions_predicted: int  # the call's own overhead, beyond the layers
    tflm_arena_bytes: int | None = None
    ram_bytes_measured: int | None = None  # Cortex-M4 link: arena + static state
    flash_bytes_measured: int | None = None  # Cortex-M4 link: constants + code

    def ms(self, instructions: float) -> float:
        return instructions * self.cycles_per_instruction / (self.clock_mhz * 1e3)

    def totals(self) -> dict[str, Any]:
        measured = [r.measured_instructions for r in self.layers]
        known = None not in measured and bool(measured)
        return {"macs": sum(r.macs for r in self.layers), "peak_live_bytes": max(r.live_bytes for r in self.layers),
                "flash_bytes": sum(r.flash_bytes for r in self.layers),
                "predicted_instructions": sum(r.predicted_instructions for r in self.layers),
                "predicted_ms": sum(r.predicted_ms for r in self.layers),
                "measured_instructions": sum(measured) if known else None,
                "measured_ms": sum(r.measured_ms for r in self.layers) if known else None}

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "totals": self.totals()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Analysis":
        fields = {k: v for k, v in d.items() if k != "totals"}
        return cls(**{**fields, "layers": [LayerRow(**row) for row in d["layers"]]})


def _shapes(graph, tensors) -> list[list[int]]:
    return [list(graph.tensors[t].shape) for t in tensors if t >= 0 and not graph.tensors[t].is_constant]


def analyze(tflite: bytes, name: str, clock_mhz: float, measured_layers: list[dict] | None = None,
            bench: dict | None = None) -> Analysis:
    """The per-layer analysis of `tflite` at `clock_mhz`. `measured_layers`: `BenchResult.cm4_layers` (one
    dict per op with "instructions"); `bench`: a `BenchResult.to_json()` for TFLM's arena and the linked
    RAM and Flash."""
    gen = generate(tflite, name)
    graph, plan, model = gen.graph, gen.plan, latency_model()
    cpi = float(model["latency"].get("cycles_per_instruction", 1.0))
    predicted = layer_instructions(graph, plan, model)
    flash = layer_data_bytes(graph)
    if measured_layers is not None and len(measured_layers) != len(graph.ops):
        raise ValueError(f"the profile has {len(measured_layers)} layers, the generated code {len(graph.ops)}")
    fl = model["flash"]
    result = Analysis(model=name, clock_mhz=float(clock_mhz), cycles_per_instruction=cpi, layers=[],
                      arena_bytes=gen.arena_bytes,
                      code_bytes_predicted=int(round(fl["code_constant_bytes"] + fl["code_bytes_per_layer"]
                                                     * len(graph.ops))),
                      invoke_instructions_predicted=int(round(model["latency"].get("invoke_constant", 0.0))))
    if bench is not None:
        result.tflm_arena_bytes = bench.get("tflm_arena_bytes")
        result.ram_bytes_measured = bench.get("ours_ram_bytes")
        result.flash_bytes_measured = bench.get("ours_flash_bytes")
    for i, op in enumerate(graph.ops):
        row = LayerRow(index=i, op=describe(graph, op), input_shapes=_shapes(graph, op.inputs),
                       output_shapes=_shapes(graph, op.outputs), macs=int(op_macs(graph, op)),
                       live_bytes=int(plan.live_bytes[i]), flash_bytes=flash[i],
                       predicted_instructions=int(round(predicted[i])), predicted_ms=0.0)
        row.predicted_ms = result.ms(row.predicted_instructions)
        if measured_layers is not None:
            row.measured_instructions = int(measured_layers[i]["instructions"])
            row.measured_ms = result.ms(row.measured_instructions)
        result.layers.append(row)
    return result


def _shape_text(shapes: list[list[int]]) -> str:
    return ",".join("x".join(str(d) for d in s) for s in shapes) or "-"


def format_analysis(a: Analysis) -> str:
    """The report's table: one row per layer, the totals, then the model against TFLM."""
    measured = a.layers and a.layers[0].measured_instructions is not None
    head = ["#", "op", "input", "output", "MACs", "live RAM B", "Flash B", "pred. instr", "pred. ms"]
    head += ["meas. instr", "meas. ms"] if measured else []
    rows = [head]
    for r in a.layers:
        rows.append([str(r.index), r.op, _shape_text(r.input_shapes), _shape_text(r.output_shapes), f"{r.macs:,}",
                     f"{r.live_bytes:,}", f"{r.flash_bytes:,}", f"{r.predicted_instructions:,}",
                     f"{r.predicted_ms:.3f}"]
                    + ([f"{r.measured_instructions:,}", f"{r.measured_ms:.3f}"] if measured else []))
    t = a.totals()
    rows.append(["", "total", "", "", f"{t['macs']:,}", f"{t['peak_live_bytes']:,} (peak)", f"{t['flash_bytes']:,}",
                 f"{t['predicted_instructions']:,}", f"{t['predicted_ms']:.3f}"]
                + ([f"{t['measured_instructions']:,}", f"{t['measured_ms']:.3f}"] if measured else []))
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if c < 4 else cell.rjust(w) for c, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, lines[1])
    return "\n".join(lines + ["", *_summary(a)])


def _summary(a: Analysis) -> list[str]:
    """The model-level lines under the table: clock, arena against TFLM, RAM and Flash."""
    tflm = f", TFLM's arena {a.tflm_arena_bytes:,} B ({a.arena_bytes / a.tflm_arena_bytes:.2f}x)" \
        if a.tflm_arena_bytes else ""
    lines = [f"clock {a.clock_mhz:g} MHz, {a.cycles_per_instruction:g} cycle(s) per instruction; the invoke call "
             f"adds {a.invoke_instructions_predicted:,} instructions (predicted)",
             f"arena (ours) {a.arena_bytes:,} B{tflm}",
             f"Flash predicted {sum(r.flash_bytes for r in a.layers) + a.code_bytes_predicted:,} B (constants + "
             f"{a.code_bytes_predicted:,} B code)"]
    if a.ram_bytes_measured is not None or a.flash_bytes_measured is not None:
        lines.append(f"Cortex-M4 link (-O2): RAM {a.ram_bytes_measured or 0:,} B, Flash {a.flash_bytes_measured or 0:,} B")
    return lines
