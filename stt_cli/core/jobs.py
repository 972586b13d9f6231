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
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from stt_cli.api.wire import JobState, OptionValue, Status, form_fields
from stt_cli.core.config import host_of
from stt_cli.core.ledger import keep_in_ledger
from stt_cli.errors import (
    Interrupted,
    JobFailed,
    ServerError,
    StillPending,
    SttError,
    UsageError,
    command_line,
    path_word,
)

if TYPE_CHECKING:
    from stt_cli.api.client import ApiClient, Progress
    from stt_cli.core.ledger import JobRecord, Ledger

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
    from stt_cli.core.files import utf8_name

    utf8_name(raw, "source")
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
        raise UsageError(
            f"{raw} is not readable", f"check its permissions ({command_line('ls', '-l', path_word(raw))})"
        )
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


SPOOL_PREFIX = "stdin-"


def spool_dir() -> Path:
    from stt_cli.core.config import cache_dir

    return cache_dir() / "spool"


@contextlib.contextmanager
def spooled_stdin(max_size: int | None = None) -> Iterator[tuple[Path, str]]:
    """Stdin copied to a private file in stt's cache dir (0600 in 0700), so the upload has a known length.

    Yields the path and the sha256 of the bytes; the file is removed afterwards, and the spools of killed
    processes are swept the next time one is made.
    """
    import hashlib

    from stt_cli.core.files import sweep_temp_files
    from stt_cli.errors import local_failure

    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None or sys.stdin.isatty():
        raise UsageError("SOURCE is - but stdin is a terminal", "pipe the audio in: cat talk.wav | stt run -")
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
                        raise UsageError(f"stdin is over the --max-size of {max_size:,} bytes", "raise --max-size")
                    digest.update(chunk)
                    handle.write(chunk)
        except OSError as exc:
            raise local_failure(exc, f"spool stdin in {directory}") from None
        except KeyboardInterrupt:
            raise Interrupted("interrupted while reading stdin; no job was created") from None
        if path.stat().st_size == 0:
            raise UsageError("stdin was empty", "pipe the audio in: cat talk.wav | stt run -")
        yield path, digest.hexdigest()
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


class Prepared(NamedTuple):
    """A source ready to send: what goes on the wire, and what identifies the work in the ledger."""

    source: Source
    path: Path | None  # the file to upload (None: a URL)
    upload_name: str
    recorded: str  # the source as the ledger records it: resolved path, URL, or "stdin"
    identity: str  # "sha256:<hex>" or "url:<url>"
    size: int | None
    sha256: str | None


@contextlib.contextmanager
def prepare(source: Source, max_size: int | None = None) -> Iterator[Prepared]:
    """Hash a file (the ledger matches work by its bytes), or spool and hash stdin; a URL as it is."""
    from stt_cli.core.files import file_sha256
    from stt_cli.errors import local_failure

    if source.kind == "url":
        yield Prepared(source, None, "", source.raw, f"url:{source.raw}", None, None)
        return
    if source.kind == "stdin":
        with spooled_stdin(max_size) as (path, digest):
            yield Prepared(source, path, "stdin.audio", "stdin", f"sha256:{digest}", path.stat().st_size, digest)
        return
    assert source.path is not None
    try:
        digest = file_sha256(source.path)
        size = source.path.stat().st_size
    except OSError as exc:
        raise local_failure(exc, f"read {source.raw}", "check that the file is still there and readable") from None
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted while reading {source.label}; nothing was sent, no job was created") from None
    yield Prepared(source, source.path, source.path.name, str(source.path.resolve()), f"sha256:{digest}", size, digest)


@dataclass(frozen=True)
class Obtained:
    """The job for a source: reused from the ledger (its record), or created now."""

    generation_id: str
    record: JobRecord | None = None

    @property
    def reused(self) -> bool:
        return self.record is not None


class ObtainHooks(Protocol):
    """What the use case tells whoever shows progress (a terminal view, or nothing)."""

    def note(self, message: str) -> None: ...

    def uploading(self) -> contextlib.AbstractContextManager[Progress | None]: ...

    def sent(self) -> None:
        """The whole request has gone out: from here on, a job may exist whatever happens."""


CLAIM_POLL = 0.2  # s between looks at the ledger while another stt creates the same job


