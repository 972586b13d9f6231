"""A local stand-in of the speech-to-text API (stdlib only): both endpoints, streaming uploads, fault injection.

Control endpoints under /_emulator/ let tests and users' CI script faults and inspect requests:
  POST /_emulator/faults     {"endpoint": "create"|"poll", "responses": [{"status", "headers", "body",
                              "delay", "action": "close"|"truncate"|"malformed"|"redirect"|"stall"|"reset"|"pass"}]}
                             close: drop the connection after reading the request; truncate: a body shorter than
                             its Content-Length; stall: stop reading the upload for `delay` s, then serve it (or answer
                             `status` if given); reset: read
                             `after_bytes` of the upload, then reset; pass: let one request through untouched
  POST /_emulator/next-job   {"fail": "message", "processing_time": 2.0, "charge_on": "every"|"create"|"completed"}
                             (applies to the next created job; charge_on: which answers carry its cost headers)
  POST /_emulator/expire     {"generation_id": "..."}                       (its result is now gone: 404)
  POST /_emulator/advance    {"seconds": 30}          (the emulator's clock jumps ahead: pending jobs finish sooner)
  POST /_emulator/models     {"id": "elevenlabs/scribe_v2", "fields": {name: JSON schema} | null}: a model the
                             service has and stt's catalogue lacks (null: no published schema, fields unchecked);
                             kept across a reset, like the emulator's other settings
  POST /_emulator/reset      forget jobs, faults and the request log
  GET  /_emulator/requests   the request log, oldest first; a create's entry names its model (the id an alias
                             stands for; model_requested: the name as sent), its options, form_fields (an upload's
                             field names as sent: tag[] for a list), its upload's filename, content_type, size and
                             sha256, received_path: its copy under --keep-uploads, and the audio's duration with
                             its duration_source (wav, flac, ffprobe, guess, url); bounded (reqlog.py): the
                             X-Requests-Dropped header counts the oldest dropped
  GET  /_emulator/info       {"emulator": "stt", "version", "pid", "base_url", "accepts_any_key",
                             "requests_dropped"}: what `stt emulator --detach` and `--stop` ask to know an stt
                             emulator holds a port
  POST /_emulator/prove      {"challenge": hex} -> {"proof": hex}: that it knows its user's secret (proof.py)
  POST /_emulator/shutdown   answers {"ok": true, "pid"}, then the server stops serving and `stt emulator`
                             exits 0 (`stt emulator --stop`)

The API's answers carry the provider's tracing and cost headers (pricing.py): x-inference-id (the generation
id), x-client-request-id (a valid X-Client-Request-Id echoed), x-aimlapi-credits-used and x-aimlapi-usd-spent
(the job's seconds of audio at --price-per-second). GET /v1/models and GET /model/{id} list the built-in
catalogue in the shape of the provider's model list, with prices, ETags and filters.

With a local engine (--engine pocketsphinx, emulator/local.py), an upload is kept on disk and decoded by
a worker process while its job is `active`; the job completes when its words are known.

Every request, to these and to the API alike, passes guard.py first: none from a web page (an Origin, fetch
metadata, a preflight, a Host that is not this machine's), none from another local user. Answers never carry
CORS headers (a fault's are dropped). The control endpoints add plane.py's rules: a loopback Host, JSON bodies
only, the emulator's key when it has one; and their bodies are checked before anything changes.

A malformed request (a bad Content-Length or chunk size, a body of the wrong shape) gets a 400 and nothing is
printed; an error of the emulator's own is one line on stderr, never a traceback. No lock is held while a
client's socket is written to.

With a bandwidth (--bandwidth), request bodies are read no faster than that, all connections together: one
user's uplink. Answers are not slowed, nor the bodies sent to /_emulator/.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote

from stt_cli import __version__
from stt_cli.api.catalogue import family_of
from stt_cli.api.cost import is_client_request_id
from stt_cli.api.wire import EMULATOR_ENGINE_HEADER, is_valid_id
from stt_cli.emulator import guard, plane, pricing, proof
from stt_cli.emulator.decoding import remove
from stt_cli.emulator.engines import PLACEHOLDER, Heard
from stt_cli.emulator.fields import ExtraModels, add_form_field, new_job_id, problems, resolve_model
from stt_cli.emulator.folders import UnsafeFolder, private_folder
from stt_cli.emulator.local import DEFAULT_MAX_AUDIO, MAX_COPY, LocalEngine
from stt_cli.emulator.reqlog import RequestLog, as_json_list, cut
from stt_cli.emulator.results import AudioInfo, audio_info, build_result, length_in_header, url_info
from stt_cli.emulator.tls import secure, server_context
from stt_cli.emulator.workers import Task

API_PREFIX = "/v1"
READ_CHUNK = 256 * 1024
HEAD_BYTES = 64 * 1024  # enough of a WAV or FLAC to read its header
MAX_PROBE_COPY = 512 * 1024 * 1024  # an upload copied for ffprobe (the temp folder may be in memory); longer: guessed
MAX_FIELD_BYTES = 64 * 1024
MAX_FORM_FIELDS = 1000  # the parts of one create; a schema has a few dozen fields, a list field repeats a few
MAX_PART_HEADERS = 16384
IDLE_SECONDS = 120.0  # a connection whose client sends or reads nothing for this long is closed
ERROR_PATH_CHARS = 2048  # of the path an error body echoes
MAX_JSON_BYTES = 1024 * 1024
MAX_CONTROL_DRAIN = 16 * 1024 * 1024  # of a control's body past an error, before its connection is closed
RESULT_TTL = 3600.0  # s: the service keeps finished results for one hour
BURST_BYTES = 64 * 1024  # the uplink's largest burst: 64 KiB...
BURST_SECONDS = 0.05  # ...or 50 ms of its rate, whichever is less
KEPT_EXTENSION = re.compile(r"[A-Za-z0-9]{1,5}")  # an upload's extension kept as it is (lower-cased), else .bin


@dataclass
class Job:
    generation_id: str
    created: float
    created_iso: str
    processing_time: float
    model: str
    options: dict[str, Any]
    info: AudioInfo
    fail: str | None = None
    expired: bool = False
    result: dict[str, Any] | None = None
    upload_path: str | None = None  # its upload's copy under --keep-uploads
    charge_on: str = "every"  # which of its answers carry its cost headers (pricing.CHARGE_ON)
    heard: Heard | None = None  # what the local engine heard, once it has
    decoding: str | None = None  # the local engine's: "waiting" for a worker, "running", None when done
    task: Task | None = None


@dataclass
class EmulatorState:
    processing_time: float
    api_key: str | None
    envelope: str
    clock: Callable[[], float] = time.monotonic
    skew: float = 0.0  # seconds added to the clock by /_emulator/advance
    jobs: dict[str, Job] = field(default_factory=dict)
    faults: dict[str, deque[dict[str, Any]]] = field(default_factory=lambda: {"create": deque(), "poll": deque()})
    next_job: dict[str, Any] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)
    requests: RequestLog = field(default_factory=RequestLog)
    lock: threading.Lock = field(default_factory=threading.Lock)
    uplink: Uplink | None = None  # --bandwidth: the pace of reading request bodies
    keep_uploads: Path | None = None  # --keep-uploads DIR (absolute)
    base_url: str = ""  # set once the socket is bound (its real port)
    listen_host: str = "127.0.0.1"  # the address it was asked to listen on (the Host check depends on it)
    extra_models: ExtraModels = field(default_factory=dict)  # models the service has and stt's list lacks
    price_per_second: Decimal = pricing.EMULATOR_PRICE_PER_SECOND  # USD, --price-per-second
    engine: LocalEngine = field(default_factory=lambda: LocalEngine(PLACEHOLDER))
    secret: bytes | None = None  # its user's secret, which /_emulator/prove answers with (proof.py)

    def now(self) -> float:
        return self.clock() + self.skew

    def status_of(self, job: Job) -> str:
        """The status words of the provider's documents: the page's loop (Whisper, Nova, AssemblyAI in
        envelope A) waits on `waiting` and `active`; the gpt-4o and MAI pages show `queued`; the fetch schema
        (envelope B) documents queued, generating, completed and error. A job the local engine decodes is
        pending until its words are known: `active` (generating) while a worker decodes it."""
        if job.decoding is not None:
            running = job.decoding == "running"
            if self.envelope == "b":
                return "generating" if running else "queued"
            if _text_only(job.model):
                return "queued"
            return "active" if running else "waiting"
        elapsed = self.now() - job.created
        if elapsed >= job.processing_time:
            return "error" if job.fail else "completed"
        early = elapsed < job.processing_time / 3
        if self.envelope == "b":
            return "queued" if early else "generating"
        if _text_only(job.model):
            return "queued"
        return "waiting" if early else "active"


def _text_only(model: str) -> bool:
    family = family_of(model)
    return family is not None and family.shape == "text"


@dataclass
class Upload:
    """The audio part of a create: what the request log tells of it, and its copy under --keep-uploads."""

    field: str
    filename: str
    content_type: str
    info: AudioInfo
    copy: KeptUpload | None = None
    form_names: tuple[str, ...] = ()  # the other parts' names as sent (tag[] for a list), in order
    stream: AudioStream | None = None  # where the local engine's copy of it is, until taken


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Uplink:
    """The one uplink all connections share (--bandwidth): a token bucket of `rate` bytes/s whose bursts are
    at most BURST_BYTES or BURST_SECONDS of the rate. Each read reserves its bytes, then waits until the
    bucket has carried them, so readers at once take turns and together get `rate`."""

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if not rate > 0:
            raise ValueError(f"a bandwidth must be more than 0 bytes/s, not {rate}")
        self.rate = float(rate)
        self.burst = max(1, min(BURST_BYTES, int(self.rate * BURST_SECONDS)))
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self, wanted: int) -> int:
        """Wait until the uplink has carried up to `wanted` bytes (one burst at most); how many it carried."""
        granted = min(wanted, self.burst)
        if granted <= 0:
            return wanted
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate) - granted
            self._stamp = now
            wait = -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return granted


def kept_name(job_id: str, filename: str) -> str:
    """An upload's name under --keep-uploads: <generation_id><ext>, its extension lower-cased when it is 1 to 5
    ASCII letters or digits, else .bin."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = base.rpartition(".")
    usable = dot and stem.strip(".") and KEPT_EXTENSION.fullmatch(extension)
    return job_id + (f".{extension.lower()}" if usable else ".bin")


