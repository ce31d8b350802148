"""codegen writes only its own files: a folder holding other files is refused (and kept), a previous
output is replaced, symlinks are followed, failures are one line, modes follow the umask."""
import os
import stat

import pytest

from conftest import MLPERF, read
from micro_runtime.codegen import MANIFEST, generate, write_folder
from tflite_patch import ModelError

KWS = next(p for p in MLPERF if "kws" in p)


@pytest.fixture(scope="module")
def gen():
    return generate(read(KWS), "kws")


def test_a_folder_with_the_users_files_is_refused_and_kept(gen, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ModelError, match=r"holds files codegen did not write \(notes.txt\)"):
        gen.write(str(out))
    assert (out / "notes.txt").read_text() == "mine" and sorted(os.listdir(out)) == ["notes.txt"]


def test_a_previous_output_is_replaced_and_nothing_is_left_beside_it(gen, tmp_path):
    out = tmp_path / "out"
    gen.write(str(out))
    (out / "kws.c").write_text("stale")
    gen.write(str(out))
    assert (out / "kws.c").read_text() == gen.files["kws.c"]
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert (out / MANIFEST).read_text().split() == sorted(gen.files)


def test_a_symlinked_folder_is_written_through_the_link(gen, tmp_path):
    real = tmp_path / "real"
    gen.write(str(real))
    link = tmp_path / "link"
    link.symlink_to(real)
    gen.write(str(link))
    assert link.is_symlink() and (real / "kws.h").exists()
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]


def test_an_unwritable_place_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ModelError, match="cannot write .*Not a directory") as err:
        write_folder({"a.c": ""}, str(blocker / "sub" / "out"))
    assert "\n" not in str(err.value)
    with pytest.raises(ModelError, match="exists and is not a folder"):
        write_folder({"a.c": ""}, str(blocker))


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_files_and_folders_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        write_folder({"a.c": "", "src/b.c": ""}, str(tmp_path / "out"))
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(tmp_path / "out") == 0o777 & ~mask and mode(tmp_path / "out" / "src") == 0o777 & ~mask
    assert mode(tmp_path / "out" / "a.c") == 0o666 & ~mask