def obtain(
    client: ApiClient,
    ledger: Ledger,
    prepared: Prepared,
    model: str,
    options: dict[str, OptionValue],
    hooks: ObtainHooks,
    *,
    resubmit: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> Obtained:
    """The job for this work: the ledger's, or the one another stt is creating right now, or a new one.

    The claim is written to the ledger before the upload starts, so a create that is interrupted or killed
    after its body went out is found by the next run, which sends the same Idempotency-Key again.
    """
    from stt_cli.api.client import UploadFile
    from stt_cli.core.ledger import Busy, Reuse, Work
    from stt_cli.errors import OutcomeUnknown

    host = host_of(client.base_url)
    work = Work(prepared.recorded, prepared.identity, model, dict(options), prepared.size, prepared.sha256)
    label = prepared.source.label
    waited = False
    while True:
        decision = ledger.claim(host, work, resubmit=resubmit)
        if isinstance(decision, Reuse):
            return Obtained(decision.record.id, decision.record)
        if not isinstance(decision, Busy):
            break
        if not waited:
            who = (
                "this batch" if decision.owner == ledger.owner else f"another stt (pid {decision.owner.split('-')[0]})"
            )
            hooks.note(f"{who} is creating the job for the same audio as {label}; waiting to use it")
            waited = True
        sleep(CLAIM_POLL)
    key = decision.idempotency_key
    if decision.resumed is not None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(decision.resumed.started_at))
        hooks.note(
            f"an earlier create of {label} ({when}) may have reached the service; sending it again with the same "
            f"Idempotency-Key {key}, so the service can answer with that job (--resubmit starts afresh)"
        )
    sent_whole = False

    def on_sent() -> None:
        nonlocal sent_whole
        sent_whole = True
        hooks.sent()

    what = f"{label} (sha256 {prepared.sha256})" if prepared.sha256 else label
    rerun = (
        f"run the same command again: it sends the same Idempotency-Key ({key}), so a service that honours it "
        "bills once; --resubmit starts afresh"
    )
    try:
        if prepared.path is None:
            created = client.create_from_url({"model": model, "url": prepared.source.raw, **options}, key, on_sent)
        else:
            with hooks.uploading() as progress:
                upload = UploadFile(
                    prepared.path, prepared.upload_name, content_type_for(prepared.upload_name), upload_field(model)
                )
                created = client.create_from_file(upload, form_fields({"model": model, **options}), key, progress,
                                                  on_sent)  # fmt: skip
    except OutcomeUnknown as exc:
        ledger.mark_unknown(key)
        raise OutcomeUnknown(
            f"{what}: {exc.message}; the ledger keeps this create", rerun, exc.idempotency_key
        ) from None
    except KeyboardInterrupt:
        if sent_whole or decision.resumed is not None:
            ledger.mark_unknown(key)
            raise Interrupted(
                f"interrupted after {what} was sent; the job may exist on the service (Idempotency-Key {key})", rerun
            ) from None
        ledger.release(key)
        raise Interrupted(f"interrupted while sending {label}; no job was created") from None
    except BaseException as exc:
        answered = getattr(exc, "server_answered", False)  # a 4xx or 5xx: the service made no job
        if decision.resumed is not None or (sent_whole and not answered):
            ledger.mark_unknown(key)  # an earlier try, or this one, may have made the job: keep the key
        else:
            ledger.release(key)
        raise
    if created.sha256 is not None and created.sha256 != prepared.sha256:  # the file changed since it was hashed
        hooks.note(f"{label} changed while it was read; the job is recorded for the bytes that were sent")
        work = work._replace(identity=f"sha256:{created.sha256}", sha256=created.sha256)
    try:
        other = ledger.settle(key, created.generation_id, host, work)
    except SttError as exc:  # the job exists whatever the ledger says
        hooks.note(f"job {created.generation_id} is fine, but the ledger could not record it: {exc.message}")
        other = None
    if other is not None:
        raise ServerError(
            f"the service answered with job {created.generation_id} for {label}, an id it gave before for "
            f"{other}; stt keeps the first and did not use this one",
            "check the base URL (--base-url / AIML_API_BASE): this does not answer like the service",
        )
    return Obtained(created.generation_id)


def upload_field(model_id: str) -> str:
    """The form field of the audio for this model (the catalogue's choice: `file` for gpt-4o, else `audio`)."""
    from stt_cli.api.catalogue import DEFAULT_UPLOAD_FIELD, model

    entry = model(model_id)
    return entry.upload_field if entry is not None else DEFAULT_UPLOAD_FIELD


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

    A job known to be running is asked at once; a `fresh` one (just created) only after the first gap. The
    deadline also ends a status request in flight. A job the service no longer knows is marked gone in the
    ledger (JobGone is raised).
    """
    from stt_cli.api.client import JobGone, OutOfTime
    from stt_cli.errors import fetch_hint

    host = host_of(client.base_url)
    deadline = clock() + timeout if timeout > 0 else None
    delays = poll_delays(poll_interval)
    warned: set[str] = set()
    last_recorded: str | None = None
    shown = "submitted"

    def gave_up() -> StillPending:
        return StillPending(f"gave up waiting after {timeout:g} s; job {job_id} is still {shown}", fetch_hint(job_id))

    try:
        if fresh:
            first = next(delays)
            sleep(first if deadline is None else max(0.0, min(first, deadline - clock())))
        while True:
            until = None if deadline is None else time.monotonic() + (deadline - clock())
            try:
                state = client.get_job(job_id, until=until)
            except OutOfTime:
                raise gave_up() from None
            except JobGone:
                keep_in_ledger(job_id, ledger.mark_gone, job_id, host)
                raise
            if on_status is not None:
                on_status(state)
            if state.status is Status.UNKNOWN and state.raw_status not in warned:
                warned.add(state.raw_status)
                from stt_cli.cli.output import warn

                warn(f"the service reported an unknown status {state.raw_status!r}; still waiting")
            if state.status is Status.COMPLETED:
                if state.payload is None:
                    raise ServerError(
                        f"the service says job {job_id} completed but sent no result",
                        f"try again in a moment: {command_line('stt', 'fetch', job_id)}",
                    )
                keep_in_ledger(job_id, ledger.update, job_id, host, status=Status.COMPLETED.value, result=state.payload)
                return state.payload
            if state.status is Status.FAILED:
                message = state.error or f"status {state.raw_status}"
                keep_in_ledger(job_id, ledger.update, job_id, host, status=Status.FAILED.value, error=message)
                raise JobFailed(
                    f"job {job_id} failed on the server: {message}",
                    "check the source and options, then submit again",
                )
            shown = state.status.shown
            if shown != last_recorded:
                keep_in_ledger(job_id, ledger.update, job_id, host, status=shown)
                last_recorded = shown
            if no_wait:
                raise StillPending(
                    f"job {job_id} is still {shown}", f"fetch it later: {command_line('stt', 'fetch', job_id)}"
                )
            delay = next(delays)
            if deadline is not None:
                remaining = deadline - clock()
                if remaining <= 0:
                    raise gave_up()
                delay = min(delay, remaining)
            sleep(delay)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; job {job_id} goes on running on the server", fetch_hint(job_id)) from None