class KeptUpload:
    """An upload written to --keep-uploads DIR as it arrives (never held whole): a temp file there, renamed
    into place once its job exists, removed when the request fails. Private: the folder is checked (made
    0700 again if it was removed meanwhile) and the file is 0600, only the user's."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path: Path | None = None
        self.temp = folder / f".upload-{secrets.token_hex(8)}.part"
        try:
            private_folder(folder)
            fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except UnsafeFolder as exc:
            raise HttpError(500, f"the emulator does not keep uploads there: {exc}") from None
        except OSError as exc:
            raise self._failure(exc) from None
        self._file: IO[bytes] | None = os.fdopen(fd, "wb")

    def _failure(self, exc: OSError) -> HttpError:
        return HttpError(500, f"the emulator cannot keep the upload in {self.folder}: {exc.strerror or exc}")

    def write(self, data: bytes) -> None:
        assert self._file is not None
        try:
            self._file.write(data)
        except OSError as exc:
            raise self._failure(exc) from None

    def close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                raise self._failure(exc) from None

    def keep(self, name: str) -> Path:
        """Rename the complete upload to DIR/name (atomic: a reader sees all of it or nothing)."""
        self.close()
        target = self.folder / name
        try:
            os.replace(self.temp, target)
        except OSError as exc:
            raise self._failure(exc) from None
        self.path = target
        return target

    def discard(self) -> None:
        """Remove the temp file (nothing once kept)."""
        if self.path is not None:
            return
        with contextlib.suppress(OSError):
            self.close()
        with contextlib.suppress(OSError):
            self.temp.unlink(missing_ok=True)


class ProbeCopy:
    """A temp copy of an upload for ffprobe to measure, removed once measured or when the request fails. Best
    effort: when it cannot be written (a full disk), it is dropped and the length is guessed instead."""

    def __init__(self, suffix: str) -> None:
        fd, name = tempfile.mkstemp(prefix="stt-emulator-probe-", suffix=suffix)
        self.path = Path(name)
        self._file: IO[bytes] | None = os.fdopen(fd, "wb")

    @classmethod
    def start(cls, suffix: str) -> ProbeCopy | None:
        try:
            return cls(suffix)
        except OSError:
            return None

    def write(self, data: bytes) -> bool:
        """Whether `data` was written; on failure the copy is gone."""
        assert self._file is not None
        try:
            self._file.write(data)
        except OSError:
            self.discard()
            return False
        return True

    def finish(self) -> str | None:
        """The complete copy's path, or None when it could not be written."""
        file, self._file = self._file, None
        try:
            if file is not None:
                file.close()
        except OSError:
            self.discard()
            return None
        return str(self.path)

    def discard(self) -> None:
        file, self._file = self._file, None
        with contextlib.suppress(OSError):
            if file is not None:
                file.close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


