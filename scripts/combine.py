"""Put several generated models into one folder that compiles as one program.

  python scripts/combine.py --dir=A --dir=B [--dir=...] --out_dir=DIR

Every folder made by scripts/codegen.py carries the same kernel files and headers; DIR gets each file name
once (two files of one name whose bytes differ are refused: folders from different mcunet-tf versions) and
every model's own <name>.c / <name>.h, so `cc DIR/*.c` links all the models into one program.
"""
import os
import sys

from absl import flags

import cli

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from micro_runtime.firmware import combine_sources  # noqa: E402
from tflite_patch.graph import ModelError  # noqa: E402

DIRS = flags.DEFINE_multi_string("dir", None, "a folder written by scripts/codegen.py (give two or more)",
                                 required=True)
OUT_DIR = flags.DEFINE_string("out_dir", None, "the combined folder", required=True)


def main(argv):
    del argv
    missing = [d for d in DIRS.value if not os.path.isdir(d)]
    if missing:
        sys.exit(f"error: --dir {missing[0]} is not a folder")
    try:
        sources = combine_sources(DIRS.value, OUT_DIR.value)
    except ModelError as e:
        sys.exit(f"error: {e}")
    except OSError as e:
        sys.exit(f"error: cannot write {OUT_DIR.value}: {e.strerror}")
    print(f"wrote {OUT_DIR.value}: {len(sources)} C files from {len(DIRS.value)} folders")


if __name__ == "__main__":
    cli.run(main)
