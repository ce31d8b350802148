"""The command-line tools, one module per command, each with `main(argv=None)`.

Installed as console scripts (`mcunet`, `mcunet-codegen`, ...: setup.py), run as
`python -m mcunet_tf <command> [flags]`, or from a checkout as `scripts/<command>.py`.
Importing this package is cheap: a command's module (and TensorFlow) loads only when it runs.
"""
from __future__ import annotations

import importlib
import sys

# command -> (module of mcunet_tf.cli, console script, what it does)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "pipeline": ("pipeline", "mcunet", "the whole flow for a data set and a budget: stage 1, TinyNAS, QAT, C, "
                 "benchmark, report"),
    "stage1": ("stage1", "mcunet-stage1", "choose the search space (width, resolution) for a budget"),
    "search": ("search", "mcunet-search", "TinyNAS search at a given width and resolution"),
    "baseline": ("baseline", "mcunet-baseline", "scaled MobileNetV2 baselines under the same budget"),
    "export": ("export", "mcunet-export", "QAT or post-training int8 conversion of a Keras model"),
    "codegen": ("codegen", "mcunet-codegen", "C for an int8 .tflite (portable, Cortex-M, Arduino library)"),
    "plan": ("plan", "mcunet-plan", "the static arena plan of a .tflite against TF Lite Micro's"),
    "bench": ("bench", "mcunet-bench", "generated C against TF Lite Micro: bytes, RAM, Flash, time, instructions"),
}


def usage() -> str:
    """The command listing `python -m mcunet_tf --help` prints."""
    width = max(len(name) for name in COMMANDS)
    rows = "\n".join(f"  {name.ljust(width)}  {what}  ({script})" for name, (_, script, what) in COMMANDS.items())
    return (f"usage: python -m mcunet_tf <command> [flags]   (<command> --help: its flags)\n\ncommands:\n{rows}\n")


def main(argv: list[str] | None = None) -> None:
    """`python -m mcunet_tf <command> [flags]`: runs the command's `main` with the rest of `argv`."""
    argv = sys.argv if argv is None else argv
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        sys.stdout.write(usage())
        sys.exit(0 if len(argv) >= 2 else 2)
    if argv[1] not in COMMANDS:
        sys.exit(f"error: unknown command {argv[1]!r}; commands: {', '.join(COMMANDS)}")
    module, script, _ = COMMANDS[argv[1]]
    importlib.import_module(f"mcunet_tf.cli.{module}").main([script, *argv[2:]])
