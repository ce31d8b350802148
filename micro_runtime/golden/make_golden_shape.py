"""Golden vectors for the shape-op kernels (copy_strided.c, gather.c, reduce.c, cast.c, mirror_pad.c), taken
from the TF Lite Micro wheel.

Each case is a random single-op model (the builders of tests/test_ops_*.py), run by the wheel on random
inputs. The kernel calls are the ones our lowering emits for it (micro_runtime/lowering, on a small arena
laid out here): the header holds their parameter structs and a function per case that makes the calls on
`A`, the inputs with their arena offsets and TFLM's output bytes. kernels/<kernel>_test.c runs them
(golden_graph_check.h).

    .venv/bin/python micro_runtime/golden/make_golden_shape.py

Deterministic (fixed seeds).
"""
from __future__ import annotations

import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from micro_runtime.lowering import Emitter, lowering_for  # noqa: E402
from shape_ops_check import random_arrays  # noqa: E402
from test_ops_misc import cast_case, mirror_pad_case  # noqa: E402
from test_ops_packing import pack_case, split_v_case, unpack_case  # noqa: E402
from test_ops_reduce import arg_case, reduce_case  # noqa: E402
from test_ops_slicing import gather_case, gather_nd_case, slice_case, strided_slice_case  # noqa: E402
from test_ops_space_depth import (batch_to_space_case, depth_to_space_case, space_to_batch_case,  # noqa: E402
                                  space_to_depth_case)
from tflite_patch import save_tflite  # noqa: E402
from tflite_patch.planner import ArenaPlan  # noqa: E402
from tflite_patch.tflm import run_tflm  # noqa: E402

CASES_PER_KERNEL = 10  # at least 3 per op
KERNELS = {
    "copy_strided": [strided_slice_case, slice_case, pack_case, unpack_case, split_v_case, space_to_depth_case,
                     depth_to_space_case, space_to_batch_case, batch_to_space_case],
    "gather": [gather_case, gather_nd_case],
    "reduce": [reduce_case("REDUCE_MAX"), reduce_case("REDUCE_MIN"), reduce_case("SUM"), arg_case("ARG_MAX"),
               arg_case("ARG_MIN")],
    "cast": [cast_case],
    "mirror_pad": [mirror_pad_case],
}


def int32_range(tensor):
    """Run-time positions stay below the bound their name records; other int32 inputs in -300..300."""
    if tensor.name.startswith("positions_below_"):
        return 0, int(tensor.name.rsplit("_", 1)[1])
    return -300, 300


def c_bytes(name: str, data: bytes) -> str:
    items = [str(b) for b in data]
    lines = [", ".join(items[j:j + 24]) for j in range(0, len(items), 24)]
    return f"static const uint8_t {name}[{len(items)}] = {{\n  " + ",\n  ".join(lines) + "\n};"


def lay_out(graph) -> tuple[ArenaPlan, int]:
    """Every non-constant tensor at its own 16-byte aligned offset, then the op's scratch, if any."""
    offsets, scratch, top = {}, {}, 0
    for j, tensor in enumerate(graph.tensors):
        if tensor.data is None:
            offsets[j] = top
            top += (tensor.nbytes + 15) // 16 * 16
    size = lowering_for(graph.ops[0], graph).scratch_bytes(graph, graph.ops[0])
    if size:
        scratch[0] = (top, size)
        top += (size + 15) // 16 * 16
    return ArenaPlan(offsets, scratch, top, top, [], "golden", 16, False), top


def case_text(kernel: str, k: int, graph, rng) -> tuple[str, str, int]:
    """(definitions, case initializer, arena bytes) of one case."""
    plan, arena = lay_out(graph)
    e = Emitter(graph, plan, "golden")
    op = graph.ops[0]
    lowering_for(op, graph).emit(e, 0, op)
    prefix = f"{kernel}{k}_"
    names = [m.group(1) for line in e.data for m in [re.match(r"static (?:const )?[\w ]+? (\w+)(\[| =)", line)] if m]
    text = "\n".join(e.data) + f"\nstatic void {prefix}run(void) {{\n" + "\n".join(e.body) + "\n}"
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b{name}\b", prefix + name, text)
    arrays = random_arrays(graph, rng, int32_range)
    outputs = run_tflm(save_tflite(graph), [arrays], len(graph.outputs))[0]
    parts, tensors = [text], []
    for role, indices, values in (("in", graph.inputs, arrays), ("out", graph.outputs, outputs)):
        for j, (t, v) in enumerate(zip(indices, values)):
            data = np.ascontiguousarray(v).tobytes()
            parts.append(c_bytes(f"{prefix}{role}{j}", data))
            tensors.append(f"{{{int(role == 'out')}, {plan.offsets[t]}, {len(data)}, {prefix}{role}{j}}}")
    parts.append(f"static const mr_graph_tensor {prefix}tensors[] = {{{', '.join(tensors)}}};")
    name = f"{op.kind} {'x'.join(str(d) for d in graph.tensors[op.inputs[0]].shape)}"
    return "\n".join(parts), f'  {{"{name}", {prefix}run, {len(tensors)}, {prefix}tensors}}', arena


def write(kernel: str, makers, seed: int, generator: str = "make_golden_shape.py") -> str:
    rng = np.random.default_rng(seed)
    defs, inits, arena = [], [], 16
    for make in makers:
        made = 0
        while made < max(3, CASES_PER_KERNEL // len(makers)):
            graph = make(rng)
            if graph is None:
                continue
            text, init, size = case_text(kernel, len(inits), graph, rng)
            defs.append(text)
            inits.append(init)
            arena = max(arena, size)
            made += 1
    upper = kernel.upper()
    out = [f"/* Generated by micro_runtime/golden/{generator} from TF Lite Micro (tflite-micro wheel):",
           f" * {len(inits)} single-op models, the calls our lowerings emit. Do not edit. */",
           f"#ifndef MR_{upper}_GOLDEN_H_", f"#define MR_{upper}_GOLDEN_H_", "",
           f"static union {{ int32_t align; uint8_t bytes[{arena}]; }} {kernel}_golden_arena;",
           f"#define A ({kernel}_golden_arena.bytes)", f"#define {upper}_GOLDEN_ARENA_BYTES {arena}", ""]
    out += defs
    out += ["", f"static const mr_graph_case {kernel}_golden_cases[] = {{", ",\n".join(inits), "};",
            f"#define {upper}_GOLDEN_COUNT ((int)(sizeof({kernel}_golden_cases) / sizeof({kernel}_golden_cases[0])))",
            "", "#endif", ""]
    path = os.path.join(HERE, f"{kernel}_golden.h")
    with open(path, "w") as f:
        f.write("\n".join(out))
    return path


def main() -> int:
    for seed, (kernel, makers) in enumerate(KERNELS.items()):
        print(write(kernel, makers, 100 + seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
