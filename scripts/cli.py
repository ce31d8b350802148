"""The absl entry point the scripts share: a bad flag is refused like a bad model, with one line
(`error: ...`) and a non-zero exit, instead of absl's two-line FATAL message."""
import sys

from absl import app, flags


def _parse_flags(argv: list[str]) -> list[str]:
    try:
        return flags.FLAGS(argv)
    except flags.Error as e:
        sys.exit(f"error: {e}")


def run(main) -> None:
    """`absl.app.run(main)` with one-line flag errors."""
    app.run(main, flags_parser=_parse_flags)
