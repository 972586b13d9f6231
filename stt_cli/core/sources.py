"""Sources: the SOURCE arguments checked and expanded (files, directories, stdin, URLs), then made ready to send."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from stt_cli.core.config import spool_dir, user_path
from stt_cli.core.media.sniff import HEAD_BYTES, looks_like_media
from stt_cli.errors import (
    Fix,
    Interrupted,
    UsageError,
    command_line,
    local_failure,
    path_word,
)

if TYPE_CHECKING:
    from stt_cli.core.options import SourceOptions

STDIN_CHUNK = 1024 * 1024


class Source(NamedTuple):
    """A SOURCE argument: a local file, stdin (`-`) or a URL the service fetches itself."""

    raw: str
    kind: str  # "file" | "stdin" | "url"
    path: Path | None = None

    @property
    def label(self) -> str:
        """How the source is shown and recorded: a URL's password masked (the service gets it whole)."""
        if self.kind == "url":
            return masked_url(self.raw)
        return "stdin" if self.kind == "stdin" else self.raw

    @property
    def size(self) -> int:
        """Bytes to upload (0: a URL or stdin, whose length is not known yet)."""
        return self.path.stat().st_size if self.path is not None else 0

    @property
    def stem(self) -> str:
        if self.kind == "url":
            name = Path(urlsplit(self.raw).path).stem
            return name or "transcript"
        if self.kind == "stdin":
            return "stdin"
        assert self.path is not None
        return self.path.stem


def masked_url(raw: str) -> str:
    """A URL with the password of its user part, if any, as **** (for the screen, logs and the ledger)."""
    parts = urlsplit(raw)
    if parts.password is None:
        return raw
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:****@{host}").geturl()


def parse_source(raw: str) -> Source:
    """Check a SOURCE before anything is sent: an URL, `-`, or a readable, non-empty regular file."""
    if raw == "-":
        return Source(raw, "stdin")
    if not raw.strip() or "\x00" in raw:
        raise UsageError(f"{raw!r} is not a file name or URL", "pass a path, an http(s) URL or -")
    from stt_cli.core.files import utf8_name  # lazy for start-up: stt run --help

    utf8_name(raw, "source")
    lowered = raw.lower()
    if lowered.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        if not parts.hostname:
            raise UsageError(f"the source URL {masked_url(raw)!r} has no host", "give a full http(s):// URL")
        return Source(raw, "url")
    if "://" in raw:
        raise UsageError(
            f"the source {masked_url(raw)!r} is not a local file or an http(s) URL", "the service fetches http(s) only"
        )
    path = user_path(raw)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UsageError(f"no such file: {raw}", "check the path, or pass - to read audio from stdin") from None
    except OSError as exc:
        raise UsageError(f"cannot access {raw}: {exc.strerror}", "check the path and its permissions") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{raw} is a directory, not an audio file", fix=Fix.RECURSIVE)
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{raw} is not a regular file", "save the audio to a file, or pipe it in with -")
    if info.st_size == 0:
        raise UsageError(f"{raw} is empty", "check that the recording finished writing")
    if not os.access(path, os.R_OK):
        raise UsageError(
            f"{raw} is not readable", f"check its permissions ({command_line('ls', '-l', path_word(raw))})"
        )
    return Source(raw, "file", path)


def check_size(source: Source, max_size: int | None) -> None:
    if max_size is not None and source.path is not None and source.path.stat().st_size > max_size:
        size = source.path.stat().st_size
        raise UsageError(f"{source.raw} is {size:,} bytes, over the {{opt:max_size}} of {max_size:,}", fix=Fix.MAX_SIZE)


SPOOL_PREFIX = "stdin-"


