"""Structure-aware fuzzing of the code generator (micro_runtime.fuzz_ir): valid models mutated through the
IR, every accepted mutant built with ASan + UBSan and the checked kernels, run, and compared with TF Lite
Micro; every refusal one line.

  python scripts/fuzz_ir.py [--seconds=60] [--runs=N] [--seed=S] [--seeds=DIR] [--out=build/fuzz_ir]

Prints the summary (cases, cases per second, refused, accepted, compared, findings); exits 1 when there are
findings (written to --out as finding-<n>.tflite and .txt).
"""
import argparse
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> int:
    from micro_runtime.fuzz_ir import fuzz

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=-1, help="stop after this many cases (-1: no limit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", default=os.path.join(os.path.dirname(ROOT), "shared", "models", "mlperf_tiny"),
                        help="a folder of valid .tflite models to mutate besides the single-op ones ('' for none)")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "fuzz_ir"))
    args = parser.parse_args()
    if args.seeds and not os.path.isdir(args.seeds):
        raise SystemExit(f"--seeds {args.seeds} is not a folder")
    work = tempfile.mkdtemp(prefix="fuzz_ir_")
    try:
        stats = fuzz(args.seconds, args.runs, args.seed, args.seeds or None, args.out, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(stats.summary())
    return 1 if stats.findings else 0


if __name__ == "__main__":
    sys.exit(main())
