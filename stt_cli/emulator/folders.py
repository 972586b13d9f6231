"""The folders the emulator writes in (--keep-uploads DIR, --detach's log folder): made private when missing,
and refused when another user could read what is written there, or swap it for something else.

A folder is private when the user owns it and neither its group nor others may write in it; the folders
above it must be the user's or root's, and any that every user may write in must be sticky (like /tmp), so
no other user can rename the path away and put a folder of theirs, or a symbolic link, in its place.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnsafeFolder(Exception):
    """Another user could read or replace what is written in that folder."""


def private_folder(path: Path) -> Path:
    """`path` made if missing (0700; the folders made above it keep the umask's mode), then checked: its
    absolute form. UnsafeFolder when it is not private (nothing is made inside another user's folder),
    OSError when it cannot be made."""
    folder = path.absolute()
    existing = next((above for above in folder.parents if above.exists()), None)
    if existing is not None and not folder.exists():
        _check_above(existing.resolve(), folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    check(folder)
    return folder


def check(folder: Path) -> None:
    """UnsafeFolder when `folder` (symbolic links followed) or a folder above it is not safe; see above."""
    if not hasattr(os, "geteuid"):  # Windows: no uids to compare
        return
    real = folder.resolve()
    info = os.stat(real)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{folder} is not a folder")
    if info.st_uid != os.geteuid():
        raise UnsafeFolder(f"{folder} belongs to another user (uid {info.st_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeFolder(f"other users may write in {folder} (mode {stat.S_IMODE(info.st_mode):o})")
    _check_above(real.parent, folder)


def _check_above(real: Path, folder: Path) -> None:
    """`real` (a resolved folder) and each one above it: the user's or root's, and sticky if all may write."""
    if not hasattr(os, "geteuid"):
        return
    for above in (real, *real.parents):
        info = os.stat(above)
        if info.st_uid not in (os.geteuid(), 0):
            raise UnsafeFolder(f"{above}, above {folder}, belongs to another user (uid {info.st_uid})")
        if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
            raise UnsafeFolder(f"other users may rename what is in {above}, above {folder} (no sticky bit)")
