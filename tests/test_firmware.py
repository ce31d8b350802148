"""Two generated models in one program: the host (one shared library) and one Cortex-M4 firmware in QEMU,
both bit-exact with TFLM; a model's global symbols carry its name."""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from conftest import MLPERF, read
from micro_runtime.codegen import generate
from micro_runtime.firmware import combine_sources
from tflite_patch import ModelError, load_tflite
from tflite_patch.tflm import random_inputs, run_tflm

MODELS = {"kws": next(p for p in MLPERF if "kws" in p), "vww": next(p for p in MLPERF if "vww" in p)}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("two_models")
    for name, path in MODELS.items():
        generate(read(path), name, target="cortex-m").write(str(root / name))
    return root


def expected(name, count, seed):
    data = read(MODELS[name])
    sets = random_inputs(load_tflite(data), count, seed=seed)
    return [s[0].tobytes() for s in sets], [out[0].tobytes() for out in run_tflm(data, sets, 1)]


def test_two_models_link_into_one_host_program_and_both_are_bit_exact(folders, tmp_path):
    sources = combine_sources([folders / "kws", folders / "vww"], tmp_path / "both")
    lib = tmp_path / "libboth.so"
    subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    *map(str, sources), "-o", str(lib)], check=True)
    so = ctypes.CDLL(str(lib))
    for name in MODELS:
        inputs, outputs = expected(name, 3, seed=11)
        invoke = getattr(so, f"{name}_invoke")
        for x, y in zip(inputs, outputs):
            out = ctypes.create_string_buffer(len(y))
            assert invoke(x, out) == 0
            assert out.raw == y


def test_a_model_defines_only_symbols_named_after_it(folders, tmp_path):
    obj = tmp_path / "kws.o"
    subprocess.run(["cc", "-std=c99", "-O2", "-c", str(folders / "kws" / "kws.c"), "-o", str(obj)], check=True)
    nm = subprocess.run(["nm", "--defined-only", "--extern-only", str(obj)], capture_output=True, text=True,
                        check=True).stdout.split()
    symbols = [s for s in nm[2::3]]
    assert symbols and all(s.startswith("kws_") for s in symbols), symbols


def test_files_of_one_name_must_have_the_same_bytes(folders, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(folders / "vww", other)
    (other / "add.c").write_text((other / "add.c").read_text() + "\n/* changed */\n")
    with pytest.raises(ModelError, match="add.c differs"):
        combine_sources([folders / "kws", other], tmp_path / "both")


def _c_bytes(data: bytes) -> str:
    return "{" + ",".join(str(b) for b in data) + "}"


@pytest.mark.e2e
@pytest.mark.e2e
def test_two_models_in_one_cortex_m4_firmware_are_bit_exact(folders, tmp_path):
    from micro_runtime import target_cortexm
    if shutil.which(target_cortexm.GCC) is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    sources = combine_sources([folders / "kws", folders / "vww"], tmp_path / "both")
    lines = ["#include <stdio.h>", '#include "kws.h"', '#include "vww.h"']
    calls, want = [], []
    for name in MODELS:
        inputs, outputs = expected(name, 2, seed=3)
        for j, (x, y) in enumerate(zip(inputs, outputs)):
            lines.append(f"static const unsigned char {name}_in{j}[] = {_c_bytes(x)};")
            lines.append(f"static unsigned char {name}_out{j}[{len(y)}];")
            calls.append((name, j, len(y)))
            want.append(f"{name} {j} 0 {y.hex()}")
    lines.append("int main(void) {")
    for name, j, n in calls:
        lines += [f"  {{ int rc = {name}_invoke({name}_in{j}, {name}_out{j});",
                  f'    printf("{name} {j} %d ", rc);',
                  f'    for (int i = 0; i < {n}; ++i) printf("%02x", {name}_out{j}[i]);',
                  '    printf("\\n"); }']
    lines += ["  return 0;", "}", ""]
    main = tmp_path / "both" / "main.c"
    main.write_text("\n".join(lines))
    elf = target_cortexm.build_program([*sources, main], tmp_path / "build", cflags=[f"-I{tmp_path / 'both'}"])
    got = [ln.strip() for ln in target_cortexm.run_program(elf).splitlines() if ln.strip()]
    assert got == want
