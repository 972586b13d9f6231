"""The HTTP layer, and the only module that imports httpx: auth, timeouts, retries, status code -> error.

Nothing from the wire is trusted: every answer is read as a stream, decompressed by stt itself under a size
ceiling, parsed under a nesting bound, and must arrive whole before a deadline however slowly its bytes come.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import hashlib
import os
import queue
import random
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx

from stt_cli import __version__
from stt_cli.api.charge import Charge
from stt_cli.api.cost import CLIENT_REQUEST_ID_HEADER, is_client_request_id, read_charge
from stt_cli.api.uploads import BodyRestart, LiveBody
from stt_cli.api.wire import (
    EMULATOR_ENGINE_HEADER,
    BadId,
    JobState,
    TooDeep,
    emulator_engine,
    is_valid_id,
    json_text,
    parse_created,
    parse_job,
    parse_json,
    sanitize,
    server_message,
    shown_id,
)
from stt_cli.errors import (
    AuthError,
    Fix,
    Origin,
    OutcomeUnknown,
    RequestRejected,
    ServerError,
    UsageError,
)

# --- Every constant that tunes the HTTP behaviour -------------------------------------------------------
CONNECT_TIMEOUT = 10.0  # s: a host that does not answer in 10 s is not going to
WRITE_TIMEOUT = 120.0  # s per write: a slow uplink still moves a chunk in two minutes
READ_TIMEOUT = 120.0  # s: the gateway can take a while to acknowledge a large upload
POOL_TIMEOUT = 10.0
UPLOAD_CHUNK = 1024 * 1024  # bytes read from the file per write: flat memory, few syscalls
HASH_AHEAD = 4  # pieces an upload may read ahead of its sha256 (4 MiB): memory stays flat
POLL_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CREATE_RETRY_STATUSES = frozenset({429, 503})  # answers that promise no job was created
LENGTH_REQUIRED = 411  # a server that takes no chunked body: the finished file is sent again, sized
MAX_ATTEMPTS = 5  # per request, the first try included
BACKOFF_BASE = 0.5  # s, doubled per attempt
BACKOFF_CAP = 8.0  # s
RETRY_AFTER_CAP = 60.0  # s: a longer Retry-After ends the wait with a message instead
RETRY_AFTER_MAX = 366 * 86400.0  # s: what a Retry-After is read as at most (a year), so any value is a date
USER_AGENT = f"stt-cli/{__version__}"

# --- The bounds on an answer ------------------------------------------------------------------------------
# A 10-hour, 3-speaker, diarized result with paragraphs and utterances is 42 MB of JSON (70 MB indented;
# bench/hostile.py measures it): the ceiling is six times that. It counts bytes after decompression.
MAX_ANSWER_BYTES = 256 * 1024 * 1024
MAX_SMALL_ANSWER_BYTES = 1024 * 1024  # a create answer or an error body: only an id or a message is read
# The whole model list with prices was 1.3 MB early in 2026 (its ETag says so), for some 400 models.
MAX_CATALOGUE_BYTES = 32 * 1024 * 1024
MAX_ETAG_CHARS = 200
NOT_MODIFIED = 304
RAW_SLACK = 1024 * 1024  # what compression may add to a body that does not compress
# An answer must arrive whole within ANSWER_DEADLINE s, plus one second for every ANSWER_MIN_RATE bytes
# it has delivered: a large result on a slow link gets the time it needs, a trickle gets nothing.
ANSWER_DEADLINE = 30.0
ANSWER_MIN_RATE = 64 * 1024
CREATE_ANSWER_DEADLINE = READ_TIMEOUT  # s after the last byte of an upload, for the gateway to acknowledge it
ACCEPT_ENCODING = "gzip, deflate"  # what stt can decompress under its ceiling (so never br or zstd)

Progress = Callable[[int], None]


class UploadFile(NamedTuple):
    """A local file to send: the path on disk, the name and type to declare, and the form field it goes in.

    With `live`, the first try sends the file as it is made (chunked, its length not yet known) and a retry
    sends the finished file at `path`.
    """

    path: Path
    filename: str
    content_type: str
    field: str = "audio"
    live: LiveBody | None = None


class Created(NamedTuple):
    generation_id: str
    sha256: str | None = None  # of the bytes sent
    size: int | None = None
    as_is: bool = True  # the bytes sent are the source's own (not prepared from it)
    charge: Charge | None = None  # what the answer's headers said of the job's cost


class Catalogue(NamedTuple):
    """The service's model list: its body (None: unchanged since the ETag sent) and the ETag to send next time."""

    body: Any
    etag: str | None


