"""Coverage-guided fuzzing of the .tflite loader, the checks, the passes, the planner and the code
generator (layer by layer and patch by patch) with atheris (libFuzzer), seeded with the real models.

  python scripts/fuzz.py [--seconds=60] [--runs=N] [--seed=S] [--corpus=build/fuzz_corpus] [--max_len=400000]

Any exception other than ModelError (the one-line refusal of a bad model) is a crash: libFuzzer stops and
writes the input as crash-* into --artifacts and exits non-zero. libFuzzer prints the executions and time
("Done N runs in S second(s)") at the end.
"""
import glob
import os
import resource
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> int:
    import argparse
    import atheris

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0, help="libFuzzer's random seed (0: from the clock)")
    parser.add_argument("--runs", type=int, default=-1, help="stop after this many executions (-1: no limit)")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "build", "fuzz_corpus"))
    parser.add_argument("--seeds", default=os.path.join(os.path.dirname(ROOT), "shared", "models", "mlperf_tiny"))
    parser.add_argument("--max_len", type=int, default=400_000)
    parser.add_argument("--artifacts", default=os.path.join(ROOT, "build", "fuzz_artifacts"))
    args = parser.parse_args()

    with atheris.instrument_imports():
        from micro_runtime.codegen import generate
        from tflite_patch.graph import ModelError

    def test_one_input(data: bytes) -> None:
        try:
            generate(data, "m")
            # The patch-based schedule too, at a split and grid taken from the input's last bytes.
            generate(data, "m", patch=f"{1 + data[-1] % 4}:{2 + data[-2] % 2}")
        except ModelError:
            pass

    os.makedirs(args.corpus, exist_ok=True)
    os.makedirs(args.artifacts, exist_ok=True)
    for seed in glob.glob(os.path.join(args.seeds, "*.tflite")):
        target = os.path.join(args.corpus, os.path.basename(seed))
        if not os.path.exists(target):
            shutil.copy(seed, target)
    # libFuzzer's RSS limit reads the peak RSS, which Linux carries over from the parent at fork: under a
    # pytest worker holding TensorFlow (2-3 GB) the default 2 GB limit fired before the first input. The limit
    # is 2 GB above what this process started with; one allocation stays capped at 2 GB.
    inherited_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    libfuzzer_args = [sys.argv[0], args.corpus, f"-max_total_time={args.seconds}", f"-max_len={args.max_len}",
                      f"-rss_limit_mb={2048 + inherited_mb}", "-malloc_limit_mb=2048",
                      f"-artifact_prefix={args.artifacts}/", "-print_final_stats=1", f"-runs={args.runs}",
                      f"-seed={args.seed}"]
    atheris.Setup(libfuzzer_args, test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
