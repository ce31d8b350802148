"""Compile the generated Arduino library with Debian's arduino-builder for an AVR board and run its
example in simavr (no board needed); the example prints the class it finds, its score and the model's
output bytes in hex. `avr-size` and `avr-nm` say where the build put its data: the model's constants in
Flash (.text), SRAM (.data + .bss) the arena plus the example's buffers and the core's variables."""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile

HARDWARE_DIRS = ("/usr/share/arduino/hardware", "/usr/share/arduino-builder")
APT_PACKAGES = "arduino-builder arduino-core-avr arduino-ctags simavr"


class ArduinoError(RuntimeError):
    """Building or simulating the sketch failed; the message is one line."""


BOARDS = {"uno": ("arduino:avr:uno", "atmega328p"), "mega": ("arduino:avr:mega:cpu=atmega2560", "atmega2560")}
SRAM_START = 0x800000  # where avr-nm shows SRAM addresses (Flash below)


@dataclasses.dataclass
class ArduinoRun:
    """What the example printed (return code, class label, score, output bytes) and the build's memory:
    `sections` (avr-size -A: name -> bytes), `ram_symbols` / `flash_symbols` (avr-nm: name -> bytes, names
    without the `.lto_priv.N` suffixes of link-time optimisation)."""
    rc: int
    output: bytes
    flash_bytes: int
    ram_bytes: int
    stdout: str
    label: str = ""
    score: float = float("nan")
    sections: dict[str, int] = dataclasses.field(default_factory=dict)
    ram_symbols: dict[str, int] = dataclasses.field(default_factory=dict)
    flash_symbols: dict[str, int] = dataclasses.field(default_factory=dict)


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ArduinoError(f"{tool} not found: apt-get install {APT_PACKAGES}")
    return path


def _simulate(cmd: list[str], timeout: float) -> str:
    """Run simavr until the example prints "done" (it never exits: loop() spins), then stop it."""
    import select
    import time

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    chunks = b""
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                data = os.read(proc.stdout.fileno(), 4096)
                if not data:
                    break
                chunks += data
                if b"done" in chunks:
                    break
    finally:
        proc.kill()
        proc.wait()
    return re.sub(r"\x1b\[[0-9;]*m", "", chunks.decode("utf-8", "replace"))


