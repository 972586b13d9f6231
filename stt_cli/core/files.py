"""File-system helpers that keep the user's data safe: atomic writes, output checks, temp files swept."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import stat
import tempfile
from pathlib import Path

from stt_cli.core.config import user_path
from stt_cli.errors import Fix, UsageError, command_line, local_failure, path_word

HASH_CHUNK = 1024 * 1024
TEMP_MARK = ".stt-"  # in the name of every temp file stt makes beside an output: .NAME.stt-PID-XXXX.tmp
STREAM_FDS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
TEMP_NAME_BYTES = 200  # of the output's name kept in its temp name (.NAME.stt-PID-XXXXXXXX.tmp fits in 255)
STEM_BYTES = 200  # a name made from a source or an id is cut to this many bytes
_TEMP = re.compile(r"^\..+\.stt-(\d+)-[A-Za-z0-9_]+\.tmp$")


Stamp = tuple[int, int, int, int, int]


def stamp_of(info: os.stat_result) -> Stamp:
    """What tells a file unchanged since it was looked at: its device, inode, size, modification time and
    change time. The change time is the kernel's own: a file rewritten and put back, its modification time set
    back too, still has a new one."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def unchanged_key(path: Path) -> Stamp:
    """The file's stamp now (see stamp_of)."""
    return stamp_of(os.stat(path))


def file_sha256(path: Path) -> str:
    """The file's sha256, read in chunks (memory stays flat for any size). A run that asks twice keeps the answer
    itself (core/sources.Identities): nothing here remembers."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def umask() -> int:
    """The process umask, read without changing it where the system allows (os.umask would race other threads)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def new_file_mode() -> int:
    """The mode the user's shell would give a new file: 0666 less the umask."""
    return 0o666 & ~umask()


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it: readers see old or new, never half.

    The new file gets `mode` (default: what the umask gives a new file).
    """
    directory = path.parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{_short(path.name)}{TEMP_MARK}{os.getpid()}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, new_file_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _short(name: str, limit: int = TEMP_NAME_BYTES) -> str:
    """A name cut to `limit` UTF-8 bytes (on a character boundary): a temp name must fit where the name fits."""
    encoded = name.encode("utf-8", "surrogateescape")
    return name if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore")


def output_fd(raw: str | Path) -> int | None:
    """The descriptor an -o path names, if it names one: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N.

    Such a path is written like a shell redirection, through the open descriptor: resolving it would name
    whatever file the descriptor is open on, and renaming over that would replace it.
    """
    text = os.path.normpath(str(raw))
    if text in STREAM_FDS:
        return STREAM_FDS[text]
    match = _FD_PATH.match(text)
    return int(match.group(1)) if match else None


def _fd_flags(fd: int) -> int | None:
    """A descriptor's open flags (OSError when it is not open; None where fcntl is missing)."""
    os.fstat(fd)
    try:
        import fcntl  # POSIX only
    except ImportError:
        return None
    return fcntl.fcntl(fd, fcntl.F_GETFL)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# --- Links in shared folders: what the kernel's protected_symlinks refuses, refused here too --------------
def shared_folder(mode: int) -> bool:
    """A folder anyone may create files in, each removable by its owner only: /tmp, /var/tmp (sticky, o+w)."""
    return bool(mode & stat.S_ISVTX) and bool(mode & stat.S_IWOTH)


def foreign_link(link_uid: int, folder_mode: int, folder_uid: int, me: int) -> bool:
    """Whether a symbolic link is one not to follow: in a shared folder, made by someone who is neither the
    follower nor the folder's owner. Another user could point it at a file of yours (it would be replaced, or
    made), whatever `protected_symlinks` says on this machine."""
    return shared_folder(folder_mode) and link_uid not in (me, folder_uid)


