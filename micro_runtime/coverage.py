"""What the engine runs, read from the lowerings (`micro_runtime.lowering`): per op kind, its activation types
and the instruction-set paths of its kernels. A kernel file has an Arm DSP path where it names MR_DSP
(mr_dsp.h), an x86 SSE2 path where it names MR_SSE2 (mr_x86.h); every kernel has its portable C99 path
(-DMR_PORTABLE). `scripts/codegen.py --list_ops` prints the table; README.md holds a copy between
MARKERS, which `--readme` rewrites and tests/test_coverage.py compares."""
from __future__ import annotations

import os
import re

from micro_runtime.codegen import KERNEL_DIR
from micro_runtime.lowering import LOWERINGS_BY_TYPE

ISA_MACROS = {"Arm DSP": "MR_DSP", "x86 SSE2": "MR_SSE2"}
MARKERS = ("<!-- ops-table:begin (scripts/codegen.py --list_ops --readme=README.md) -->", "<!-- ops-table:end -->")


def _names_macro(source: str, macro: str) -> bool:
    with open(os.path.join(KERNEL_DIR, source)) as f:
        return re.search(rf"\b{macro}\b", f.read()) is not None


def ops_table() -> list[dict]:
    """One row per op kind a .tflite may hold and lowering of it (int8, int16): kind, types, and per path
    (portable, Arm DSP, x86 SSE2) whether that lowering's kernels have it."""
    rows = []
    for (kind, _), lowering in sorted(LOWERINGS_BY_TYPE.items(), key=lambda kv: (kv[0][0], kv[0][1] == "int16")):
        types = lowering.types_of(kind)
        if lowering.engine_only or not types:
            continue
        sources = lowering.sources_of(kind)
        row = {"op": kind, "types": ", ".join(types), "portable": True}
        row.update({isa: any(_names_macro(s, macro) for s in sources) for isa, macro in ISA_MACROS.items()})
        rows.append(row)
    return rows


def ops_markdown() -> str:
    """The table in Markdown."""
    columns = ["op", "types", "portable", *ISA_MACROS]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in ops_table():
        cells = [row["op"], row["types"]] + ["yes" if row[c] else "-" for c in columns[2:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_table(text: str) -> str:
    """The table between MARKERS in `text` (ValueError when they are missing)."""
    begin, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    if begin < 0 or end < begin:
        raise ValueError(f"no {MARKERS[0]} ... {MARKERS[1]} section")
    return text[begin + len(MARKERS[0]):end].strip()


def with_ops_table(text: str) -> str:
    """`text` with the table between MARKERS replaced by `ops_markdown()`."""
    readme_table(text)  # the markers are there, in order
    begin, end = text.find(MARKERS[0]) + len(MARKERS[0]), text.find(MARKERS[1])
    return text[:begin] + "\n" + ops_markdown() + "\n" + text[end:]
