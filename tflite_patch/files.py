"""Writing results so that nothing is ever half-written: temp file in the same directory, then rename.

What is written ends with the permissions a plain `open(path, "w")` / `os.mkdir(path)` would give
(0666 / 0777 less the umask, default ACLs applied): the temporaries are created with those modes and the
kernel applies the umask, where `tempfile.mkstemp` / `mkdtemp` would leave 0600 / 0700.
"""
from __future__ import annotations

import json
import os
import secrets
import stat
from typing import Any, Callable


def _create_temporary(directory: str, name: str, create: Callable[[str], Any]) -> tuple[str, Any]:
    """(path, create(path)) for a fresh `directory/.tmp-XXXXXXXX-name`; `create` raises FileExistsError on a
    taken name."""
    while True:
        path = os.path.join(directory, f".tmp-{secrets.token_hex(4)}-{name}")
        try:
            return path, create(path)
        except FileExistsError:
            continue


def atomic_write(path: str, data: bytes | str) -> None:
    """Write `data` to `path` via a temporary file (flushed to disk) and `os.replace`. An existing `path`
    keeps its mode, as `open(path, "w")` would keep it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp, fd = _create_temporary(directory, os.path.basename(path),
                                lambda p: os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
    try:
        with os.fdopen(fd, "wb") as f:
            if os.path.exists(path):
                os.fchmod(f.fileno(), stat.S_IMODE(os.stat(path).st_mode))
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())  # a power loss after the rename finds the new bytes, not an empty file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path: str, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=2) + "\n")


def temporary_dir(parent: str, name: str) -> str:
    """A new empty directory `parent/.tmp-XXXXXXXX-name` with the mode `os.mkdir` gives (`tempfile.mkdtemp`
    gives 0700): to build a directory in, then rename it into place."""
    os.makedirs(parent, exist_ok=True)
    return _create_temporary(parent, name, lambda p: os.mkdir(p, 0o777))[0]