def _owner_name(uid: int) -> str:
    try:
        import pwd  # POSIX only

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def refuse_foreign_links(path: Path) -> None:
    """A UsageError when `path`, or a folder on the way to it, is another user's symbolic link in a shared
    folder (see foreign_link), naming the link and where it points; nothing is written through it, --force or
    not. Checked before anything is uploaded and again just before the write (a link can appear between)."""
    if os.name != "posix":
        return
    me = os.geteuid()
    whole = Path(os.path.abspath(path))
    current = Path(whole.anchor)
    for part in whole.parts[1:]:
        candidate = current / part
        try:
            info = os.lstat(candidate)
        except OSError:
            return  # nothing there (yet): nothing is followed
        if not stat.S_ISLNK(info.st_mode):
            current = candidate
            continue
        try:
            parent = os.stat(current)
        except OSError:
            return
        if foreign_link(info.st_uid, parent.st_mode, parent.st_uid, me):
            try:
                points = os.readlink(candidate)
            except OSError:
                points = "?"
            raise UsageError(
                f"{candidate} is a symbolic link to {points} made by another user, {_owner_name(info.st_uid)}, "
                f"in the shared folder {current}: stt does not follow it",
                "remove the link if it is not yours, or write elsewhere",
            )
        current = Path(os.path.realpath(candidate))


def write_output(path: Path, data: bytes) -> None:
    """The user's output, landing where they said as they would have made it.

    A descriptor (-o /dev/stderr), character device, FIFO, socket or terminal is written through (never
    renamed over). A symbolic link is followed, so the link stays and its target gets the text. A replaced
    file keeps its mode (and, for root, its owner); a new one gets the umask's. Raises OSError.
    """
    fd = output_fd(path)
    if fd is not None:
        _write_all(fd, data)
        return
    refuse_foreign_links(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        handle = os.open(path, os.O_WRONLY)  # no O_CREAT, no rename: whatever is there takes the bytes
        try:
            _write_all(handle, data)
        finally:
            os.close(handle)
        return
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if info is None:
        atomic_write_bytes(target, data)
        return
    atomic_write_bytes(target, data, mode=stat.S_IMODE(info.st_mode))
    if os.name == "posix" and os.geteuid() == 0 and (info.st_uid, info.st_gid) != (0, 0):
        with contextlib.suppress(OSError):
            os.chown(target, info.st_uid, info.st_gid)


def is_stdout(raw: str) -> bool:
    return raw == "-" or output_fd(raw) == 1


def is_special(path: Path) -> bool:
    """A path written through rather than replaced: a descriptor (-o /dev/stderr), or an existing device,
    FIFO, socket or terminal."""
    if output_fd(path) is not None:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


_PROBED: set[str] = set()


def check_output_path(path: Path, *, force: bool, ours: bool = False) -> None:
    """Refuse, before anything is uploaded, an output we could not or should not write.

    `ours`: the file exists but the ledger says stt wrote it for this very source (a re-run may find it done).
    """
    fd = output_fd(path)
    if fd is not None:
        try:
            flags = _fd_flags(fd)
        except OSError:
            raise UsageError(
                f"the output {path}: descriptor {fd} is not open", f"open it in the shell: {fd}>FILE"
            ) from None
        if flags is not None and flags & os.O_ACCMODE == os.O_RDONLY:
            raise UsageError(
                f"the output {path}: descriptor {fd} is open for reading only", f"open it for writing: {fd}>FILE"
            )
        return  # written through, like a shell redirection
    refuse_foreign_links(path)
    if is_special(path):
        if stat.S_ISCHR(os.stat(path).st_mode):  # a terminal or device: can it be written at all?
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)))
            except OSError as exc:
                raise UsageError(f"cannot write to {path} ({exc.strerror})", "pick another output path") from None
        return  # written through: nothing of the user's is replaced
    if path.is_symlink():  # the link's target is what gets written: check where it lands
        path = Path(os.path.realpath(path))
    if path.is_dir():
        raise UsageError(f"the output {path} is a directory", fix=Fix.NAME_A_FILE)
    if path.exists() and not force and not ours:
        raise UsageError(f"the output file {path} already exists", fix=Fix.FORCE)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"the output directory {parent} does not exist",
            f"create it first: {command_line('mkdir', '-p', path_word(parent))}",
        )
    name_max = _name_max(parent)
    if len(path.name.encode("utf-8", "surrogateescape")) > name_max:
        raise UsageError(
            f"the output name {path.name} is too long for its file system ({name_max} bytes at most)",
            fix=Fix.SHORTER_NAME,
        )
    key = os.path.realpath(parent)
    if key in _PROBED:  # a batch writes many files in one directory: sweep and probe it once
        return
    sweep_temp_files(parent)
    try:  # a real probe: permission bits say nothing for root, or on a read-only file system
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".probe{TEMP_MARK}{os.getpid()}-", suffix=".tmp")
    except OSError as exc:
        raise UsageError(
            f"cannot write in the output directory {parent} ({exc.strerror})", "pick another output path"
        ) from None
    os.close(fd)
    os.unlink(probe)
    _PROBED.add(key)


