"""Writing results so that nothing is ever half-written: temp file in the same directory, then rename."""
from __future__ import annotations

import json
import os
import tempfile


def atomic_write(path: str, data: bytes | str) -> None:
    """Write `data` to `path` via a temporary file and `os.replace`."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path: str, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=2) + "\n")
