"""A TinyNAS search folder (Keras Tuner's `directory/project_name`): one search at a time, and state files
that are either read or named, with what to do, in a one-line error.

- `lock_search_folder(folder)`: an exclusive `fcntl.flock` on `folder/.search.lock`, held while the returned
  `SearchFolderLock` lives. The kernel drops it when the process ends, killed or not, so no stale lock
  outlives a search. Another process gets `SearchFolderInUse`, naming the holder (pid, host, start time).
  Tuners of one process share the lock (a notebook cell that builds the tuner again is not refused).
- `read_json_state(path, folder, remedy)` and `reading_state(path, folder, remedy)`: a state file that is
  missing, empty, truncated or not what it should be raises `CorruptSearchFolder`, whose one line names the
  file and says what to do (`remedy`), instead of a KeyError or a JSON error that names no file.

Both errors are `SearchFolderError`, a ValueError: the command-line tools print them as `error: ...`.
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import shutil
import socket
import weakref
import zipfile
from typing import IO, Any, Iterator

LOCK_FILE = ".search.lock"
START_OVER = "start over (overwrite=True, or delete the search folder)"


class SearchFolderError(ValueError):
    """A search folder that cannot be used as it is; the message is one line."""


class SearchFolderInUse(SearchFolderError):
    """Another process is searching in this folder."""


class CorruptSearchFolder(SearchFolderError):
    """A state file of the folder cannot be read back."""

    def __init__(self, path: str, folder: str, problem: str, remedy: str):
        self.path = path
        super().__init__(f"search folder {folder}: {os.path.relpath(path, folder)} {problem}; {remedy}")


# ---------------------------------------------------------------------------------------------- lock
class SearchFolderLock:
    """The exclusive lock on one search folder; dropped by `release()`, or when this object is collected."""

    def __init__(self, folder: str, file: IO[str]):
        self.folder = folder
        self._file = file
        weakref.finalize(self, file.close)

    @property
    def held(self) -> bool:
        return not self._file.closed

    def release(self) -> None:
        self._file.close()  # closing the descriptor drops the flock


# The locks this process holds, by lock-file path: flock refuses a second descriptor of one process too.
_held_locks: "weakref.WeakValueDictionary[str, SearchFolderLock]" = weakref.WeakValueDictionary()


def _describe_holder(file: IO[str]) -> str:
    file.seek(0)
    try:
        holder = json.loads(file.read())
        return f"pid {holder['pid']} on {holder['host']}, started {holder['started']}"
    except (ValueError, KeyError, TypeError):  # written this very moment, or by someone else
        return "holder unknown"


def _open_lock_file(folder: str, path: str) -> IO[str]:
    try:
        os.makedirs(folder, exist_ok=True)
        return open(path, "a+")  # not "w": the holder's line stays for the next one to read
    except OSError as e:
        if os.path.exists(path):  # a folder this process may only read: flock locks through a read-only descriptor
            return open(path)
        raise SearchFolderError(f"search folder {folder}: cannot create its lock file {LOCK_FILE} ({e.strerror})") \
            from None


def lock_search_folder(folder: str) -> SearchFolderLock:
    """Lock `folder` (created if need be) for this process, or raise `SearchFolderInUse` at once."""
    path = os.path.realpath(os.path.join(folder, LOCK_FILE))
    held = _held_locks.get(path)
    if held is not None and held.held:
        return held
    file = _open_lock_file(folder, path)
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _describe_holder(file)
        file.close()
        raise SearchFolderInUse(
            f"search folder {folder} is in use by another search ({holder}): wait for it to end or stop it, "
            "or search in another directory or project_name (several processes share one search only "
            "through Keras Tuner's distributed mode)") from None
    if file.writable():
        file.truncate(0)
        file.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                               "started": datetime.datetime.now().astimezone().isoformat(" ", "seconds")}))
        file.flush()
    _held_locks[path] = lock = SearchFolderLock(folder, file)
    return lock


def clear_search_folder(folder: str) -> None:
    """Delete everything in `folder` but its lock file (overwrite=True, with the lock held)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name == LOCK_FILE:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


# ---------------------------------------------------------------------------------------- state files
def _json_problem(error: json.JSONDecodeError) -> str:
    # A string left open runs to the end of the file: cut short too.
    if error.pos >= len(error.doc.rstrip()) or error.msg.startswith("Unterminated string"):
        return "truncated JSON"
    return f"not JSON: {error.msg}, line {error.lineno} column {error.colno}"


def read_json_state(path: str, folder: str, remedy: str) -> dict[str, Any]:
    """The JSON object in the state file `path` of the search folder `folder`, or `CorruptSearchFolder`."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise CorruptSearchFolder(path, folder, "is missing", remedy) from None
    except OSError as e:
        raise CorruptSearchFolder(path, folder, f"cannot be read ({e.strerror})", remedy) from None
    if not raw.strip():
        raise CorruptSearchFolder(path, folder, "is corrupt (empty)", remedy)
    try:
        state = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorruptSearchFolder(path, folder, "is corrupt (not UTF-8 text)", remedy) from None
    except json.JSONDecodeError as e:
        raise CorruptSearchFolder(path, folder, f"is corrupt ({_json_problem(e)})", remedy) from None
    if not isinstance(state, dict):
        raise CorruptSearchFolder(path, folder, "is corrupt (not a JSON object)", remedy)
    return state


def _content_problem(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r} entry" if error.args else "an entry is missing"
    if isinstance(error, zipfile.BadZipFile):
        return "not a complete .npz archive"
    if isinstance(error, EOFError):
        return "truncated"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@contextlib.contextmanager
def reading_state(path: str, folder: str, remedy: str) -> Iterator[None]:
    """Turn the errors of interpreting the state file `path` (a key missing, a value of the wrong type, a
    truncated archive) into `CorruptSearchFolder`."""
    try:
        yield
    except SearchFolderError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, EOFError, OSError,
            zipfile.BadZipFile) as e:
        raise CorruptSearchFolder(path, folder, f"is corrupt ({_content_problem(e)})", remedy) from None
