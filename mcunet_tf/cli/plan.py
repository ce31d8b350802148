"""Plan the static arena of int8 .tflite models and compare it with stock TF Lite Micro.

  mcunet-plan --tflite=M.tflite [--out=M.planned.tflite] [--report=R.json] [--plot=P.png]
  mcunet-plan --tflite=A.tflite --tflite=B.tflite --out_dir=DIR   # one set of files per model

Prints a table: our arena, the layer-by-layer lower bound, the lower bound with inverted-residual blocks
fused (scripts/codegen.py --fuse), TFLM's arena (total and head) on the model
and on the planned model (our plan injected as OfflineMemoryAllocation), and whether TFLM's outputs on
the planned model are identical to the original's.
"""
import os
import sys

from absl import flags

from mcunet_tf.cli import common as cli
from micro_runtime.codegen import generate
from micro_runtime.schedule import plan_engine
from tflite_patch.files import atomic_write, atomic_write_json
from tflite_patch.graph import ModelError, load_tflite
from tflite_patch.report import format_table, plan_model, plot_live_bytes

FLAGS = flags.DEFINE_multi_string("tflite", None, "int8 .tflite model(s) to plan", required=True)
OUT = flags.DEFINE_string("out", None, "write the planned model here (one model only)")
REPORT = flags.DEFINE_string("report", None, "write the JSON report here")
PLOT = flags.DEFINE_string("plot", None, "write the per-op memory plot (PNG) here (one model only)")
OUT_DIR = flags.DEFINE_string("out_dir", None, "write <stem>.planned.tflite, <stem>.plan.json and "
                              "<stem>.plan.png for every model here")
INPUTS = flags.DEFINE_integer("inputs", 10, "random inputs on which TFLM's outputs are compared")


def _run(argv):
    del argv
    paths = FLAGS.value
    if len(paths) > 1 and (OUT.value or PLOT.value):
        sys.exit("error: --out and --plot take one model; use --out_dir for several")
    reports = []
    for path in paths:
        stem = os.path.basename(path).rsplit(".tflite", 1)[0]
        try:
            with open(path, "rb") as f:
                model = f.read()
            # TFLM aborts the process when a kernel's Prepare check fails; the generator computes the
            # same parameters and refuses such a model first, with one line. Its plan is the report's.
            gen = generate(model, "m")
            fused = min(plan_engine(load_tflite(model), fuse=mode)[1].lower_bound_bytes for mode in ("auto", "all"))
            report, planned = plan_model(model, stem, INPUTS.value, engine_plan=lambda graph: (gen.graph, gen.plan),
                                         fused_lower_bound_bytes=fused)
        except OSError as e:
            sys.exit(f"error: cannot read {path}: {e.strerror}")
        except ModelError as e:
            sys.exit(f"error: {path}: {e}")
        print(f"planned {stem}: ours {report.arena_bytes:,} B, TFLM {report.tflm_arena_bytes:,} B", flush=True)
        if OUT_DIR.value:
            atomic_write(os.path.join(OUT_DIR.value, stem + ".planned.tflite"), planned)
            atomic_write_json(os.path.join(OUT_DIR.value, stem + ".plan.json"), report.to_json())
            plot_live_bytes(report, os.path.join(OUT_DIR.value, stem + ".plan.png"))
        if OUT.value:
            atomic_write(OUT.value, planned)
        if PLOT.value:
            plot_live_bytes(report, PLOT.value)
        reports.append(report)
    if REPORT.value:
        body = [r.to_json() for r in reports]
        atomic_write_json(REPORT.value, body[0] if len(body) == 1 else body)
    print()
    print(format_table(reports))


def main(argv: list[str] | None = None) -> None:
    """`mcunet-plan`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
