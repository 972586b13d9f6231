"""The small files stt reads of its own: regular files only, checked on the descriptor read, with a cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stt_cli.core import safeopen
from stt_cli.core.safeopen import NotRegular, TooLarge, read_regular

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")


def test_a_regular_file_is_read_whole_within_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_regular(path, 10).data == b"x" * 10
    with pytest.raises(TooLarge):
        read_regular(path, 9)


@pytest.mark.parametrize(("make", "kind"), [("fifo", "a FIFO"), ("device", "a device"), ("dir", "a directory")])
def test_anything_else_is_refused_before_a_byte_is_read(tmp_path: Path, make: str, kind: str) -> None:
    path = tmp_path / "f"
    if make == "fifo":
        os.mkfifo(path)
    elif make == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    with pytest.raises(NotRegular) as caught:
        read_regular(path, 1024)
    assert caught.value.kind == kind and kind in str(caught.value)


def test_a_fifo_swapped_in_after_the_check_is_refused_on_its_descriptor_without_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regular = tmp_path / "regular"
    regular.write_bytes(b"{}")
    checked = os.stat(regular)
    path = tmp_path / "f"
    os.mkfifo(path)  # no writer: a blocking open or read would never return
    monkeypatch.setattr(safeopen.os, "stat", lambda *a, **k: checked)  # the check saw the file before the swap
    with pytest.raises(NotRegular, match="a FIFO"):
        read_regular(path, 1024)


def test_a_link_is_refused_where_none_is_expected(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"{}")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_regular(link, 10).data == b"{}"
    with pytest.raises(NotRegular, match="a symbolic link"):
        read_regular(link, 10, follow_links=False)