@contextlib.contextmanager
def spooled_stdin(max_size: int | None = None) -> Iterator[tuple[Path, str]]:
    """Stdin copied to a private file in stt's cache dir (0600 in 0700), so the upload has a known length.

    Yields the path and the sha256 of the bytes; the file is removed afterwards, and the spools of killed
    processes are swept the next time one is made.
    """
    import hashlib  # lazy for start-up: stt run --help

    from stt_cli.core.files import sweep_temp_files  # lazy for start-up: stt run --help

    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None or sys.stdin.isatty():
        raise UsageError("SOURCE is - but stdin is a terminal", fix=Fix.PIPE_AUDIO)

    directory = spool_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        sweep_temp_files(directory)
        fd, name = tempfile.mkstemp(dir=directory, prefix=f".{SPOOL_PREFIX}audio.stt-{os.getpid()}-", suffix=".tmp")
    except OSError as exc:
        raise local_failure(exc, f"spool stdin in {directory}") from None
    path = Path(name)
    digest = hashlib.sha256()
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                copied = 0
                while chunk := stream.read(STDIN_CHUNK):
                    copied += len(chunk)
                    if max_size is not None and copied > max_size:
                        raise UsageError(f"stdin is over the {{opt:max_size}} of {max_size:,} bytes", fix=Fix.MAX_SIZE)
                    digest.update(chunk)
                    handle.write(chunk)
        except OSError as exc:
            raise local_failure(exc, f"spool stdin in {directory}") from None
        except KeyboardInterrupt:
            raise Interrupted("interrupted while reading stdin; no job was created") from None
        if path.stat().st_size == 0:
            raise UsageError("stdin was empty", fix=Fix.PIPE_AUDIO)
        yield path, digest.hexdigest()
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


class Prepared(NamedTuple):
    """A source ready to send: what goes on the wire, and what identifies the work in the ledger.

    A local file is not hashed here: `hashed` does it when the ledger needs the hash before the upload, else
    the upload hashes it as it goes (core/submission.py).
    """

    source: Source
    path: Path | None  # the file to upload (None: a URL)
    upload_name: str
    recorded: str  # the source as the ledger records it: resolved path, URL, or "stdin"
    identity: str | None  # "sha256:<hex>" or "url:<url>"; None: a file not hashed yet
    size: int | None
    sha256: str | None
    audio_prep: str = "lossless"  # what audio preparation makes of a local file before it is sent
    stamp: tuple[int, ...] | None = None  # the file as it was before it was hashed (core/files.stamp_of)


def audio_identity(sha256: str, path: Path, audio_prep: str) -> str:
    """The ledger's name for the audio a job heard: the source's bytes, and `compact` when it heard them as
    16 kHz FLAC. `off` and `lossless` send the very same samples, so a job made under one serves the other,
    as does a compact run that sends them too (compressed audio smaller than 16 kHz FLAC would be)."""
    from stt_cli.core.media.upload import compact_audio  # start-up: `stt run --help` loads sources, not ffmpeg's

    return f"sha256:{sha256}" + ("+compact" if compact_audio(path, audio_prep) else "")


class Identities:
    """The ledger identity of each local file of one run, worked out once: planning asks for it where an output
    exists already (to know whether that file is this work's), obtaining before its claim. A file changed since
    (another inode, size or time) is worked out again."""

    def __init__(self, audio_prep: str) -> None:
        self.audio_prep = audio_prep
        self._known: dict[tuple[int, ...], tuple[str, str]] = {}  # file as it was -> (sha256, identity)
        self._lock = threading.Lock()  # a batch's workers ask too

    def known(self, path: Path) -> tuple[str, str] | None:
        """The sha256 and identity worked out already for this file as it is now, or None."""
        from stt_cli.core.files import unchanged_key  # lazy for start-up: stt run --help

        with self._lock:
            return self._known.get(unchanged_key(path))

    def of(self, path: Path) -> tuple[str, str]:
        """The file's sha256 and ledger identity, read and worked out now unless known already."""
        from stt_cli.core.files import file_sha256, unchanged_key  # lazy for start-up: stt run --help

        key = unchanged_key(path)
        with self._lock:
            found = self._known.get(key)
        if found is None:
            sha256 = file_sha256(path)
            found = (sha256, audio_identity(sha256, path, self.audio_prep))
            with self._lock:
                self._known[key] = found
        return found


@contextlib.contextmanager
def prepare(
    source: Source, max_size: int | None = None, audio_prep: str = "lossless", identities: Identities | None = None
) -> Iterator[Prepared]:
    """A file as it is (hashed later, see `hashed`, unless this run knows its identity already), stdin spooled
    and hashed, a URL as it is."""
    if source.kind == "url":
        yield Prepared(source, None, "", source.label, f"url:{source.raw}", None, None)
        return
    if source.kind == "stdin":
        with spooled_stdin(max_size) as (path, digest):
            identity = audio_identity(digest, path, audio_prep)
            yield Prepared(source, path, "stdin.audio", "stdin", identity, path.stat().st_size, digest, audio_prep)
        return
    assert source.path is not None
    try:
        info = source.path.stat()
        known = identities.known(source.path) if identities is not None else None
    except OSError as exc:
        raise local_failure(exc, f"read {source.raw}", "check that the file is still there and readable") from None
    from stt_cli.core.files import stamp_of  # lazy for start-up: stt run --help

    sha256, identity_known = known if known is not None else (None, None)  # None: hashed when obtaining asks
    yield Prepared(source, source.path, source.path.name, str(source.path.resolve()), identity_known, info.st_size,
                   sha256, audio_prep, stamp_of(info))  # fmt: skip


