"""The absl entry point the commands share: a bad flag is refused like a bad model, with one line
(`error: ...`) and a non-zero exit, instead of absl's two-line FATAL message; `--help` shows the
command's own usage and flags whatever script or console command started it."""
import logging
import os
import sys
import warnings

from absl import app, flags
from absl import logging as absl_logging

from mcunet_tf.cli.quiet import filtered_stderr

# Imported before TensorFlow by every script: TF's C++ start-up lines (oneDNN, CUDA probing) say nothing
# about the user's model. An explicit TF_CPP_MIN_LOG_LEVEL wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


VERBOSE = flags.DEFINE_bool("verbose", False, "show TensorFlow's start-up lines, the converter's prints and the "
                            "libraries' INFO logging")
HELP_FLAGS = ("-h", "--help", "-help", "--helpshort", "-?")


def _usage(module: str) -> str:
    """The command's docstring and its own flags: absl's --help lists the flags of `__main__`, which
    is a wrapper (scripts/*.py, a console script) that defines none."""
    doc = (sys.modules[module].__doc__ or "").strip()
    own = "\n".join(h for h in (flags.FLAGS.module_help(m) for m in (module, __name__)) if h)
    return f"{doc}\n\nflags:\n{own}\n"


def _flags_parser(module: str):
    def parse(argv: list[str]) -> list[str]:
        if module != "__main__" and any(arg in HELP_FLAGS for arg in argv[1:]):
            sys.stdout.write(_usage(module))
            sys.exit(0)
        try:
            return flags.FLAGS(argv)
        except flags.Error as e:
            sys.exit(f"error: {e}")
    return parse


def _quiet_libraries() -> None:
    """Progress lines are ours; TensorFlow's INFO chatter (SavedModel, converter) and its retracing and
    deprecation warnings would bury them. `--verbose` or `--verbosity=0` (or higher) brings them back."""
    if flags.FLAGS["verbosity"].present or VERBOSE.value:
        return
    absl_logging.set_verbosity(absl_logging.WARNING)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated")


def run(main, argv: list[str] | None = None) -> None:
    """`absl.app.run(main, argv)` (default argv: sys.argv) with one-line flag errors, the help of
    `main`'s module, and quiet: library logging and TensorFlow's C++ lines held back unless --verbose."""
    def quiet_main(args):
        _quiet_libraries()
        if VERBOSE.value:
            return main(args)
        with filtered_stderr():
            return main(args)
    app.run(quiet_main, argv=argv, flags_parser=_flags_parser(main.__module__))


def budget_flags():
    """--device, --sram_kb, --flash_kb: the budget as `mcunet_tf.cost.make_budget` takes it."""
    return (flags.DEFINE_string("device", None, "budget preset from mcunet_tf.cost.DEVICES"),
            flags.DEFINE_float("sram_kb", None, "SRAM budget (kB); overrides --device"),
            flags.DEFINE_float("flash_kb", None, "Flash budget (kB); overrides --device"))


def patch_flags(help_patch: str):
    """--patch and --sram_kb, as scripts/codegen.py and scripts/bench.py take them."""
    return (flags.DEFINE_string("patch", "off", help_patch),
            flags.DEFINE_float("sram_kb", None, "SRAM budget (kB) --patch=auto must fit (arena + an input read "
                               "in place); default: least RAM"))


def patch_schedule(patch_flag, sram_flag):
    """(patch, sram_bytes) for `micro_runtime.codegen.generate`; exits with one line for a bad --patch."""
    from tflite_patch.patches import parse_patch
    try:
        patch = parse_patch(patch_flag.value)
    except ValueError as e:
        sys.exit(f"error: {e}")
    return patch, None if sram_flag.value is None else int(sram_flag.value * 1024)


def grid(widths: list[str], resolutions: list[str]) -> tuple[list[float], list[int]]:
    """--widths / --resolutions as numbers; exits with one line unless widths > 0 and resolutions >= 8."""
    try:
        w, r = [float(x) for x in widths], [int(x) for x in resolutions]
    except ValueError as e:
        sys.exit(f"error: --widths takes numbers and --resolutions integers ({e})")
    if not w or not r or min(w) <= 0 or min(r) < 8:
        sys.exit("error: need positive --widths and --resolutions >= 8")
    return w, r
