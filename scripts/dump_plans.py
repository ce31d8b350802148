"""Every arena plan of a set of models, one JSON line each, to check that a planner change leaves plans
identical: the engine's layer-by-layer plan, the plans of every patch option `choose_patch` weighs (input
in the arena and read in place), and TFLM's no-in-place plan.

  python scripts/dump_plans.py OUT.jsonl [MODEL.tflite ...]   (default: the MLPerf Tiny models and
                                                             build/models/*.int8.tflite)
  diff before.jsonl after.jsonl
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def plan_line(label: str, plan) -> str:
    return json.dumps({"plan": label, "arena": plan.arena_bytes, "heuristic": plan.heuristic,
                       "offsets": sorted(plan.offsets.items()), "scratch": sorted(plan.scratch.items()),
                       "inplace_ops": sorted(plan.inplace_ops), "choice": sorted(plan.inplace_choice.items()),
                       "external": sorted(plan.external), "lower": plan.lower_bound_bytes,
                       "live": plan.live_bytes})


def main() -> int:
    from micro_runtime.schedule import MAX_EXTRA_MACS, MAX_PATCHES_PER_SIDE, _options, plan_prepared, plan_schedule
    from tflite_patch.graph import load_tflite
    from tflite_patch.passes import prepare_for_engine, prepare_for_tflm
    from tflite_patch.planner import plan_arena
    from tflite_patch.report import TFLM_ALIGNMENT

    if len(sys.argv) < 2:
        sys.exit(__doc__)
    shared = os.environ.get("MCUNET_SHARED_MODELS", "/work/shared/models")
    paths = sys.argv[2:] or (sorted(glob.glob(os.path.join(shared, "mlperf_tiny", "*.tflite"))) +
                             sorted(glob.glob(os.path.join(ROOT, "build", "models", "*.int8.tflite"))))
    count = 0
    with open(sys.argv[1], "w") as out:
        for path in paths:
            with open(path, "rb") as f:
                graph = load_tflite(f.read())
            name = os.path.basename(path)
            engine = prepare_for_engine(graph)
            lines = [plan_line(f"{name} layer", plan_prepared(engine)[1]),
                     plan_line(f"{name} tflm", plan_arena(prepare_for_tflm(graph), TFLM_ALIGNMENT, inplace=False))]
            for _, spec, _ in _options(engine, MAX_PATCHES_PER_SIDE, MAX_EXTRA_MACS):  # what choose_patch weighs
                for outside in (False, True):
                    lines.append(plan_line(f"{name} patch {spec} outside={outside}",
                                           plan_schedule(engine, spec, outside)[1]))
            out.write("".join(line + "\n" for line in lines))
            count += len(lines)
            print(f"{name}: {len(lines)} plans", flush=True)
    print(f"{count} plans of {len(paths)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
