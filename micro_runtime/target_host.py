"""Run generated C on this machine: compile with the host cc into a shared library, call it with ctypes."""
from __future__ import annotations

import ctypes
import glob
import os
import subprocess
import tempfile
import time

import numpy as np

from micro_runtime.codegen import GeneratedModel

HOST_CFLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror")


class HostModel:
    """A generated model compiled for the host; `invoke` takes and returns numpy arrays."""

    def __init__(self, gen: GeneratedModel, work_dir: str | None = None, cflags=HOST_CFLAGS, cc: str = "cc"):
        self.gen = gen
        self.dir = work_dir or tempfile.mkdtemp(prefix="mr_host_")
        src = os.path.join(self.dir, "src")
        gen.write(src)
        lib = os.path.join(self.dir, f"lib{gen.name}.so")
        cmd = [cc, *cflags, "-shared", "-fPIC", *sorted(glob.glob(os.path.join(src, "*.c"))), "-o", lib]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(f"host compile failed: {res.stderr.strip().splitlines()[:1]}")
        self.lib = ctypes.CDLL(lib)
        self.fn = getattr(self.lib, f"{gen.name}_invoke")
        self.fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.fn.restype = ctypes.c_int
        graph = gen.graph
        self.out_specs = [(graph.tensors[t].dtype, graph.tensors[t].shape) for t in graph.outputs]
        self.out_buf = ctypes.create_string_buffer(max(sum(gen.output_bytes), 1))

    def invoke_bytes(self, data: bytes) -> tuple[bytes, float]:
        """One inference on the inputs packed back to back; returns the output bytes and seconds taken."""
        start = time.perf_counter()
        rc = self.fn(data, self.out_buf)
        elapsed = time.perf_counter() - start
        if rc != 0:
            raise RuntimeError(f"{self.gen.name}_invoke returned {rc}")
        return self.out_buf.raw[:sum(self.gen.output_bytes)], elapsed

    def invoke(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        raw, _ = self.invoke_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays))
        outs, pos = [], 0
        for (dtype, shape), size in zip(self.out_specs, self.gen.output_bytes):
            outs.append(np.frombuffer(raw[pos:pos + size], dtype=dtype).reshape(shape))
            pos += size
        return outs


RUN_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host", "run_model.c")
# AddressSanitizer + UndefinedBehaviorSanitizer, stopping at the first error; with MR_CHECKED every kernel also
# asserts that its writes stay in the arena (mr_common.h).
CHECKED_CFLAGS = ("-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
                  "-DMR_CHECKED")


def build_run_model(gen: GeneratedModel, src_dir: str, exe: str, flags=CHECKED_CFLAGS, cc: str = "cc") -> None:
    """Compile the generated sources in `src_dir` (`gen` written there) with host/run_model.c into the
    executable `exe`: `exe inputs.bin outputs.bin` runs one inference per input set. RuntimeError with the
    compiler's first line when it fails."""
    defines = [f"-DMR_MODEL_HEADER=\"{gen.name}.h\"", f"-DMR_MODEL_INVOKE={gen.name}_invoke",
               f"-DMR_MODEL_INPUT_BYTES={sum(gen.input_bytes)}", f"-DMR_MODEL_OUTPUT_BYTES={sum(gen.output_bytes)}"]
    cmd = [cc, "-std=c99", "-Wall", "-Wextra", "-Werror", *flags, f"-I{src_dir}", *defines,
           *sorted(glob.glob(os.path.join(src_dir, "*.c"))), RUN_MODEL, "-lm", "-o", exe]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"host compile failed: {(res.stderr.strip().splitlines() or [''])[0]}")


def run_model(exe: str, inputs: bytes, work_dir: str, timeout: float = 120) -> tuple[int, bytes, str]:
    """Run a `build_run_model` executable on input sets packed back to back: (exit code, output bytes,
    stderr). Sanitizer reports abort at the first error and leaks are errors."""
    in_path, out_path = os.path.join(work_dir, "in.bin"), os.path.join(work_dir, "out.bin")
    with open(in_path, "wb") as f:
        f.write(inputs)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    res = subprocess.run([exe, in_path, out_path], capture_output=True, text=True, env=env, timeout=timeout)
    output = b""
    if os.path.exists(out_path):
        with open(out_path, "rb") as f:
            output = f.read()
    return res.returncode, output, res.stderr