def _compile(libraries: dict[str, str], sketch_name: str, sketch: str, work: str, fqbn: str,
             timeout: float) -> tuple[str, str]:
    """Compile `sketch` (the .ino text) against the given libraries (name -> folder) with arduino-builder;
    returns the ELF's path and the builder's output."""
    libs = os.path.join(work, "libraries")
    for lib_name, folder in libraries.items():
        shutil.copytree(folder, os.path.join(libs, lib_name))
    sketch_dir = os.path.join(work, "sketch", sketch_name)
    os.makedirs(sketch_dir)
    with open(os.path.join(sketch_dir, f"{sketch_name}.ino"), "w") as f:
        f.write(sketch)
    build = os.path.join(work, "build")
    os.makedirs(build)
    cmd = ["arduino-builder", "-compile", *sum((["-hardware", h] for h in HARDWARE_DIRS), []),
           "-tools", "/usr/bin", "-libraries", libs, "-fqbn", fqbn,
           # Debian 12's AVR core does not build with its avr-gcc 5.4 (WString.cpp reads DECIMAL_DIG, which that
           # gcc's <float.h> defines for C99 only): an empty sketch fails too, and a library cannot reach the
           # core's compile. A plain install needs the same line in platform.local.txt (the README says so).
           "-prefs=compiler.cpp.extra_flags=-DDECIMAL_DIG=9",
           # a constant (MR_CONST, in Flash) read through a plain pointer would read SRAM at that address
           "-prefs=compiler.c.extra_flags=-Werror=addr-space-convert", "-build-path", build,
           os.path.join(sketch_dir, f"{sketch_name}.ino")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if res.returncode:
        lines = [ln for ln in (res.stdout + res.stderr).splitlines() if "error" in ln.lower()
                 or "multiple definition" in ln] or ["(no message)"]
        raise ArduinoError(f"arduino-builder failed: {lines[0].strip()}")
    return os.path.join(build, f"{sketch_name}.ino.elf"), res.stdout


def build_and_run_sketch(libraries: dict[str, str], sketch: str, fqbn: str = "arduino:avr:mega:cpu=atmega2560",
                         mcu: str = "atmega2560", freq: int = 16_000_000, timeout: float = 120.0) -> str:
    """Compile a sketch (its .ino text, which prints "done" when finished) using the given libraries
    (name -> folder) and run it in simavr; returns what it printed."""
    _need("arduino-builder")
    _need("simavr")
    work = tempfile.mkdtemp(prefix="mr_arduino_")
    try:
        elf, _ = _compile(libraries, "sketch", sketch, work, fqbn, timeout)
        return _simulate(["simavr", "-m", mcu, "-f", str(freq), elf], timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build_and_run(library_dir: str, name: str, fqbn: str = "arduino:avr:mega:cpu=atmega2560",
                  mcu: str = "atmega2560", freq: int = 16_000_000, timeout: float = 120.0) -> ArduinoRun:
    """Compile `library_dir` (an Arduino library from `codegen --target=arduino`) with its example
    `examples/<name>/<name>.ino` (`BOARDS` has the fqbn and mcu of the Uno and the Mega) and run the ELF in
    simavr; returns what the example printed and where the build put its data."""
    _need("arduino-builder")
    _need("simavr")
    work = tempfile.mkdtemp(prefix="mr_arduino_")
    try:
        with open(os.path.join(library_dir, "examples", name, f"{name}.ino")) as f:
            example = f.read()
        elf, stdout = _compile({name: library_dir}, name, example, work, fqbn, timeout)
        sizes = re.search(r"Sketch uses (\d+) bytes.*?Global variables use (\d+) bytes", stdout, re.S)
        printed = printed_lines(_simulate(["simavr", "-m", mcu, "-f", str(freq), elf], timeout))
        if "done" not in printed or not {"rc", "out", "label", "score"} <= set(printed):
            raise ArduinoError("the example printed no result in simavr")
        ram, flash = _symbols(elf)
        return ArduinoRun(rc=int(printed["rc"]), output=bytes.fromhex(printed["out"]),
                          flash_bytes=int(sizes.group(1)) if sizes else -1,
                          ram_bytes=int(sizes.group(2)) if sizes else -1, stdout="\n".join(printed.values()),
                          label=printed["label"], score=float(printed["score"]), sections=_sections(elf),
                          ram_symbols=ram, flash_symbols=flash)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def printed_lines(text: str) -> dict[str, str]:
    """The example's lines as {first word: the rest}. simavr wraps long UART lines and shows the CR LF of
    println as "..": both undone."""
    lines = text.replace("\n", "").split("..")
    return {ln.strip().split(" ", 1)[0]: (ln.strip().split(" ", 1) + [""])[1] for ln in lines if ln.strip()}


def _sections(elf: str) -> dict[str, int]:
    out = subprocess.run([_need("avr-size"), "-A", elf], capture_output=True, text=True, check=True).stdout
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\.\S+)\s+(\d+)\s+\d+", out, re.M)}


def _symbols(elf: str) -> tuple[dict[str, int], dict[str, int]]:
    """(SRAM symbols, Flash symbols) of the ELF: name (without .lto_priv.N) -> bytes."""
    out = subprocess.run([_need("avr-nm"), "-S", elf], capture_output=True, text=True, check=True).stdout
    ram, flash = {}, {}
    for m in re.finditer(r"^([0-9a-f]+) ([0-9a-f]+) \w (\S+)$", out, re.M):
        where = ram if int(m.group(1), 16) >= SRAM_START else flash
        where[m.group(3).split(".")[0]] = int(m.group(2), 16)
    return ram, flash
