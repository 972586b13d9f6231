"""The use cases, free of UI: read sources, submit jobs, wait for them, fetch results, keep the ledger."""

from __future__ import annotations

import contextlib
import mimetypes
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from stt_cli.config import host_of
from stt_cli.errors import Interrupted, JobFailed, StillPending, UsageError
from stt_cli.ledger import keep_in_ledger
from stt_cli.protocol import JobState, OptionValue, Status, form_fields

if TYPE_CHECKING:
    from stt_cli.client import ApiClient, Progress
    from stt_cli.ledger import Ledger

# --- The poll schedule: fast at first (short clips finish in seconds), then in proportion to the wait ----
# Polls at 0.5, 1, 1.5, 2, 3, 4, 5, 6, 7.2, 8.6 s, ... : 10 in the first 10 s, 26 in the first 2 minutes,
# and a result is seen at most a fifth of the time already waited after it is ready (bench/run.py ttr).
EARLY_POLL_GAP = 0.5  # s, for the first...
EARLY_POLL_SPAN = 2.0  # ...2 s
POLL_GAP_MIN = 1.0  # s; after that, gaps of a fifth of the time waited so far, at least 1 s...
POLL_GAP_SHARE = 0.2
# ...and at most --poll-interval (settings.DEFAULT_POLL_INTERVAL)
STDIN_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """A SOURCE argument: a local file, stdin (`-`) or a URL the service fetches itself."""

    raw: str
    kind: str  # "file" | "stdin" | "url"
    path: Path | None = None

    @property
    def label(self) -> str:
        return "stdin" if self.kind == "stdin" else self.raw

    @property
    def stem(self) -> str:
        if self.kind == "url":
            name = Path(urlsplit(self.raw).path).stem
            return name or "transcript"
        if self.kind == "stdin":
            return "stdin"
        assert self.path is not None
        return self.path.stem


def parse_source(raw: str) -> Source:
    """Check a SOURCE before anything is sent: an URL, `-`, or a readable, non-empty regular file."""
    if raw == "-":
        return Source(raw, "stdin")
    if not raw.strip() or "\x00" in raw:
        raise UsageError(f"{raw!r} is not a file name or URL", "pass a path, an http(s) URL or -")
    lowered = raw.lower()
    if lowered.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        if not parts.hostname:
            raise UsageError(f"the source URL {raw!r} has no host", "give a full http(s):// URL")
        return Source(raw, "url")
    if "://" in raw:
        raise UsageError(
            f"the source {raw!r} is not a local file or an http(s) URL", "the service fetches http(s) only"
        )
    path = Path(raw).expanduser()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UsageError(f"no such file: {raw}", "check the path, or pass - to read audio from stdin") from None
    except OSError as exc:
        raise UsageError(f"cannot access {raw}: {exc.strerror}", "check the path and its permissions") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{raw} is a directory, not an audio file", "pass --recursive to transcribe the media in it")
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{raw} is not a regular file", "save the audio to a file, or pipe it in with -")
    if info.st_size == 0:
        raise UsageError(f"{raw} is empty", "check that the recording finished writing")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{raw} is not readable", f"check its permissions (ls -l {raw})")
    return Source(raw, "file", path)


