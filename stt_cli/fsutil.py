"""File-system helpers that keep the user's data safe: atomic writes and output checks."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from stt_cli.errors import UsageError

HASH_CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    """The file's sha256, read in chunks (memory stays flat for any size)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it: readers see old or new, never half."""
    directory = path.parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_output_path(path: Path, *, force: bool) -> None:
    """Refuse, before anything is uploaded, an output we could not or should not write."""
    if path.is_dir():
        raise UsageError(f"the output {path} is a directory", "name a file, or use --output-dir")
    if path.exists() and not force:
        raise UsageError(f"the output file {path} already exists", "pass --force to overwrite it, or pick another name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"the output directory {parent} does not exist", f"create it first: mkdir -p {parent}")
    try:  # a real probe: permission bits say nothing for root, or on a read-only file system
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".stt-probe-")
    except OSError as exc:
        raise UsageError(
            f"cannot write in the output directory {parent} ({exc.strerror})", "pick another output path"
        ) from None
    os.close(fd)
    os.unlink(probe)