def sweep_temp_files(directory: Path) -> int:
    """Remove the temp files that killed stt processes left in `directory`; returns how many."""
    removed = 0
    try:
        names = [n for n in os.listdir(directory) if TEMP_MARK in n and n.endswith(".tmp")]
    except OSError:
        return 0
    for name in names:
        match = _TEMP.match(name)
        if match is None or int(match.group(1)) == os.getpid() or pid_alive(int(match.group(1))):
            continue
        path = directory / name
        with contextlib.suppress(OSError):
            if stat.S_ISREG(path.lstat().st_mode):
                path.unlink()
                removed += 1
    return removed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def safe_name(stem: str, fallback: str = "transcript") -> str:
    """A file name made from a source or an id: no path separator, no leading dot, no control character,
    and short enough (in bytes) that it and stt's temp name beside it fit any file system."""
    cleaned = "".join(ch for ch in stem if ch.isprintable() and ch not in "/\\\x00")
    cleaned = cleaned.lstrip(". ").strip()
    return _short(cleaned, STEM_BYTES).strip() or fallback


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_output_options(output: str | None, output_dir: Path | None) -> None:
    """-o and --output-dir as the user typed them: not both, UTF-8, -o naming a file, --output-dir a directory
    (made_output_dir has created it when it was missing)."""
    if output is not None and output_dir is not None:
        raise UsageError("an output file and an output directory were both given", fix=Fix.OUTPUT_BOTH)
    if output is not None:
        utf8_name(output, "output name")
        if output.endswith(("/", os.sep)) and output_fd(output) is None:
            raise UsageError(
                f"the output file {output} names a directory (it ends in /)",
                fix=Fix.OUTPUT_ENDS_IN_SLASH,
                output=output,
            )
    if output_dir is not None:
        utf8_name(str(output_dir), "output directory")
        if not output_dir.is_dir():
            raise UsageError(f"the output directory {output_dir} is not a directory", fix=Fix.OTHER_OUTPUT_DIR)


def check_stem(output: str, count: int) -> None:
    """-o STEM for several formats: a file name to add extensions to, never a directory, device or stream."""
    path = user_path(output)
    name = path.name
    if output.endswith(("/", os.sep)) or not name or (name.startswith(".") and name.strip(".") == ""):
        raise UsageError(
            f"the output stem {output} names a directory, not a stem for {count} files",
            fix=Fix.STEM_IS_DIRECTORY,
            output=output,
            count=count,
        )
    if is_special(path) or output_fd(output) is not None:
        raise UsageError(
            f"the output {output} is a device or stream; {count} formats need files",
            fix=Fix.STEM_IS_STREAM,
            output=output,
            count=count,
        )
    if path.is_dir():
        raise UsageError(f"the output stem {output} is a directory", fix=Fix.STEM_IS_FOLDER, output=output)


def made_output_dir(output_dir: Path | None) -> bool:
    """Create a missing --output-dir with its parents, like `mkdir -p`; True when it was made now.

    Checked before anything is uploaded, so a directory that cannot be made stops the run at once.
    """
    if output_dir is None or output_dir.is_dir():
        return False
    if output_dir.exists() or output_dir.is_symlink():
        raise UsageError(f"the output directory {output_dir} is not a directory", fix=Fix.OTHER_OUTPUT_DIR)
    utf8_name(str(output_dir), "output directory")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise local_failure(exc, f"create the output directory {output_dir}") from None
    return True


def utf8_name(raw: str, what: str) -> str:
    """Refuse a name that is not valid UTF-8 (undecodable bytes in argv): the ledger and JSON hold UTF-8 only."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"the {what} {raw!a} is not valid UTF-8", fix=Fix.RENAME_SOURCE) from None
    return raw


def write_failure(exc: OSError, path: Path, hint: str | None = None) -> UsageError:
    return local_failure(exc, f"write {path}", hint)
