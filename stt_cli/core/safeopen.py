"""The small files stt reads of its own (the key file, the config file, a completion script, an rc file): regular
files only, checked on the descriptor that is read (a link swapped after a check changes nothing), read with a cap.

A FIFO would block the read for ever, a device such as /dev/zero would fill the memory: both are refused before a
byte is read, and a regular file is read no further than its cap.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import NamedTuple


class NotRegular(OSError):
    """The path names something other than a regular file (`kind` says what: a FIFO, a device, ...)."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
        self.kind = kind


class TooLarge(OSError):
    """The file holds more than its cap allows."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"it is larger than {limit:,} bytes", str(path))
        self.limit = limit


class Read(NamedTuple):
    """What was read, and the descriptor's own stat (owner and mode of the very file read)."""

    data: bytes
    info: os.stat_result


def kind_of(mode: int) -> str:
    """What a file of this mode is, as a message names it."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def read_regular(path: Path, limit: int, *, follow_links: bool = True) -> Read:
    """The whole of a regular file of at most `limit` bytes; NotRegular, TooLarge or the OSError of the open.

    The path is looked at first (a device is never opened: opening some has effects), then opened without
    blocking (a FIFO swapped in meanwhile cannot hang the open) and checked again on the descriptor, which is
    what is read. `follow_links=False`: a symbolic link there is refused (ELOOP).
    """
    before = os.stat(path, follow_symlinks=follow_links)
    if not stat.S_ISREG(before.st_mode):
        raise NotRegular(path, kind_of(before.st_mode))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(path, kind_of(info.st_mode))
        if info.st_size > limit:
            raise TooLarge(path, limit)
        chunks = []
        left = limit + 1  # one byte more than allowed tells a file that grew past its cap since the fstat
        while left > 0 and (chunk := os.read(fd, min(left, 1024 * 1024))):
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TooLarge(path, limit)
    return Read(data, info)