def content_type_for(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


# Leading bytes of the containers the service may accept (audio and video); anything else earns a warning.
MEDIA_SIGNATURES = (
    (0, b"RIFF"),
    (0, b"ID3"),
    (0, b"fLaC"),
    (0, b"OggS"),
    (4, b"ftyp"),
    (0, b"\x1a\x45\xdf\xa3"),
    (0, b"#!AMR"),
    (0, b"FORM"),
    (0, b".snd"),
    (0, b"MThd"),
    (0, b"\x30\x26\xb2\x75"),
    (0, b"caff"),
)


def looks_like_media(head: bytes) -> bool:
    """True when the first bytes match a known audio/video container, or an MPEG/AAC frame sync."""
    if any(head[offset : offset + len(magic)] == magic for offset, magic in MEDIA_SIGNATURES):
        return True
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0


def check_size(source: Source, max_size: int | None) -> None:
    if max_size is not None and source.path is not None and source.path.stat().st_size > max_size:
        size = source.path.stat().st_size
        raise UsageError(
            f"{source.raw} is {size:,} bytes, over the --max-size of {max_size:,}", "raise --max-size, or leave it out"
        )


@contextlib.contextmanager
def spooled_stdin(max_size: int | None = None) -> Iterator[Path]:
    """Stdin copied to a private temp file (0600) so the upload has a known length; removed afterwards."""
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None or sys.stdin.isatty():
        raise UsageError("SOURCE is - but stdin is a terminal", "pipe the audio in: cat talk.wav | stt run -")
    fd, name = tempfile.mkstemp(prefix="stt-stdin-", suffix=".audio")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            copied = 0
            while chunk := stream.read(STDIN_CHUNK):
                copied += len(chunk)
                if max_size is not None and copied > max_size:
                    raise UsageError(f"stdin is over the --max-size of {max_size:,} bytes", "raise --max-size")
                handle.write(chunk)
        if path.stat().st_size == 0:
            raise UsageError("stdin was empty", "pipe the audio in: cat talk.wav | stt run -")
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


@dataclass(frozen=True)
class Submitted:
    generation_id: str
    source: Source


def submit(
    client: ApiClient,
    ledger: Ledger,
    source: Source,
    model: str,
    options: dict[str, OptionValue],
    progress: Progress | None = None,
    max_size: int | None = None,
) -> Submitted:
    """Create one job and record it in the ledger; the id is returned the moment the service gives it."""
    from stt_cli.client import UploadFile

    host = host_of(client.base_url)
    try:
        if source.kind == "url":
            created = client.create_from_url({"model": model, "url": source.raw, **options})
        else:
            with contextlib.ExitStack() as stack:
                path = source.path if source.kind == "file" else stack.enter_context(spooled_stdin(max_size))
                assert path is not None
                name = path.name if source.kind == "file" else "stdin.audio"
                upload = UploadFile(path, name, content_type_for(name))
                fields = form_fields({"model": model, **options})
                created = client.create_from_file(upload, fields, progress)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted while sending {source.label}; no job was created") from None
    recorded = str(source.path.resolve()) if source.path is not None else source.label
    job_id = created.generation_id
    keep_in_ledger(job_id, ledger.add, job_id, host, recorded, model, dict(options), created.size, created.sha256)
    return Submitted(created.generation_id, source)


def poll_delays(poll_interval: float) -> Iterator[float]:
    """The gaps between polls: every half second for 2 s, then a fifth of the wait so far, capped at poll_interval."""
    waited = 0.0
    while True:
        early = waited < EARLY_POLL_SPAN - 1e-9
        delay = min(EARLY_POLL_GAP if early else max(POLL_GAP_MIN, POLL_GAP_SHARE * waited), poll_interval)
        waited += delay
        yield delay


def wait(
    client: ApiClient,
    ledger: Ledger,
    job_id: str,
    *,
    timeout: float,
    poll_interval: float,
    on_status: Callable[[JobState], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    no_wait: bool = False,
    fresh: bool = False,
) -> dict[str, Any]:
    """Poll until the job completes (its payload), fails (JobFailed) or the deadline passes (StillPending).

    A job known to be running is asked at once; a `fresh` one (just created) only after the first gap.
    """
    host = host_of(client.base_url)
    deadline = clock() + timeout if timeout > 0 else None
    delays = poll_delays(poll_interval)
    warned: set[str] = set()
    last_recorded: str | None = None
    try:
        if fresh:
            first = next(delays)
            sleep(first if deadline is None else max(0.0, min(first, deadline - clock())))
        while True:
            state = client.get_job(job_id)
            if on_status is not None:
                on_status(state)
            if state.status is Status.UNKNOWN and state.raw_status not in warned:
                warned.add(state.raw_status)
                from stt_cli.output import warn

                warn(f"the service reported an unknown status {state.raw_status!r}; still waiting")
            if state.status is Status.COMPLETED:
                if state.payload is None:
                    raise JobFailed(f"job {job_id} completed without a result", "see the raw answer: stt status --json")
                keep_in_ledger(job_id, ledger.update, job_id, host, status=Status.COMPLETED.value, result=state.payload)
                return state.payload
            if state.status is Status.FAILED:
                message = state.error or f"status {state.raw_status}"
                keep_in_ledger(job_id, ledger.update, job_id, host, status=Status.FAILED.value, error=message)
                from stt_cli.protocol import sanitize

                raise JobFailed(
                    f"job {job_id} failed on the server: {sanitize(message)}",
                    "check the source and options, then submit again",
                )
            if state.status.shown != last_recorded:
                shown = state.status.shown
                keep_in_ledger(job_id, ledger.update, job_id, host, status=shown)
                last_recorded = state.status.shown
            if no_wait:
                raise StillPending(f"job {job_id} is still {state.status.shown}", f"fetch it later: stt fetch {job_id}")
            delay = next(delays)
            if deadline is not None:
                remaining = deadline - clock()
                if remaining <= 0:
                    raise StillPending(
                        f"gave up waiting after {timeout:g} s; job {job_id} is still {state.status.shown}",
                        f"resume with: stt fetch {job_id}",
                    )
                delay = min(delay, remaining)
            sleep(delay)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; job {job_id} goes on running on the server", f"resume with: stt fetch {job_id}"
        ) from None
