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


def grid(widths: list[str], resolutions: list[str]) -> tuple[list[float], list[int]]:
    """--widths / --resolutions as numbers; exits with one line unless widths > 0 and resolutions >= 8."""
    try:
        w, r = [float(x) for x in widths], [int(x) for x in resolutions]
    except ValueError as e:
        sys.exit(f"error: --widths takes numbers and --resolutions integers ({e})")
    if not w or not r or min(w) <= 0 or min(r) < 8:
        sys.exit("error: need positive --widths and --resolutions >= 8")
    return w, r