class AudioStream:
    """An upload's audio as it arrives, never held whole: hashed and counted, its first bytes kept (a WAV or
    FLAC header tells the length), written to --keep-uploads if asked, and else copied to a temp file for
    ffprobe when its first bytes do not tell its length (mp3, ogg, m4a...), ffprobe is installed and the
    upload is at most MAX_PROBE_COPY bytes."""

    def __init__(self, filename: str, kept: KeptUpload | None, for_engine: bool = False) -> None:
        self.filename = filename
        self.kept = kept
        self.for_engine = for_engine  # a local engine decodes it later: a copy is kept whatever its format
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.probe: ProbeCopy | None = None
        self._deciding = True  # until the head is full (or the upload ends): whether to copy it for ffprobe

    def add(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        if self.kept is not None:
            self.kept.write(data)
        if self._deciding:
            so_far = self.head + data  # all of it: the head was not full before
            self.head = so_far[:HEAD_BYTES]
            if len(so_far) >= HEAD_BYTES:
                self._decide(so_far)
        else:
            self._copy(data)

    def _decide(self, so_far: bytes) -> None:
        self._deciding = False
        measure = not length_in_header(self.head) and shutil.which("ffprobe") is not None
        if self.kept is None and (self.for_engine or measure):
            self.probe = ProbeCopy.start(kept_name("", self.filename))
            self._copy(so_far)

    def _copy(self, data: bytes) -> None:
        if self.probe is None:
            return
        if self.size > (MAX_COPY if self.for_engine else MAX_PROBE_COPY):
            self.discard_probe()
        elif not self.probe.write(data):
            self.probe = None

    def copy_to_measure(self) -> str | None:
        """Once all of it has arrived: the complete copy ffprobe may read (kept, or made for it), if any."""
        if self._deciding:
            self._decide(self.head)
        if self.kept is not None:
            self.kept.close()
            return str(self.kept.temp)
        return self.probe.finish() if self.probe is not None else None

    def info(self) -> AudioInfo:
        """What the upload is (its length read from its header, else by ffprobe on a copy, else guessed),
        once all of it has arrived."""
        try:
            return audio_info(self.head, self.size, self.digest.hexdigest(), self.copy_to_measure())
        finally:
            if not self.for_engine:
                self.discard_probe()

    def take_copy(self) -> str | None:
        """The complete copy for the local engine, now the caller's to remove (None: none could be kept)."""
        if self.kept is not None:
            return None
        probe, self.probe = self.probe, None
        return str(probe.path) if probe is not None else None

    def discard_probe(self) -> None:
        probe, self.probe = self.probe, None
        if probe is not None:
            probe.discard()

    def discard(self) -> None:
        """Remove whatever of it is on disk and not kept for its job."""
        self.discard_probe()
        if self.kept is not None:
            self.kept.discard()


CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")
CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")


class BodyReader:
    """The request body as a stream, whether sized by Content-Length or chunked; paced by the uplink if any.
    A framing that cannot be read (a Content-Length that is no number, or several that differ; a chunk size
    that is no hex number) is an HttpError 400, and the connection is closed after the answer."""

    def __init__(self, handler: BaseHTTPRequestHandler, uplink: Uplink | None = None) -> None:
        self._rfile = handler.rfile
        self._uplink = uplink
        self._handler = handler
        self._chunked = "chunked" in handler.headers.get("Transfer-Encoding", "").lower()
        lengths = {value.strip() for value in handler.headers.get_all("Content-Length") or []}
        self._remaining = 0
        self._chunk_left = 0
        self._done = True
        self.truncated = False
        if not self._chunked and lengths:
            length = lengths.pop()
            if lengths or not CONTENT_LENGTH.fullmatch(length):
                self._malformed("Bad Request: the Content-Length is not one whole number")
            self._remaining = int(length)
        self._done = not self._chunked and self._remaining == 0

    def _malformed(self, message: str) -> None:
        """The rest of the connection cannot be read as requests: answer, then close it."""
        self._done = True
        self._handler.close_connection = True
        raise HttpError(400, message)

    def read(self, size: int = READ_CHUNK) -> bytes:
        if self._done:
            return b""
        if not self._chunked:
            data = self._carried(min(size, self._remaining))
            self._remaining -= len(data)
            if not data and self._remaining:
                self.truncated = True
            if not data or self._remaining == 0:
                self._done = True
            return data
        if self._chunk_left == 0:
            line = self._rfile.readline(1024).strip()
            if not line:
                self._done = self.truncated = True
                return b""
            size_field = line.split(b";")[0].strip()
            if not CHUNK_SIZE.fullmatch(size_field):
                self._malformed("Bad Request: a chunk size is not a hex number")
            self._chunk_left = int(size_field, 16)
            if self._chunk_left == 0:
                while self._rfile.readline(1024).strip():
                    pass
                self._done = True
                return b""
        data = self._carried(min(size, self._chunk_left))
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._rfile.readline(8)
        if not data:
            self._done = self.truncated = True
        return data

    def _carried(self, size: int) -> bytes:
        """Up to `size` bytes of the body, once the uplink has carried them (at most one burst at a time)."""
        if self._uplink is not None:
            size = self._uplink.take(size)
        return self._rfile.read(size)

    def drain(self, limit: int | None = None) -> bool:
        """Read the rest of the body (at most `limit` bytes more): whether it came to its end."""
        read = 0
        while data := self.read():
            read += len(data)
            if limit is not None and read > limit:
                return False
        return True


def iter_multipart(read: Callable[[], bytes], boundary: bytes) -> Iterator[tuple[str, Any]]:
    """Stream a multipart body as events: ("part", headers), ("data", bytes)..., without holding it whole.
    Linear in the body's size however many parts it has: the buffer is read from an offset (`at`), and only
    what is left of it is copied when the next chunk arrives."""
    sep = b"\r\n--" + boundary
    keep = len(sep) - 1
    buf = b"\r\n"  # lets the first delimiter, which has no CRLF before it, match like the others
    at = 0  # where the unread part of buf begins
    eof = False

    def fill() -> None:
        nonlocal buf, at, eof
        chunk = read()
        if chunk:
            buf = buf[at:] + chunk
            at = 0
        else:
            eof = True

    while (index := buf.find(sep, at)) < 0:
        if eof:
            raise HttpError(400, "Body validation error! multipart body has no boundary")
        at = max(at, len(buf) - keep)
        fill()
    at = index + len(sep)
    while True:
        while len(buf) - at < 2 and not eof:
            fill()
        if buf.startswith(b"--", at):
            return
        while (end := buf.find(b"\r\n\r\n", at)) < 0:
            if eof or len(buf) - at > MAX_PART_HEADERS:
                raise HttpError(400, "Body validation error! malformed multipart headers")
            fill()
        headers: dict[str, str] = {}
        for line in buf[at:end].split(b"\r\n"):
            if b":" in line:
                name, value = line.split(b":", 1)
                headers[name.strip().lower().decode("latin-1")] = value.strip().decode("utf-8", "replace")
        at = end + 4
        yield "part", headers
        while True:
            index = buf.find(sep, at)
            if index >= 0:
                if index > at:
                    yield "data", buf[at:index]
                at = index + len(sep)
                break
            if len(buf) - at > keep:
                yield "data", buf[at : len(buf) - keep]
                at = len(buf) - keep
            if eof:
                raise HttpError(400, "Body validation error! multipart body is truncated")
            fill()


def _disposition(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in value.split(";")[1:]:
        if "=" in item:
            key, raw = item.strip().split("=", 1)
            params[key.lower()] = raw.strip().strip('"')
    return params


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # An answer goes out as its headers, then its body: with Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the headers, 40 ms on Linux, on every answer of a kept-alive connection.
    disable_nagle_algorithm = True
    server_version = "stt-emulator"
    state: EmulatorState  # set on the subclass made per server
    timeout = IDLE_SECONDS  # each read and write of a connection; a dead client frees its thread

    _peer_refusal: guard.Refusal | bool | None = False  # per connection, once known (False: not yet)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log at /_emulator/requests replaces the stderr chatter

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard server's own refusals (a request line or headers it cannot read, a method it does
        not serve) in the emulator's JSON error shape; the connection is closed after it."""
        # a request line it could not read is answered in HTTP/1.0, not as the bare body of HTTP/0.9
        if getattr(self, "request_version", "") in ("", "HTTP/0.9"):
            self.request_version = "HTTP/1.0"
        try:
            status = HTTPStatus(code)
            self._error(status.value, cut(message or status.phrase, 200), close=True)
        except (OSError, ValueError):
            self.close_connection = True

    def parse_request(self) -> bool:
        """The request line and headers, then guard.py's checks: a refused request is answered here, before
        any body is read or anything is logged, and its connection closed."""
        if not super().parse_request():
            return False
        refusal = self._refusal()
        if refusal is None:
            return True
        self.close_connection = True
        self._error(refusal.status, refusal.message, close=True)
        return False

    def _refusal(self) -> guard.Refusal | None:
        listen_host = self.state.listen_host
        refusal = guard.host_refusal(self.headers.get_all("Host") or [], listen_host) or guard.page_refusal(
            self.command, self.headers
        )
        if refusal is not None:
            return refusal
        if self._peer_refusal is False:
            try:
                peer, local = self.connection.getpeername(), self.connection.getsockname()
            except OSError:  # the client is gone already
                return guard.Refusal(403, "Forbidden: the connection was closed before the request was answered")
            self._peer_refusal = guard.peer_refusal(peer[:2], local[:2], listen_host)
        if isinstance(self._peer_refusal, guard.Refusal):
            return self._peer_refusal
        if plane.is_control(self.path):
            return plane.refusal(self.command, self.path, self.headers, self.state.api_key)
        return None

    # --- plumbing ------------------------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None, close: bool = False) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, close: bool = False) -> None:
        path = getattr(self, "path", "").split("?", 1)[0]  # none yet when the request line was unreadable
        polled = unquote(path.rsplit("/", 1)[1]) if self.command == "GET" and path.count("/") == 3 else None
        headers = self._trace_headers(polled) if path.startswith(f"{API_PREFIX}/stt") else None
        self._send(
            status,
            {
                "message": message,
                "path": cut(getattr(self, "path", ""), ERROR_PATH_CHARS),
                "requestId": str(uuid.uuid4()),
                "statusCode": status,
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            },
            headers,
            close=close,
        )

    def _trace_headers(self, job_id: str | None = None, answer: str | None = None) -> dict[str, str]:
        """The provider's tracing and cost headers for an answer about `job_id`: its inference id (the generation
        id; left out when the id polled is none the service could have issued), the client's request id echoed
        when valid, and the job's charge on the answers its `charge_on` says (`answer`: create, pending,
        completed or failed)."""
        headers: dict[str, str] = {}
        if job_id is not None and is_valid_id(job_id):
            headers["x-inference-id"] = job_id
        client_id = self.headers.get("X-Client-Request-Id")
        if client_id is not None and is_client_request_id(client_id):
            headers["x-client-request-id"] = client_id
        with self.state.lock:
            job = self.state.jobs.get(job_id) if job_id is not None and answer is not None else None
            if job is not None and answer is not None and pricing.carries_charge(job.charge_on, answer):
                headers.update(pricing.cost_headers(job.info.duration, self.state.price_per_second))
        return headers

    def _log(self, **extra: Any) -> int:
        entry = {
            "method": self.command,
            "path": self.path,
            "time": time.time(),
            "idempotency_key": self.headers.get("Idempotency-Key"),
            "client_request_id": self.headers.get("X-Client-Request-Id"),
            "user_agent": self.headers.get("User-Agent"),
            **extra,
        }
        with self.state.lock:  # its texts cut, the oldest entries dropped past the bounds; its number, which
            return self.state.requests.add(entry)  # update() takes to add what the answer was

    def _take_fault(self, endpoint: str) -> dict[str, Any] | None:
        with self.state.lock:
            queue = self.state.faults[endpoint]
            return queue.popleft() if queue else None

    def _play_fault(self, fault: dict[str, Any], body: BodyReader | None) -> None:
        action = fault.get("action")
        delay = float(fault.get("delay", 0))
        if action == "stall":  # stop reading the upload for a while: the client blocks mid-body
            time.sleep(delay)
            delay = 0.0
        if action == "reset":  # read part of the upload, then reset the connection: a failure mid-body
            left = int(fault.get("after_bytes", 64 * 1024)) if body is not None else 0
            while body is not None and left > 0 and (data := body.read(min(left, READ_CHUNK))):
                left -= len(data)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if body is not None:
            body.drain()
        time.sleep(delay)
        if action == "close":
            self.close_connection = True
            return
        status = int(fault.get("status", 500))
        headers = {  # no fault makes an answer readable by a web page
            str(k): str(v)
            for k, v in (fault.get("headers") or {}).items()
            if not str(k).lower().startswith("access-control-")
        }
        payload = fault.get("body", {"message": "Injected fault", "statusCode": status})
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        if action == "malformed":
            data = b'{"status": "compl'
        if action == "redirect":
            status = 302
            headers.setdefault("Location", "http://127.0.0.1:9/elsewhere")
        if action == "truncate":
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) + 100))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return
        self._send(status, data, headers)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        return self.state.api_key is None or secrets.compare_digest(token.strip(), self.state.api_key)

    # --- routes --------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        try:
            self._route_get()
        except HttpError as exc:
            self._error(exc.status, exc.message)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self) -> None:
        control = plane.is_control(self.path)  # the tests' own requests do not use the users' uplink
        body: BodyReader | None = None
        try:
            body = BodyReader(self, None if control else self.state.uplink)
            self._route_post(body)
        except HttpError as exc:
            # an upload's client reads the answer once it has sent all of it; a control's body is read on
            # for a while only, and a body that cannot be read not at all (the connection is closed instead)
            try:
                ended = (
                    body is not None
                    and not self.close_connection
                    and body.drain(MAX_CONTROL_DRAIN if control else None)
                )
            except HttpError:  # the rest of its framing is broken too
                ended = False
            if not ended:
                self.close_connection = True
            self._error(exc.status, exc.message, close=self.close_connection)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route_get(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_emulator/requests":
            with self.state.lock:  # the entries' JSON taken under the lock, written outside it: a client that
                pieces = self.state.requests.pieces()  # stops reading holds up no one else
                dropped = self.state.requests.dropped
            length, chunks = as_json_list(pieces)
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(length))
            self.send_header("X-Requests-Dropped", str(dropped))
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(chunk)
            return
        if path == "/_emulator/info":
            self._send(200, self._info())
            return
        if path in (f"{API_PREFIX}/models", "/models", "/api/v1/models") or path.startswith("/model/"):
            self._catalogue(path)
            return
        if not path.startswith(f"{API_PREFIX}/stt/") or path.count("/") != 3:
            raise HttpError(404, f"Cannot GET {cut(path)}")
        job_id = unquote(path.rsplit("/", 1)[1])
        if not self._authorised():
            self._log(generation_id=job_id, outcome=401)
            raise HttpError(401, "Unauthorized: a valid API key is required (Authorization: Bearer <key>)")
        entry = self._log(generation_id=job_id)
        fault = self._take_fault("poll")
        if fault is not None and fault.get("action") != "pass":
            self._play_fault(fault, None)
            return
        body = self._poll(job_id)
        with self.state.lock:  # what this poll answered, for tests of timing and concurrency
            self.state.requests.update(entry, status=body["status"])
        answer = {"completed": "completed", "error": "failed"}.get(body["status"], "pending")
        headers = self._trace_headers(job_id, answer)
        with self.state.lock:
            job = self.state.jobs.get(job_id)
            heard = job.heard if job is not None and answer == "completed" else None
        if heard is not None:  # the text-only shape has no room to say so (formats/placeholder.py)
            headers[EMULATOR_ENGINE_HEADER] = f"{heard.engine} {heard.version}"
        self._send(200, body, headers)

    def _catalogue(self, path: str) -> None:
        """GET /v1/models (also /models and /api/v1/models, as the page says) and GET /model/{id}: no key needed;
        an ETag on each, and 304 with no body when If-None-Match names it."""
        query = parse_qs(self.path.partition("?")[2])
        price = self.state.price_per_second
        if path.startswith("/model/"):
            name = unquote(path.removeprefix("/model/"))  # an id's slashes come as they are
            found = pricing.one_model(name, query, price)
            if found is None:
                self._log(kind="models", outcome=404)
                raise HttpError(404, f"Model {name} not found")
            body = found
        else:
            body = pricing.model_list(query, price)
        data = pricing.encoded(body)
        etag = pricing.etag_of(data)
        unchanged = pricing.matches(self.headers.get("If-None-Match"), etag)
        self._log(kind="models", outcome=304 if unchanged else 200, if_none_match=self.headers.get("If-None-Match"))
        if unchanged:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, data, {"ETag": etag})

    def _info(self) -> dict[str, Any]:

        return {
            "emulator": "stt",
            "version": __version__,
            "pid": os.getpid(),
            "base_url": self.state.base_url,
            "accepts_any_key": self.state.api_key is None,
            "requests_dropped": self.state.requests.dropped,
        }

    def _prove(self, data: Any) -> None:
        """POST /_emulator/prove: that this emulator knows its user's secret, for the port it was reached on."""
        if self.state.secret is None:
            raise HttpError(404, "this emulator has no secret to prove (it was not started by stt emulator)")
        challenge = data.get("challenge") if isinstance(data, dict) else None
        try:
            port = int(self.connection.getsockname()[1])
            answer = proof.answer(self.state.secret, challenge if isinstance(challenge, str) else "", port)
        except ValueError:
            raise HttpError(400, f"challenge must be {proof.CHALLENGE} bytes in hex") from None
        self._send(200, {"proof": answer})

    def _shutdown(self) -> None:
        """Answer, then stop serving (from another thread: shutdown() waits for the serving loop to end)."""
        self._send(200, {"ok": True, "pid": os.getpid()}, close=True)
        threading.Thread(target=self.server.shutdown, name="emulator-shutdown", daemon=True).start()

    def _poll(self, job_id: str) -> dict[str, Any]:
        state = self.state
        with state.lock:
            job = state.jobs.get(job_id)
            kept_until = job.created + job.processing_time + RESULT_TTL if job is not None else 0.0
            if job is None or job.expired or (job.decoding is None and state.now() > kept_until):
                raise HttpError(404, f"Generation {job_id} not found")
            status = state.status_of(job)
            if status == "completed" and job.result is None:
                job.result = build_result(
                    job.model, job.options, job.info, job.generation_id, job.created_iso, job.heard
                )
        payload = job.result if status == "completed" else None
        error = {"name": "GenerationError", "message": job.fail} if status == "error" else None
        if state.envelope == "b":
            return {"id": job_id, "status": status, "output": payload, "error": error}
        body: dict[str, Any] = {"generation_id": job_id, "status": status}
        if payload is not None:
            body["result"] = payload
        if error is not None:
            body["error"] = error["message"]
        return body

    def _route_post(self, body: BodyReader) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_emulator/shutdown":
            body.drain()
            self._shutdown()
            return
        if path == "/_emulator/prove":
            self._prove(self._read_json(body))
            return
        if path.startswith("/_emulator/"):
            self._control(path, self._read_json(body))
            return
        if path != f"{API_PREFIX}/stt/create":
            raise HttpError(404, f"Cannot POST {cut(path)}")
        try:
            self._create(body)
        except HttpError as exc:
            self._log(kind="create", outcome=exc.status, message=exc.message)
            raise

    def _create(self, body: BodyReader) -> None:
        if not self._authorised():
            raise HttpError(401, "Unauthorized: a valid API key is required (Authorization: Bearer <key>)")
        fault = self._take_fault("create")
        if fault is not None and fault.get("action") == "stall" and "status" not in fault:
            time.sleep(float(fault.get("delay", 0)))  # a slow reader, then the request is served as usual
            fault = None
        if fault is not None and fault.get("action") != "pass":
            self._log(kind="create", outcome="fault")
            self._play_fault(fault, body)
            return
        streams: list[AudioStream] = []  # what of them is on disk and not kept is removed before the answer
        try:
            status, answer = self._create_job(body, streams)
        finally:
            for stream in streams:
                stream.discard()
        self._send(status, answer, self._trace_headers(str(answer["generation_id"]), "create"))

    def _create_job(self, body: BodyReader, streams: list[AudioStream]) -> tuple[int, dict[str, Any]]:
        """The job for a create (made, or found by its Idempotency-Key): the answer's status and body."""
        content_type = self.headers.get("Content-Type", "")
        upload: Upload | None = None
        if content_type.startswith("multipart/form-data"):
            options, upload = self._read_upload(body, content_type, streams)
            info = upload.info
            source = "upload"
        elif content_type.startswith("application/json"):
            options = self._read_json(body)
            if not isinstance(options, dict):
                raise HttpError(400, "Body validation error! the body must be a JSON object")
            url = options.pop("url", None)
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise HttpError(400, "Body validation error!\nurl: a http(s) URL is required")
            info = url_info(url)
            source = url
        else:
            raise HttpError(400, "Body validation error! send multipart/form-data (audio) or application/json (url)")
        requested = options.pop("model", None)
        model = resolve_model(requested, self.state.extra_models) or requested  # an alias: its model
        self._validate(model, options, form=source == "upload")
        key = self.headers.get("Idempotency-Key")
        made = False
        with self.state.lock:
            if key and key in self.state.idempotency:
                job_id = self.state.idempotency[key]
            else:
                job_id = self._new_job(str(model), options, info)
                made = True
                if key:
                    self.state.idempotency[key] = job_id
            job = self.state.jobs[job_id]
        if upload is not None and upload.copy is not None and job.upload_path is None:
            kept = str(upload.copy.keep(kept_name(job_id, upload.filename)))  # a repeated key keeps the first
            with self.state.lock:
                job.upload_path = kept
        engine, notes = self._engine_job(job, upload) if made and upload is not None else (None, ())
        self._log(
            kind="create",
            outcome="created",
            generation_id=job_id,
            model=model,
            model_requested=requested,
            options=options,
            source=source,
            size=info.size,
            sha256=info.sha256,
            duration=info.duration,
            duration_source=str(info.duration_source),
            upload_field=upload.field if upload else None,
            form_fields=list(upload.form_names) if upload else None,
            filename=upload.filename if upload else None,
            content_type=upload.content_type if upload else None,
            received_path=job.upload_path,
            engine=engine or ("sample" if info.recognised else PLACEHOLDER),
            engine_notes=list(notes),
        )
        answer: dict[str, Any] = {"generation_id": job_id}
        if self.state.envelope == "b" or _text_only(str(model)):  # as the gpt-4o and MAI pages show it
            answer["status"] = "queued"
        return 201 if self.state.envelope == "b" else 200, answer

    def _engine_job(self, job: Job, upload: Upload) -> tuple[str | None, tuple[str, ...]]:
        """A new job's upload given to the local engine, when there is one (not for the sample, nor a job
        scripted to fail): decoded in the background, answered at once, or failed (emulator/local.py). The
        engine's name and its notes, for the request log; (None, ()) when it does not transcribe."""
        state, engine = self.state, self.state.engine
        if not engine.transcribes or job.info.recognised or job.fail is not None:
            return None, ()
        copy = upload.stream.take_copy() if upload.stream is not None else None
        path, owned = (job.upload_path, False) if job.upload_path else (copy, True)
        admission = engine.admit(job.options, job.info, path)
        if admission.failure is not None or admission.heard is not None or path is None:
            if owned and path is not None:
                remove(path)
            with state.lock:
                job.heard = admission.heard
                if admission.failure is not None:
                    job.fail, job.processing_time = admission.failure, 0.0
            return engine.name, admission.notes

        def started() -> None:
            with state.lock:
                if job.decoding is not None:
                    job.decoding = "running"

        def finished(heard: Heard | None, failure: str | None) -> None:
            with state.lock:
                job.decoding, job.heard, job.fail = None, heard, failure
                job.processing_time = max(0.0, state.now() - job.created)  # done now: its hour of keeping starts

        with state.lock:
            job.decoding = "waiting"
        task = engine.submit(path, owned, admission, started, finished)
        with state.lock:
            job.task = task
            if task is None:
                job.decoding = None
                job.fail, job.processing_time = "The local engine has too many uploads waiting: try again later", 0.0
        return engine.name, admission.notes

    def _new_job(self, model: str, options: dict[str, Any], info: AudioInfo) -> str:
        state = self.state
        job_id = new_job_id(model, state.envelope)
        overrides, state.next_job = state.next_job, {}
        state.jobs[job_id] = Job(
            generation_id=job_id,
            created=state.now(),
            created_iso=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            processing_time=float(overrides.get("processing_time", state.processing_time)),
            model=model,
            options=options,
            info=info,
            fail=overrides.get("fail"),
            charge_on=str(overrides.get("charge_on", "every")),
        )
        return job_id

    def _validate(self, model: Any, options: dict[str, Any], form: bool) -> None:
        """Refuse, as the gateway does, a body its model's published schema does not allow (an undeclared field,
        a value of the wrong type or outside an enum) or a combination its documents rule out (fields.py)."""
        found = problems(model, options, form, self.state.extra_models)
        if found:
            raise HttpError(400, "Body validation error!\n" + "\n".join(found))

    def _read_json(self, body: BodyReader) -> Any:
        data = b""
        while chunk := body.read():
            data += chunk
            if len(data) > MAX_JSON_BYTES:
                raise HttpError(413, "Request body too large")
        if not data:
            return {}
        try:
            return json.loads(data)
        except (ValueError, RecursionError):  # nested past the parser's recursion: a client's bad body, not a crash
            raise HttpError(400, "Body validation error! the body is not valid JSON") from None

    def _read_upload(
        self, body: BodyReader, content_type: str, streams: list[AudioStream]
    ) -> tuple[dict[str, Any], Upload]:
        boundary = _disposition("x;" + content_type.split(";", 1)[1]).get("boundary") if ";" in content_type else None
        if not boundary:
            raise HttpError(400, "Body validation error! multipart boundary missing")
        options: dict[str, Any] = {}
        upload: Upload | None = None
        name = ""
        value = bytearray()
        part_type = ""
        parts = 0
        stream: AudioStream | None = None  # the part being read is the audio file
        names: list[str] = []

        def finish_part() -> None:
            nonlocal upload
            if not name:
                return
            if stream is not None:
                if upload is not None:
                    raise HttpError(400, "Body validation error! more than one audio file")
                if stream.size == 0:
                    raise HttpError(400, "Body validation error!\naudio: the file is empty")
                upload = Upload(name, stream.filename, part_type, stream.info(), stream.kept, stream=stream)
                return
            names.append(name)
            add_form_field(options, name, value.decode("utf-8", "replace"))

        for kind, item in iter_multipart(body.read, boundary.encode("latin-1")):
            if kind == "part":
                finish_part()
                parts += 1
                if parts > MAX_FORM_FIELDS:
                    raise HttpError(413, f"Body validation error! more than {MAX_FORM_FIELDS} form fields")
                params = _disposition(item.get("content-disposition", ""))
                name = params.get("name", "")
                value, part_type, stream = bytearray(), item.get("content-type", ""), None
                if "filename" in params and name in ("audio", "file"):
                    kept = KeptUpload(self.state.keep_uploads) if self.state.keep_uploads is not None else None
                    stream = AudioStream(params.get("filename", ""), kept, self.state.engine.transcribes)
                    streams.append(stream)
                continue
            if stream is not None:
                stream.add(item)
            else:
                value += item
                if len(value) > MAX_FIELD_BYTES:
                    raise HttpError(413, f"Body validation error! field {name} is too large")
        finish_part()
        body.drain()
        if body.truncated:
            raise HttpError(400, "Body validation error! the body ended early")
        if upload is None:
            raise HttpError(400, "Body validation error!\naudio: a file is required")
        upload.form_names = tuple(names)
        return options, upload

    def _control(self, path: str, data: Any) -> None:
        """A control endpoint's body, checked whole before anything changes (plane.py), then applied."""
        state = self.state
        try:
            with state.lock:
                if path == "/_emulator/faults":
                    endpoint = data.get("endpoint") if isinstance(data, dict) else None
                    if endpoint not in state.faults:
                        raise HttpError(400, "endpoint must be create or poll")
                    state.faults[endpoint].extend(plane.fault_responses(data, len(state.faults[endpoint])))
                elif path == "/_emulator/models":
                    state.extra_models.update(_extra_model(data))
                elif path == "/_emulator/next-job":
                    settings = plane.next_job(data)
                    if settings.get("charge_on", "every") not in pricing.CHARGE_ON:
                        raise HttpError(400, f"charge_on must be one of {', '.join(pricing.CHARGE_ON)}")
                    state.next_job = settings
                elif path == "/_emulator/advance":
                    state.skew += plane.seconds(data)
                elif path == "/_emulator/expire":
                    job = state.jobs.get(plane.generation_id(data))
                    if job is None:
                        raise HttpError(404, "no such job")
                    job.expired = True
                elif path == "/_emulator/reset":
                    for job in state.jobs.values():
                        if job.task is not None:
                            job.task.cancelled.set()  # a waiting upload is dropped, a decoding one forgotten
                    state.jobs.clear()
                    state.requests.clear()
                    state.next_job = {}
                    state.skew = 0.0
                    state.idempotency.clear()
                    for queue in state.faults.values():
                        queue.clear()
                else:
                    raise HttpError(404, f"Cannot POST {cut(path)}")
        except plane.Invalid as exc:
            raise HttpError(400, str(exc)) from None
        self._send(200, {"ok": True})