def hashed(prepared: Prepared, identities: Identities | None = None) -> Prepared:
    """The file's sha256 read now and its ledger identity with it, through this run's `identities` when given
    (a URL, stdin or a hashed file: unchanged)."""
    if prepared.identity is not None or prepared.path is None:
        return prepared
    from stt_cli.core.files import stamp_of  # lazy for start-up: stt run --help

    source = prepared.source
    try:
        info = prepared.path.stat()  # before the hash: a change from here on is seen after the upload
        digest, identity = (identities or Identities(prepared.audio_prep)).of(prepared.path)
    except OSError as exc:
        raise local_failure(exc, f"read {source.raw}", "check that the file is still there and readable") from None
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted while reading {source.label}; nothing was sent, no job was created") from None
    return prepared._replace(identity=identity, size=info.st_size, sha256=digest, stamp=stamp_of(info))


# What a recursive walk picks up: the audio and video files the service is likely to take.
MEDIA_EXTENSIONS = frozenset(
    {
        ".wav", ".wave", ".mp3", ".m4a", ".mp4", ".aac", ".flac", ".ogg", ".oga", ".opus", ".webm", ".mka",
        ".mkv", ".mov", ".avi", ".wma", ".wmv", ".amr", ".aiff", ".aif", ".caf", ".3gp", ".mpga", ".mpeg",
        ".mpg", ".m4v", ".ts", ".mts", ".spx",
    }
)  # fmt: skip


def read_list(path: str) -> list[str]:
    """Sources from a list file (one a line; blank lines and # comments skipped), `-` for stdin."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
        text = text.removeprefix("\ufeff")  # a byte-order mark is no part of the first source
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the list {path}: {exc}", "give a text file with one source a line") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def expand(raw: Iterable[str], recursive: bool) -> list[Source]:
    """Paths, URLs and `-` as Sources; directories walked for media files when recursive; duplicates once."""
    sources: dict[str, Source] = {}
    for item in raw:
        if recursive and _is_directory(item):
            found = sorted(
                p for p in user_path(item).rglob("*") if p.suffix.lower() in MEDIA_EXTENSIONS and p.is_file()
            )
            if not found:
                raise UsageError(f"{item} holds no audio or video files", "point at the folder with the recordings")
            for file in found:
                sources.setdefault(str(file.resolve()), parse_source(str(file)))
            continue
        source = parse_source(item)
        key = str(source.path.resolve()) if source.path is not None else source.raw
        sources.setdefault(key, source)  # a source listed twice (stdin included) is transcribed once
    return list(sources.values())


def _is_directory(item: str) -> bool:
    return item != "-" and "://" not in item and "\x00" not in item and user_path(item).is_dir()


def recorded_source(source: Source) -> str:
    """The source as the ledger records it (jobs and output files): resolved path, URL, or "stdin"."""
    return str(source.path.resolve()) if source.path is not None else source.label


def collect_sources(raw: list[str] | None, limits: SourceOptions, warn: Callable[[str], None]) -> list[Source]:
    """Every source checked before anything is sent; a file that does not look like media is only warned of."""
    items = list(raw or [])
    if limits.from_file is not None:
        if limits.from_file == "-" and "-" in items:
            raise UsageError("stdin cannot be both a source (-) and the {opt:from_file} list", fix=Fix.PICK_ONE)
        items += read_list(limits.from_file)
    if not items:
        raise UsageError("no sources given", fix=Fix.SOURCES)
    sources = expand(items, limits.recursive)
    for source in sources:
        check_size(source, limits.max_size)
        if source.path is not None:
            with source.path.open("rb") as handle:
                head = handle.read(HEAD_BYTES)
            if not looks_like_media(head):
                warn(f"{source.raw} does not look like audio or video; sending it anyway (the service decides)")
    return sources