class OutOfTime(Exception):
    """The caller's own deadline (a wait's --timeout) passed while a request was in flight or about to start."""


class Answer(NamedTuple):
    """A whole HTTP answer, read under the bounds."""

    status_code: int
    reason: str
    headers: httpx.Headers
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


class _Unreadable(Exception):
    """An answer stt stopped reading: too large, too deep, badly compressed. Never retried."""


class _TooSlow(Exception):
    """An answer that did not arrive whole before its deadline."""

    def __init__(self, received: int, seconds: float, by_caller: bool) -> None:
        super().__init__(f"{received} bytes in {seconds:.0f} s")
        self.received = received
        self.seconds = seconds
        self.by_caller = by_caller


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with "equal jitter" (half fixed, half random); Retry-After is a floor."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # isdigit alone takes "²" too
        return min(float(value), RETRY_AFTER_MAX)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return min(RETRY_AFTER_MAX, max(0.0, when - (time.time() if now is None else now)))


# --- Deadlines: one watchdog thread ends any request that runs past its time ---------------------------
class _Watch:
    """One request's deadline. The sockets it opened are shut down when it passes, which wakes a blocked read
    at once (httpx's timeouts are per read, so a byte a second would otherwise keep a request alive for ever).
    """

    def __init__(self, dog: _Watchdog) -> None:
        self._dog = dog
        self.deadline: float | None = None
        self.hard_limit: float | None = None  # the caller's deadline: extensions never go past it
        self.fired = False
        self.by_caller = False
        self.received = 0
        self._sockets: list[socket.socket] = []

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: note each socket this request connects (no connection is reused)."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                with self._dog.lock:
                    self._sockets.append(sock)
                    if self.fired:
                        _shut(sock)

    def set(self, seconds: float, base: float | None = None) -> None:
        """Due `seconds` after `base` (default: now), never later than the hard limit."""
        due = (time.monotonic() if base is None else base) + seconds
        with self._dog.lock:
            if self.hard_limit is not None and due >= self.hard_limit:
                due, self.by_caller = self.hard_limit, True
            else:
                self.by_caller = False
            self.deadline = due
            self._dog.lock.notify()

    def extend(self, received: int, armed_at: float, base: float) -> None:
        """More bytes arrived: the deadline moves out by a second per ANSWER_MIN_RATE bytes."""
        self.received = received
        self.set(base + received / ANSWER_MIN_RATE, armed_at)

    def fire(self) -> None:  # with the watchdog's lock held
        self.fired = True
        for sock in self._sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """The one thread that fires watches when their deadline passes (started on the first request)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self._watches: set[_Watch] = set()
        self._thread: threading.Thread | None = None

    def watch(self) -> _Watch:
        watch = _Watch(self)
        with self.lock:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="stt-deadlines", daemon=True)
                self._thread.start()
        return watch

    def forget(self, watch: _Watch) -> None:
        with self.lock:
            self._watches.discard(watch)

    def fire_all(self) -> None:
        with self.lock:
            for watch in self._watches:
                watch.fire()

    def _run(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                due = [w for w in self._watches if w.deadline is not None and w.deadline <= now]
                for watch in due:
                    watch.fire()
                    self._watches.discard(watch)
                pending = [w.deadline for w in self._watches if w.deadline is not None]
                self.lock.wait(timeout=max(0.0, min(pending) - now) if pending else None)


_WATCHDOG = _Watchdog()


# --- Decompression under the ceiling --------------------------------------------------------------------
class _Decoder:
    """Content-Encoding undone by stt, never producing more than it is allowed (a gzip bomb stops at the ceiling)."""

    def __init__(self, encoding: str) -> None:
        self._coding = encoding.strip().lower()
        self._fresh = True
        if self._coding in ("", "identity"):
            self._inflate: Any = None
        elif self._coding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._coding == "deflate":
            self._inflate = zlib.decompressobj()
        else:
            raise _Unreadable(f"it came with a content encoding stt does not read ({sanitize(encoding, 40)})")

    def feed(self, data: bytes, room: int) -> tuple[bytes, bool]:
        """At most `room` decoded bytes of `data`, and whether there were more (then the ceiling is passed)."""
        if self._inflate is None:
            return data[:room], len(data) > room
        try:
            out = self._inflate.decompress(data, room + 1)
        except zlib.error:
            if self._coding == "deflate" and self._fresh:  # "deflate" sent raw, without its zlib header
                self._fresh = False
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data, room)
            raise _Unreadable("its compressed body is corrupt") from None
        self._fresh = False
        return out[:room], len(out) > room or bool(self._inflate.unconsumed_tail)


class ApiClient:
    """One client per process: httpx with bearer auth, no redirects, bounded answers, typed errors."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] | None = None,
        origins: dict[str, Origin] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Where the key and the base URL came from ("key", "base_url"): an error they cause names it.
        self._origins = origins or {}
        self._key = api_key
        self._key_bytes = api_key.encode("ascii", "replace") if len(api_key) >= 4 else b""

        self._sleep = sleep
        self._log = log
        plain = self.base_url.startswith("http://")  # only ever loopback (core/settings.validate_base_url)
        # No key, no Authorization header: the model list is the one endpoint that needs none.
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            headers={
                **auth,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=httpx.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=WRITE_TIMEOUT, pool=POOL_TIMEOUT),
            follow_redirects=False,
            transport=transport,
            # Plain http is only for the emulator on loopback: no proxy between, and no CA bundle to load (it
            # costs 40 ms at start-up). The bare context verifies against nothing, so TLS could never pass.
            trust_env=not plain,
            verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if plain else True,
            # A new connection for every request, so the deadline watchdog knows its socket. Polls are seconds
            # apart: a kept-alive connection would save little.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def debug(self, message: str) -> None:
        """A line for -v (what was sent, how it was prepared): the same place as the request lines."""
        if self._log is not None:
            self._log(message)

    def close(self) -> None:
        self._http.close()

    @staticmethod
    def abort() -> None:
        """End every request in flight now (a cancelled batch): their sockets are shut, their callers raise."""
        _WATCHDOG.fire_all()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the two endpoints ---------------------------------------------------------------------------
    def create_from_url(
        self, body: dict[str, Any], idempotency_key: str, on_sent: Callable[[], None] | None = None
    ) -> Created:
        content = json_text(body).encode("utf-8")
        answer = self._create(
            lambda: ([content], {"Content-Type": "application/json"}, len(content)), idempotency_key, on_sent
        )
        job_id = self._created_id(answer, idempotency_key)
        return Created(job_id, charge=self._charge(answer, job_id))

    def create_from_file(
        self,
        upload: UploadFile,
        fields: list[tuple[str, str]],
        idempotency_key: str,
        progress: Progress | None = None,
        on_sent: Callable[[], None] | None = None,
        on_hashed: Callable[[str], None] | None = None,
    ) -> Created:
        """The file sent as multipart/form-data, hashed as it is read (Created.sha256).

        `on_hashed` gets that sha256 once the whole file is read, before its last piece is handed over: what
        it raises ends the request with the body unfinished (no job can exist) and comes out of this call.
        """
        # The boundary follows the Idempotency-Key: a create sent again is byte for byte the same request.
        boundary = "stt-" + "".join(ch for ch in idempotency_key if ch.isalnum())[:60]
        digest: dict[str, str] = {}
        tries = 0

        def body() -> tuple[Iterator[bytes] | list[bytes], dict[str, str], int | None]:
            nonlocal tries
            tries += 1
            live = upload.live if tries == 1 and upload.live is not None and not upload.live.whole else None
            if upload.live is not None and live is None:
                upload.live.complete()
            stream, length = _multipart(upload, fields, boundary, progress, digest, live, on_hashed)
            return stream, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, length

        answer = self._create(body, idempotency_key, on_sent)
        size = upload.path.stat().st_size
        job_id = self._created_id(answer, idempotency_key)
        return Created(job_id, sha256=digest.get("sha256"), size=size, charge=self._charge(answer, job_id))

    def get_job(self, job_id: str, *, until: float | None = None) -> JobState:
        """One status query, retried on transient failures; `until` (time.monotonic) ends it with OutOfTime."""
        path = f"/stt/{quote_id(job_id)}"
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                answer = self._exchange("GET", path, limit=MAX_ANSWER_BYTES, deadline=ANSWER_DEADLINE, until=until)
            except _TooSlow as exc:
                if exc.by_caller:
                    raise OutOfTime from None
                raise ServerError(
                    f"the server sent its answer for job {job_id} too slowly ({exc.received:,} bytes in "
                    f"{exc.seconds:.0f} s) and stt stopped waiting for it",
                    "check the network and the base URL, then try again",
                    fix=Fix.FETCH_AGAIN,
                    job_id=job_id,
                    then=True,
                ) from None
            except _Unreadable as exc:
                raise _refused(job_id, exc) from None
            except httpx.TransportError as exc:
                if _is_tls_error(exc) or last:
                    raise self._network_error(exc) from None
                self._pause(backoff_delay(attempt), type(exc).__name__, until)
                continue
            if answer.status_code in POLL_RETRY_STATUSES and not last:
                self._wait_retry(answer, attempt, until)
                continue
            if answer.is_success:
                try:
                    state = parse_job(parse_json(answer.body, self._key), job_id)
                    engine = emulator_engine(answer.headers.get(EMULATOR_ENGINE_HEADER))
                    return dataclasses.replace(state, charge=self._charge(answer, job_id), engine=engine)
                except TooDeep as exc:
                    raise _refused(job_id, exc) from None
                except ValueError as exc:
                    if last:
                        raise ServerError(
                            f"the server's answer for job {job_id} could not be read ({exc})",
                            "try again later",
                            fix=Fix.FETCH_AGAIN,
                            job_id=job_id,
                            then=True,
                        ) from None
                    self._pause(backoff_delay(attempt), "unreadable answer", until)
                    continue
            raise self._http_error(answer, job_id=job_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def list_models(self, etag: str | None = None) -> Catalogue:
        """GET {base}/models?include=pricing: the service's model list with prices, or None as its body when it
        is unchanged since `etag` (HTTP 304). No key is needed; retried on transient failures like a poll."""
        path = "/models?include=pricing"
        headers = {"If-None-Match": etag} if etag else None
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                answer = self._exchange("GET", path, limit=MAX_CATALOGUE_BYTES, deadline=ANSWER_DEADLINE,
                                        headers=headers)  # fmt: skip
            except _TooSlow as exc:
                raise ServerError(
                    f"the server sent its model list too slowly ({exc.received:,} bytes in {exc.seconds:.0f} s)",
                    "check the network and the base URL, then try again",
                ) from None
            except _Unreadable as exc:
                raise ServerError(
                    f"stt stopped reading the server's model list: {exc}", fix=Fix.NOT_THE_SERVICE
                ) from None
            except httpx.TransportError as exc:
                if _is_tls_error(exc) or last:
                    raise self._network_error(exc) from None
                self._pause(backoff_delay(attempt), type(exc).__name__)
                continue
            if answer.status_code in POLL_RETRY_STATUSES and not last:
                self._wait_retry(answer, attempt)
                continue
            etag_seen = answer.headers.get("ETag")
            shown_etag = etag_seen if etag_seen and is_etag(etag_seen) else None
            if answer.status_code == NOT_MODIFIED:
                if etag:
                    return Catalogue(None, shown_etag or etag)
                raise ServerError(  # no copy was named to compare with: no redirect either, whatever 3xx says
                    "the server answered 304 (not modified) for its model list, though stt has no copy of it",
                    fix=Fix.NOT_THE_SERVICE,
                )
            if answer.is_success:
                try:
                    return Catalogue(parse_json(answer.body, self._key), shown_etag)
                except ValueError as exc:  # TooDeep too
                    raise ServerError(
                        f"the server's model list could not be read ({exc})", fix=Fix.NOT_THE_SERVICE
                    ) from None
            if answer.status_code == 404:
                raise RequestRejected(
                    f"{self.base_url} has no GET /models (HTTP 404)",
                    status_code=404,
                    fix=Fix.BASE_URL,
                    origin=self._origins.get("base_url"),
                    base_url=self.base_url,
                )
            raise self._http_error(answer)
        raise AssertionError("unreachable")  # pragma: no cover

    def _charge(self, answer: Answer, job_id: str) -> Charge | None:
        return read_charge(answer.headers, job_id, self.debug)

    # --- internals -----------------------------------------------------------------------------------
    def _exchange(
        self,
        method: str,
        path: str,
        *,
        limit: int,
        deadline: float,
        until: float | None = None,
        content: _SentCounter | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request and its whole answer, read under `limit` bytes and before its deadline.

        The deadline counts from the start of the request, or for an upload from its last byte; `until`, the
        caller's own deadline, caps it. With -v, one line on stderr: method, path, status, time (never the key).
        """
        if until is not None and time.monotonic() >= until:
            raise OutOfTime
        watch = _WATCHDOG.watch()
        watch.hard_limit = until
        armed = [time.monotonic()]
        if content is None:
            watch.set(deadline)
        else:

            def arm() -> None:
                armed[0] = time.monotonic()
                watch.set(deadline)

            content.on_last = arm
        url = self.base_url + path
        started = time.monotonic()
        request = self._http.build_request(
            method,
            url,
            content=iter(content) if content is not None else None,
            headers=headers,
            extensions={"trace": watch.trace},
        )
        try:
            response = self._http.send(request, stream=True)
            try:
                limited = response.status_code < 200 or response.status_code >= 300
                body = _read_body(response, MAX_SMALL_ANSWER_BYTES if limited else limit, watch, armed, deadline,
                                  truncate=limited)  # fmt: skip
            finally:
                response.close()
        except httpx.TransportError as exc:
            self._log_line(method, url, type(exc).__name__, started, "after")
            if watch.fired:
                raise _TooSlow(watch.received, time.monotonic() - armed[0], watch.by_caller) from None
            raise
        except _Unreadable:
            self._log_line(method, url, f"{response.status_code} (answer refused)", started)
            raise
        finally:
            _WATCHDOG.forget(watch)
        reason = self._scrub(response.reason_phrase)
        self._log_line(method, url, f"{response.status_code} {reason}", started)
        if self._key_bytes and self._key_bytes in body:  # a server that echoes the key never gets it shown
            body = body.replace(self._key_bytes, b"****")
        return Answer(response.status_code, reason, response.headers, body)

    def _log_line(self, method: str, url: str, outcome: str, started: float, took: str = "in") -> None:
        if self._log is not None:
            shown = self._scrub(httpx.URL(url).raw_path.decode("ascii", "replace"))
            self._log(f"http: {method} {shown} -> {sanitize(outcome, 80)} {took} {time.monotonic() - started:.3f} s")

    def _pause(self, delay: float, why: str, until: float | None = None) -> None:
        if until is not None and time.monotonic() + delay >= until:
            raise OutOfTime
        if self._log is not None:
            self._log(f"http: {why}; retrying in {delay:.1f} s")
        self._sleep(delay)

    def _create(
        self,
        make_body: Callable[[], tuple[Iterator[bytes] | list[bytes], dict[str, str], int | None]],
        idempotency_key: str,
        on_sent: Callable[[], None] | None,
    ) -> Answer:
        """POST /stt/create, retried only where the server cannot have created a job."""
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            stream, headers, length = make_body()
            sent = _SentCounter(stream, on_sent)
            # One key per logical create, the same on every retry and on the re-run that resends a create cut
            # off: X-Client-Request-Id is the provider's own header (its usage logs find the request by it, even
            # when its answer never came back); Idempotency-Key, which the provider does not document, goes too,
            # with the same value, so that a gateway or proxy honouring the common convention still makes one job
            # of a create sent twice, and the ledger's resend keeps meaning what it says. Neither costs anything.
            headers = {**headers, "Idempotency-Key": idempotency_key}
            if is_client_request_id(idempotency_key):  # stt's keys are UUIDs; anything else would be dropped
                headers[CLIENT_REQUEST_ID_HEADER] = idempotency_key
            if length is not None:  # else chunked: a body made while it is sent
                headers["Content-Length"] = str(length)
            try:
                answer = self._exchange(
                    "POST",
                    "/stt/create",
                    content=sent,
                    headers=headers,
                    limit=MAX_SMALL_ANSWER_BYTES,
                    deadline=CREATE_ANSWER_DEADLINE,
                )
            except BodyRestart:  # stopped before its last byte: the server cannot have made a job
                continue
            except (httpx.TransportError, _TooSlow, _Unreadable) as exc:
                # What decides is how far the body got, not the exception's type: a server cannot act on a
                # request it never fully received, so a failure before the last byte is safe to retry.
                if sent.finished:
                    raise self._unknown_outcome(idempotency_key, exc) from None
                if not isinstance(exc, httpx.TransportError):
                    raise ServerError(f"the server's answer to the upload could not be used ({exc})") from None
                if _is_tls_error(exc) or last:
                    raise self._network_error(exc) from None
                self._pause(backoff_delay(attempt), type(exc).__name__)
                continue
            if answer.status_code in CREATE_RETRY_STATUSES and not last:
                self._wait_retry(answer, attempt)
                continue
            if answer.status_code == LENGTH_REQUIRED and length is None and not last:
                continue  # a server that takes no chunked body: the next try sends the whole file, sized
            if answer.is_success:
                return answer
            raise self._http_error(answer)
        raise AssertionError("unreachable")  # pragma: no cover

    def _created_id(self, answer: Answer, idempotency_key: str) -> str:
        try:
            return parse_created(parse_json(answer.body, self._key))
        except BadId as exc:
            raise OutcomeUnknown(
                f"{exc}; the job may exist on the service (Idempotency-Key {idempotency_key})",
                None,
                idempotency_key,
                fix=Fix.NOT_THE_SERVICE,
                origin=self._origins.get("base_url"),
            ) from None
        except ValueError:
            raise OutcomeUnknown(
                "the server accepted the job but its answer has no generation_id: "
                f"{server_message(answer.body, secret=self._key) or 'an empty body'}; the job may or may not exist "
                "(Idempotency-Key "
                f"{idempotency_key})",
                "check your account before submitting again, to avoid paying twice",
                idempotency_key,
            ) from None

    def _wait_retry(self, answer: Answer, attempt: int, until: float | None = None) -> None:
        retry_after = parse_retry_after(answer.headers.get("Retry-After"))
        if retry_after is not None and retry_after > RETRY_AFTER_CAP:
            shape = "%H:%M:%S" if retry_after < 12 * 3600 else "%Y-%m-%d %H:%M"
            when = time.strftime(shape, time.localtime(time.time() + retry_after))
            raise ServerError(
                f"the server asks to wait {retry_after:.0f} s before retrying (HTTP {answer.status_code})",
                f"try again after {when}",
            )
        self._pause(backoff_delay(attempt, retry_after), f"HTTP {answer.status_code}", until)

    def _unknown_outcome(self, idempotency_key: str, exc: Exception) -> OutcomeUnknown:
        cause = self._scrub(str(exc)) or type(exc).__name__
        return OutcomeUnknown(
            f"no answer came after the whole request was sent ({sanitize(cause, 200)}); the job may or may not "
            f"exist (Idempotency-Key {idempotency_key})",
            "check your account before submitting again, to avoid paying twice",
            idempotency_key,
        )

    def _network_error(self, exc: httpx.TransportError) -> ServerError:
        host = httpx.URL(self.base_url).host
        if _is_tls_error(exc):
            return ServerError(
                f"TLS certificate verification failed for {host}",
                "if you use a private CA, point SSL_CERT_FILE at its bundle",
            )
        kind = {
            httpx.ConnectError: "could not connect to",
            httpx.ConnectTimeout: "timed out connecting to",
            httpx.ReadTimeout: "timed out waiting for",
            httpx.WriteTimeout: "timed out sending to",
        }.get(type(exc), "lost the connection to")
        return ServerError(
            f"{kind} {host} ({sanitize(self._scrub(str(exc)), 200) or type(exc).__name__})",
            fix=Fix.NETWORK,
            origin=self._origins.get("base_url"),
        )

    def _http_error(self, answer: Answer, job_id: str | None = None) -> Exception:
        error = self._http_error_for(answer, job_id)
        error.server_answered = True  # type: ignore[attr-defined]  # a definitive answer: no job was made
        return error

    def _http_error_for(self, answer: Answer, job_id: str | None) -> Exception:
        code = answer.status_code
        message = self._scrub(server_message(answer.body, secret=self._key)) or sanitize(answer.reason, 80)
        if 300 <= code < 400:
            location = sanitize(self._scrub(answer.headers.get("Location", "?")), 200)
            return RequestRejected(
                f"the server redirected to {location} (HTTP {code}); stt does not follow redirects",
                status_code=code,
                fix=Fix.NOT_THE_SERVICE,
                origin=self._origins.get("base_url"),
            )
        if code == 401:
            refused = f"the API key was refused (HTTP 401): {message}"
            return AuthError(refused, fix=Fix.KEY_REFUSED, origin=self._origins.get("key"), base_url=self.base_url)
        if code == 403:
            denied = f"access denied (HTTP 403): {message}"
            return AuthError(denied, fix=Fix.KEY_DENIED, origin=self._origins.get("key"))
        if code == 404 and (job_id is None or _no_such_path(message)):
            # The create path, or the API's own paths, are never missing from the service: the base URL is.
            method, path = ("GET", f"/stt/{job_id}") if job_id is not None else ("POST", "/stt/create")
            return RequestRejected(
                f"{self.base_url} has no {method} {path} (HTTP 404): {message}",
                status_code=code,
                fix=Fix.BASE_URL,
                origin=self._origins.get("base_url"),
                base_url=self.base_url,
            )
        if code == 404:
            gone = f"job {job_id} was not found (HTTP 404): {message}"
            return JobGone(gone, status_code=code, fix=Fix.JOB_GONE)
        if code in (408, 429):
            return RequestRejected(
                f"the service is busy or rate-limiting (HTTP {code}) and kept refusing after {MAX_ATTEMPTS} tries: "
                f"{message}",
                status_code=code,
                fix=Fix.BUSY,
            )
        if 400 <= code < 500:
            rejected = f"the server rejected the request (HTTP {code}): {message}"
            return RequestRejected(rejected, status_code=code, fix=Fix.REJECTED)
        return ServerError(f"the server failed (HTTP {code}): {message}", fix=Fix.LATER)

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "****") if self._key else text


def is_etag(value: str) -> bool:
    """An ETag stt keeps and sends back: printable ASCII (a header carries no other text: one with any other
    character could not be sent again), at most MAX_ETAG_CHARS."""
    return len(value) <= MAX_ETAG_CHARS and value.isascii() and value.isprintable()


def _read_body(
    response: httpx.Response, limit: int, watch: _Watch, armed: list[float], deadline: float, *, truncate: bool
) -> bytes:
    """The decoded body, at most `limit` bytes (past it: _Unreadable, or cut when `truncate`)."""
    too_large = f"it is larger than {limit // 2**20} MiB, more than any transcript needs"
    encoding = response.headers.get("Content-Encoding", "")
    decoder = _Decoder(encoding)
    declared = response.headers.get("Content-Length", "")
    if not truncate and declared.isdigit() and not encoding.strip() and int(declared) > limit:
        raise _Unreadable(f"{too_large} ({int(declared):,} bytes announced)")
    # Pieces joined once at the end: a growing buffer would be copied as it grows, doubling the peak.
    pieces: list[bytes] = []
    size = received = 0
    raw_limit = limit + RAW_SLACK  # bytes after a gzip stream's end, or empty deflate blocks, decode to nothing
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > raw_limit:
            if truncate:
                break
            raise _Unreadable(f"{too_large} (as sent, before decompression)")
        data, over = decoder.feed(chunk, limit - size)
        pieces.append(data)
        size += len(data)
        if over:
            if truncate:
                break
            raise _Unreadable(too_large)
        if watch.fired:  # past the deadline on a socket the watchdog could not shut
            raise _TooSlow(received, time.monotonic() - armed[0], watch.by_caller)
        watch.extend(received, armed[0], deadline)
    else:
        data, over = decoder.feed(b"", limit - size)
        pieces.append(data)
        if over and not truncate:
            raise _Unreadable(too_large)
    body = b"".join(pieces)
    pieces.clear()
    return body


def _refused(job_id: str, why: Exception) -> ServerError:
    """An answer past a bound (size, encoding, depth, counts): one message, never retried."""
    return ServerError(f"stt stopped reading the server's answer for job {job_id}: {why}", fix=Fix.NOT_THE_SERVICE)


NO_ROUTE = re.compile(r"^cannot (get|post|put|delete|patch) /", re.IGNORECASE)  # a web framework's "no such path"


def _no_such_path(message: str) -> bool:
    """A 404 that names no job but a path the server has no route for: the base URL is wrong, not the job."""
    return bool(NO_ROUTE.match(message.strip()))


class JobGone(RequestRejected):
    """The service does not know the job (HTTP 404): expired after an hour, or lost."""


def quote_id(job_id: str) -> str:
    """The id as one safe path segment; anything but a valid id is refused before it reaches a URL."""
    if not is_valid_id(job_id):
        raise UsageError(f"{shown_id(job_id)} is not a valid job id", fix=Fix.JOB_ID)
    return quote(job_id, safe="")


def _is_tls_error(exc: Exception) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


class _SentCounter:
    """Wraps a body iterator to know whether it was handed over whole (then an error means an unknown outcome).

    `finished` turns true as the last piece is handed over, before it is written: if it is false, the
    server cannot have received the whole body, so no job can exist.
    """

    def __init__(self, stream: Iterator[bytes] | list[bytes], on_sent: Callable[[], None] | None = None) -> None:
        self._stream = stream
        self.finished = False
        self.on_last: Callable[[], None] | None = None
        self._on_sent = on_sent

    def __iter__(self) -> Iterator[bytes]:
        pending: bytes | None = None
        for chunk in self._stream:
            if pending is not None:
                yield pending
            pending = chunk
        self.finished = True
        if self._on_sent is not None:
            self._on_sent()
        if self.on_last is not None:
            self.on_last()
        if pending is not None:
            yield pending


class _Hasher:
    """The sha256 of an upload's pieces, computed on a thread of its own while they are sent: hashlib lets go of
    the GIL on pieces this large, so hashing and sending run on two cores at once instead of one after the other
    (512 MiB to the emulator on a busy 2-core machine: 1.3 s instead of 1.5 s)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=HASH_AHEAD)
        self._thread = threading.Thread(target=self._run, name="stt-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (piece := self._pieces.get()) is not None:
            self._digest.update(piece)

    def update(self, piece: bytes) -> None:
        self._pieces.put(piece)

    def close(self) -> None:
        """The thread ended (every piece given so far hashed); safe to call more than once."""
        if self._thread.is_alive():
            self._pieces.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return self._digest.hexdigest()


def _quote_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _multipart(
    upload: UploadFile,
    fields: list[tuple[str, str]],
    boundary: str,
    progress: Progress | None,
    digest_out: dict[str, str],
    live: LiveBody | None = None,
    on_hashed: Callable[[str], None] | None = None,
) -> tuple[Iterator[bytes], int | None]:
    """A multipart/form-data body streamed from the open file, and its exact length; or, from a LiveBody, the
    file's pieces as they are made, the length unknown (None: sent chunked). The file's sha256 goes to
    `on_hashed` before the last piece of the file is handed over (_SentCounter holds each piece back one
    step), so what it raises leaves the body unfinished."""
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote_header(name)}"\r\n\r\n'.encode()
        + value.encode("utf-8")
        + b"\r\n"
        for name, value in fields
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote_header(upload.field)}"; '
        f'filename="{_quote_header(upload.filename)}"\r\n'
        f"Content-Type: {upload.content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    if live is not None:

        def made() -> Iterator[bytes]:
            digest = hashlib.sha256()
            yield head
            sent = 0
            for chunk in live.chunks():
                digest.update(chunk)
                sent += len(chunk)
                if progress is not None:
                    progress(sent)
                yield chunk
            digest_out["sha256"] = digest.hexdigest()
            yield tail

        return made(), None
    size = os.stat(upload.path).st_size

    def stream() -> Iterator[bytes]:
        digest = _Hasher()
        try:
            yield head
            sent = 0
            with upload.path.open("rb") as handle:
                while sent < size and (chunk := handle.read(min(UPLOAD_CHUNK, size - sent))):
                    digest.update(chunk)
                    sent += len(chunk)
                    if progress is not None:
                        progress(sent)
                    yield chunk
                grown = bool(handle.read(1))
            if sent != size or grown:  # never more than the Content-Length promised, never less
                raise UsageError(
                    f"{upload.path} changed size while it was being uploaded (a recording still being written?)",
                    "upload it again once it is complete",
                )
            digest_out["sha256"] = digest.hexdigest()
        finally:
            digest.close()  # the request failed or was stopped: the thread ends too
        if on_hashed is not None:
            on_hashed(digest_out["sha256"])
        yield tail

    return stream(), len(head) + size + len(tail)