def _extra_model(data: Any) -> ExtraModels:
    """{"id": ..., "fields": {name: schema} | null}: a model the service has and stt's catalogue lacks."""
    model_id = data.get("id") if isinstance(data, dict) else None
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(model_id, str) or not model_id or not (fields is None or isinstance(fields, dict)):
        raise HttpError(400, "give the model's id, and its fields (name: JSON schema) or null for unpublished ones")
    return {model_id: fields}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    accepted = 0  # connections accepted (counted before any TLS handshake), for tests of retry behaviour
    tls: ssl.SSLContext | None = None  # --tls-cert: each connection's handshake is made in its own thread

    def get_request(self) -> tuple[Any, Any]:
        self.accepted += 1
        return super().get_request()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            request = secure(self.tls, request)
            if request is None:
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away, stopped sending or reading (a timeout), or whose connection failed
        otherwise is no error of the emulator's: nothing is printed. Anything else is one line on stderr
        (a detached emulator's log), never a traceback: a client that can make it fail cannot fill the disk."""
        error = sys.exc_info()[1]
        if error is None or isinstance(error, OSError):
            return
        line = f"stt emulator: a request failed: {type(error).__name__}: {error}"
        with contextlib.suppress(OSError, ValueError):
            print(cut(line.replace("\n", " "), 300), file=sys.stderr, flush=True)


class _Server6(_Server):
    address_family = socket.AF_INET6


class Emulator:
    """A running emulator on a port of its host (loopback unless --host says otherwise), in a background
    thread (tests) or in the foreground (CLI)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8750,
        *,
        processing_time: float = 2.0,
        api_key: str | None = None,
        envelope: str = "a",
        tls: tuple[str, str] | None = None,
        faults: dict[str, list[dict[str, Any]]] | None = None,
        bandwidth: float | None = None,
        keep_uploads: str | os.PathLike[str] | None = None,
        extra_models: ExtraModels | None = None,
        price_per_second: Decimal = pricing.EMULATOR_PRICE_PER_SECOND,
        engine: str = PLACEHOLDER,
        workers: int | None = None,
        max_audio: float = DEFAULT_MAX_AUDIO,
        secret: bytes | None = None,
    ) -> None:
        """`bandwidth`: read request bodies at most this many bytes/s, all connections together. `keep_uploads`:
        a folder (made 0700 if missing; folders.UnsafeFolder if another user could reach into it) where each
        accepted upload is saved as <generation_id><ext>. `price_per_second`: what a second of audio costs (USD),
        in the cost headers and the model list. `engine`: who answers uploads (engines.resolve's name: the
        placeholder, or pocketsphinx with `workers` processes and `max_audio` seconds a job). `secret`: its
        user's (proof.py), for /_emulator/prove."""
        self.state = EmulatorState(processing_time=processing_time, api_key=api_key, envelope=envelope)
        self.state.extra_models.update(extra_models or {})
        self.state.price_per_second = price_per_second
        self.state.secret = secret
        if engine != PLACEHOLDER:
            self.state.engine = LocalEngine(engine, workers, max_audio)
        if bandwidth is not None:
            self.state.uplink = Uplink(bandwidth)
        if keep_uploads is not None:
            self.state.keep_uploads = private_folder(Path(keep_uploads))
        for endpoint, responses in (faults or {}).items():
            if endpoint not in self.state.faults:
                raise ValueError(f"unknown fault endpoint {endpoint!r} (create or poll)")
            self.state.faults[endpoint].extend(plane.fault(r, f"{endpoint}[{i}]") for i, r in enumerate(responses))
        context = server_context(*tls) if tls is not None else None  # before the bind: a bad file binds nothing
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        server_class = _Server6 if ":" in host else _Server
        self.httpd = server_class((host, port), handler)
        self.httpd.tls = context
        self.scheme = "http" if context is None else "https"
        self.state.base_url = self.base_url
        self.state.listen_host = host
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = (str(part) for part in self.httpd.server_address[:2])
        shown = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{shown}:{port}{API_PREFIX}"

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self._serve_then_close, daemon=True)
        self._thread.start()
        return self

    def _serve_then_close(self) -> None:
        """In the background: once it stops serving (/_emulator/shutdown, stop()), the port is let go, as the
        command's emulator lets it go when it exits."""
        try:
            self.httpd.serve_forever(poll_interval=0.05)
        finally:
            self.httpd.server_close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop_serving(self) -> None:
        self.httpd.server_close()
        self.state.engine.close()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.state.engine.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
