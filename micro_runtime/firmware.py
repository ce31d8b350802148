"""Several generated models in one firmware: the runtime is a library, a model is data plus a schedule.

Every generated folder holds the model's own `<name>.c` / `<name>.h` (whose global symbols all start
with `<name>_`) and copies of the kernel sources and headers it needs, byte for byte the same in every
folder made by the same mcunet-tf. Compiling two folders together therefore means taking each file name
once; `combine_sources` does that and refuses two files of one name whose bytes differ (folders made by
different versions)."""
from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

from tflite_patch.graph import ModelError


def combine_sources(folders: list[str | os.PathLike], out_dir: str | os.PathLike) -> list[Path]:
    """Copy the files of generated model folders into `out_dir`, each file name once; returns the `.c`
    files to compile. Raises `ModelError` when two folders hold different files of the same name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    origin: dict[str, Path] = {}
    for folder in map(Path, folders):
        for src in sorted(folder.iterdir()):
            if not src.is_file() or src.name.startswith("."):  # the manifest is per folder
                continue
            first = origin.setdefault(src.name, src)
            if first is src:
                shutil.copyfile(src, out / src.name)
            elif not filecmp.cmp(first, src, shallow=False):
                raise ModelError(f"{src.name} differs between {first.parent} and {src.parent}: "
                                 "generate both models with the same mcunet-tf")
    return sorted(p for p in out.glob("*.c"))
