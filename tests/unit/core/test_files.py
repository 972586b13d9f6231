"""Links in shared folders: the rule of the kernel's protected_symlinks, held by stt for its outputs (issue 25)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from stt_cli.core.files import foreign_link, refuse_foreign_links, shared_folder, write_output
from stt_cli.errors import UsageError

ME, OTHER, ROOT = 1000, 1001, 0
TMP = stat.S_IFDIR | 0o1777  # sticky and world-writable
PRIVATE = stat.S_IFDIR | 0o755


@pytest.mark.parametrize(
    ("link_uid", "mode", "folder_uid", "refused"),
    [
        (OTHER, TMP, ROOT, True),  # another user's link in /tmp
        (ME, TMP, ROOT, False),  # one's own
        (ROOT, TMP, ROOT, False),  # the folder's owner's
        (OTHER, TMP, OTHER, False),  # a shared folder of the link's own owner
        (OTHER, PRIVATE, ROOT, False),  # a folder only its owner can write in
        (OTHER, stat.S_IFDIR | 0o777, ROOT, False),  # world-writable but not sticky: anyone could rename anyway
        (OTHER, stat.S_IFDIR | 0o1775, ROOT, False),  # sticky, not world-writable
    ],
)
def test_the_rule(link_uid: int, mode: int, folder_uid: int, refused: bool) -> None:
    assert foreign_link(link_uid, mode, folder_uid, ME) is refused


def test_shared_folders() -> None:
    assert shared_folder(TMP) and not shared_folder(PRIVATE)


needs_root = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="giving a link to another user needs root"
)


@needs_root
def test_a_link_another_user_made_just_before_the_write_is_not_written_through(tmp_path: Path) -> None:
    """The check before the upload may find nothing there; the write looks again."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    link = shared / "out.txt"
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)
    with pytest.raises(UsageError, match="made by another user"):
        write_output(link, b"theirs\n")
    assert victim.read_text() == "mine\n"
    os.lchown(link, os.geteuid(), -1)  # one's own link: followed, the link kept
    write_output(link, b"new\n")
    assert victim.read_text() == "new\n" and link.is_symlink()


@needs_root
def test_a_link_of_another_user_outside_a_shared_folder_is_followed(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    os.lchown(link, 65534, 65534)
    refuse_foreign_links(link)  # a folder only its owner writes in: whoever made the link, the owner allowed it


def test_a_file_rewritten_and_put_back_with_its_time_has_another_stamp(tmp_path: Path) -> None:
    """The stamp a prepared upload is checked against (issue 25): the change time gives away a rewrite that
    kept the size and set the modification time back."""
    from stt_cli.core.files import unchanged_key

    path = tmp_path / "talk.wav"
    path.write_bytes(b"a" * 100)
    before = unchanged_key(path)
    times = os.stat(path)
    tick = tmp_path / "tick"  # the file system's clock is coarse (a few ms): the rewrite comes after it moved
    while tick.touch() or os.stat(tick).st_ctime_ns <= times.st_ctime_ns:
        pass
    path.write_bytes(b"b" * 100)
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == times.st_mtime_ns and os.stat(path).st_size == 100
    assert unchanged_key(path) != before
