"""-o into a shared folder (sticky and world-writable, like /tmp) where another user made a symbolic link
(issue 25): stt refuses to follow it, before anything is uploaded and with --force too, as the kernel's
protected_symlinks does for a shell; a link of one's own is followed, and the message names the file written.
The other user is real (setpriv, when the tests run as root)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EmulatorHandle, one_error_line, run_stt, subprocess_env

SETPRIV = shutil.which("setpriv")
pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="setpriv is Linux's"),
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user"),
    pytest.mark.skipif(SETPRIV is None, reason="setpriv is not installed"),
]


def _as_other(args: list[str]) -> None:
    try:
        uid = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user named nobody")
    assert SETPRIV is not None
    done = subprocess.run([SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *args], cwd="/",
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder like /tmp: anyone may make files in it, and remove only their own."""
    where = Path(tempfile.mkdtemp(prefix="stt-shared-"))
    where.chmod(0o1777)
    yield where
    shutil.rmtree(where)


@pytest.mark.parametrize("force", [False, True])
def test_another_user_s_link_to_an_existing_file_is_not_followed(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path, shared: Path, force: bool
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("my own words\n")
    link = shared / "out.txt"
    _as_other(["ln", "-s", str(precious), str(link)])
    done = run_stt("run", str(talk), "-o", str(link), *(["--force"] if force else []), cwd=tmp_path,
                   env=subprocess_env(emulator))  # fmt: skip
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert f"{link} is a symbolic link to {precious} made by another user, nobody" in line
    assert precious.read_text() == "my own words\n" and link.is_symlink()
    assert emulator.requests() == []  # refused before anything was uploaded


def test_another_user_s_dangling_link_makes_no_file_where_it_points(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path, shared: Path
) -> None:
    planted = tmp_path / "made-by-stt.txt"
    link = shared / "out.txt"
    _as_other(["ln", "-s", str(planted), str(link)])
    done = run_stt("run", str(talk), "-o", str(link), cwd=tmp_path, env=subprocess_env(emulator))
    assert done.returncode == 2
    assert f"{link} is a symbolic link to {planted}" in one_error_line(done.stderr)
    assert not planted.exists() and emulator.requests() == []


def test_a_folder_on_the_way_linked_by_another_user_is_not_followed(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path, shared: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    link = shared / "results"
    _as_other(["ln", "-s", str(mine), str(link)])
    done = run_stt("run", str(talk), "-o", str(link / "talk.txt"), cwd=tmp_path, env=subprocess_env(emulator))
    assert done.returncode == 2 and f"{link} is a symbolic link to {mine}" in one_error_line(done.stderr)
    assert list(mine.iterdir()) == []


def test_one_s_own_link_is_followed_and_the_file_written_is_named(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path, shared: Path
) -> None:
    real = tmp_path / "real.txt"
    link = shared / "out.txt"
    link.symlink_to(real)
    done = run_stt("run", str(talk), "-o", str(link), cwd=tmp_path, env=subprocess_env(emulator))
    assert done.returncode == 0, done.stderr
    assert f"wrote {real} (through the link {link})" in done.stderr
    assert link.is_symlink() and real.read_text().startswith("Welcome")
