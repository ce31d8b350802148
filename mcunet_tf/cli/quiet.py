"""TensorFlow's start-up lines and the TFLite converter's prints, held back from a command's stderr.

They come from C++ (absl/glog lines such as the oneDNN notice and `failed call to cuInit`, the converter's
`fully_quantize: 0, inference_type: 6, ...`), written straight to file descriptor 2, so no Python logging
setting reaches them. `filtered_stderr()` points descriptor 2 at a pipe for the whole command and copies every
other line through, in order: our progress lines, warnings, tracebacks and `error: ...` lines, compilers' and
QEMU's messages. `--verbose` runs without it.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.-]+:\d+\] "  # absl/glog: severity, date, time, thread, file:line
    r"|fully_quantize: \d+, inference_type: \d+, input_inference_type: ")


def _copy(read_fd: int, write_fd: int) -> None:
    """Copies lines from `read_fd` to `write_fd` until end of file, leaving out NOISE."""
    pending = b""
    with os.fdopen(read_fd, "rb", buffering=0) as source:
        while chunk := source.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            kept = [line + b"\n" for line in lines if not NOISE.match(line.decode(errors="replace"))]
            if kept:
                os.write(write_fd, b"".join(kept))
    if pending and not NOISE.match(pending.decode(errors="replace")):
        os.write(write_fd, pending)


@contextlib.contextmanager
def filtered_stderr():
    """Descriptor 2 goes through a filter that drops NOISE lines; restored (and drained) on exit. Child
    processes started inside inherit the filtered descriptor."""
    sys.stderr.flush()
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.set_inheritable(saved, False)
    copier = threading.Thread(target=_copy, args=(read_fd, saved), daemon=True, name="stderr-filter")
    copier.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last writer in this process is gone: the copier reaches end of file
        copier.join(timeout=5)  # unless a child still holds it: then the copier keeps `saved` open
        if not copier.is_alive():
            os.close(saved)
