"""The emulator's proof that it is this user's: a secret kept private in stt's cache folder, and an answer to a
challenge that binds the port it was asked on."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from stt_cli.emulator import proof
from stt_cli.emulator.folders import UnsafeFolder

posix = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="uids and modes are POSIX's")


def test_the_secret_is_made_once_private_and_read_back(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "emulator"
    assert proof.existing(folder) is None
    secret = proof.ensure(folder)
    assert len(secret) == 32 and proof.ensure(folder) == secret == proof.existing(folder)
    assert sorted(p.name for p in folder.iterdir()) == [proof.FILE]  # no temp file left
    if hasattr(os, "geteuid"):
        assert stat.S_IMODE((folder / proof.FILE).stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_answer_binds_the_secret_the_challenge_and_the_port() -> None:
    secret, other = os.urandom(32), os.urandom(32)
    challenge = proof.challenge()
    answer = proof.answer(secret, challenge, 8750)
    assert proof.holds(secret, challenge, 8750, answer)
    assert not proof.holds(secret, challenge, 8751, answer)  # an emulator on another port: its own port's answer
    assert not proof.holds(other, challenge, 8750, answer)
    assert not proof.holds(secret, proof.challenge(), 8750, answer)  # an old answer for a new challenge
    assert not proof.holds(secret, challenge, 8750, None) and not proof.holds(secret, challenge, 8750, 5)
    for bad in ("00", "zz" * 32, ""):
        with pytest.raises(ValueError):
            proof.answer(secret, bad, 8750)


@posix
@pytest.mark.parametrize("how", ["link", "readable", "short", "fifo"])
def test_a_secret_file_that_is_not_sound_is_not_used(tmp_path: Path, how: str) -> None:
    folder = tmp_path / "emulator"
    secret = proof.ensure(folder)
    path = folder / proof.FILE
    if how == "link":
        target = tmp_path / "elsewhere"
        target.write_text(secret.hex())
        target.chmod(0o600)
        path.unlink()
        path.symlink_to(target)
    elif how == "readable":
        path.chmod(0o644)
    elif how == "short":
        path.write_text("abcd")
    else:
        path.unlink()
        os.mkfifo(path, 0o600)
    assert proof.existing(folder) is None
    with pytest.raises((proof.Unusable, OSError)):
        proof.ensure(folder)


@posix
def test_no_secret_is_made_in_a_folder_others_may_write_in(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(UnsafeFolder):
        proof.ensure(folder)
    assert list(folder.iterdir()) == []
