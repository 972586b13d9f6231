"""The HTTP layer, and the only module that imports httpx: auth, timeouts, retries, status code -> error."""

from __future__ import annotations

import hashlib
import json
import os
import random
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx

from stt_cli import __version__
from stt_cli.errors import AuthError, RequestRejected, ServerError, UsageError
from stt_cli.fsutil import file_sha256
from stt_cli.protocol import JobState, parse_created, parse_job, server_message

# --- Every constant that tunes the HTTP behaviour -------------------------------------------------------
CONNECT_TIMEOUT = 10.0  # s: a host that does not answer in 10 s is not going to
WRITE_TIMEOUT = 120.0  # s per write: a slow uplink still moves a chunk in two minutes
READ_TIMEOUT = 120.0  # s: the gateway can take a while to acknowledge a large upload
POOL_TIMEOUT = 10.0
UPLOAD_CHUNK = 256 * 1024  # bytes read from the file per write: flat memory, few syscalls
POLL_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CREATE_RETRY_STATUSES = frozenset({429, 503})  # answers that promise no job was created
MAX_ATTEMPTS = 5  # per request, the first try included
BACKOFF_BASE = 0.5  # s, doubled per attempt
BACKOFF_CAP = 8.0  # s
RETRY_AFTER_CAP = 60.0  # s: a longer Retry-After ends the wait with a message instead
USER_AGENT = f"stt-cli/{__version__}"

Progress = Callable[[int], None]


class UploadFile(NamedTuple):
    """A local file to send: the path on disk and the name and type to declare."""

    path: Path
    filename: str
    content_type: str


class Created(NamedTuple):
    generation_id: str
    sha256: str | None = None
    size: int | None = None


class _UnknownOutcome(Exception):
    """The request went out whole but no answer came: a job may exist."""


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
    if value.isdigit():
        return float(value)
    try:
        import email.utils  # only for a Retry-After given as a date

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class ApiClient:
    """One client per process: a pooled httpx.Client, bearer auth, no redirects, typed errors."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._sleep = sleep
        self._log = log
        plain = self.base_url.startswith("http://")  # only ever loopback (config.validate_base_url)
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=WRITE_TIMEOUT, pool=POOL_TIMEOUT),
            follow_redirects=False,
            transport=transport,
            # Plain http is only for the emulator on loopback: no proxy between, and no CA bundle to load (it
            # costs 40 ms at start-up). The bare context verifies against nothing, so TLS could never pass.
            trust_env=not plain,
            verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if plain else True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the two endpoints ---------------------------------------------------------------------------
    def create_from_url(self, body: dict[str, Any]) -> Created:
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        response = self._create(lambda: ([content], {"Content-Type": "application/json"}, len(content)))
        return Created(self._created_id(response))

    def create_from_file(
        self, upload: UploadFile, fields: list[tuple[str, str]], progress: Progress | None = None
    ) -> Created:
        boundary = _uuid4().replace("-", "")
        digest: dict[str, str] = {}

        def body() -> tuple[Iterator[bytes] | list[bytes], dict[str, str], int]:
            stream, length = _multipart(upload, fields, boundary, progress, digest)
            return stream, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, length

        response = self._create(body, upload=upload)
        size = upload.path.stat().st_size
        return Created(self._created_id(response), sha256=digest.get("sha256"), size=size)

    def get_job(self, job_id: str) -> JobState:
        path = f"/stt/{quote_id(job_id)}"
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                response = self._send("GET", path)
            except httpx.TransportError as exc:
                if _is_tls_error(exc) or last:
                    raise self._network_error(exc) from None
                self._pause(backoff_delay(attempt), type(exc).__name__)
                continue
            if response.status_code in POLL_RETRY_STATUSES and not last:
                self._wait_retry(response, attempt)
                continue
            if response.is_success:
                try:
                    return parse_job(response.json(), job_id)
                except ValueError as exc:
                    if last:
                        raise ServerError(
                            f"the server's answer for job {job_id} could not be read ({exc})",
                            f"try again later: stt fetch {job_id}",
                        ) from None
                    self._pause(backoff_delay(attempt), "unreadable answer")
                    continue
            raise self._http_error(response, job_id=job_id)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- internals -----------------------------------------------------------------------------------
    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; with -v, one line for it on stderr: method, path, status or error, time (never the key)."""
        if self._log is None:
            return self._http.request(method, self.base_url + path, **kwargs)
        shown = self._scrub(httpx.URL(self.base_url + path).raw_path.decode("ascii", "replace"))
        started = time.monotonic()
        try:
            response = self._http.request(method, self.base_url + path, **kwargs)
        except httpx.TransportError as exc:
            self._log(f"http: {method} {shown} -> {type(exc).__name__} after {time.monotonic() - started:.3f} s")
            raise
        self._log(
            f"http: {method} {shown} -> {response.status_code} {response.reason_phrase} "
            f"in {time.monotonic() - started:.3f} s"
        )
        return response

    def _pause(self, delay: float, why: str) -> None:
        if self._log is not None:
            self._log(f"http: {why}; retrying in {delay:.1f} s")
        self._sleep(delay)

    def _create(
        self,
        make_body: Callable[[], tuple[Iterator[bytes] | list[bytes], dict[str, str], int]],
        upload: UploadFile | None = None,
    ) -> httpx.Response:
        """POST /stt/create, retried only where the server cannot have created a job."""
        idempotency_key = _uuid4()
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            stream, headers, length = make_body()
            sent = _SentCounter(stream)
            headers = {**headers, "Content-Length": str(length), "Idempotency-Key": idempotency_key}
            try:
                response = self._send("POST", "/stt/create", content=iter(sent), headers=headers)
            except httpx.TransportError as exc:
                # What decides is how far the body got, not the exception's type: a server cannot act on a
                # request it never fully received, so a failure before the last byte is safe to retry.
                if sent.finished:
                    raise self._unknown_outcome(idempotency_key, upload) from None
                if _is_tls_error(exc) or last:
                    raise self._network_error(exc) from None
                self._pause(backoff_delay(attempt), type(exc).__name__)
                continue
            if response.status_code in CREATE_RETRY_STATUSES and not last:
                self._wait_retry(response, attempt)
                continue
            if response.is_success:
                return response
            raise self._http_error(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _created_id(self, response: httpx.Response) -> str:
        try:
            return parse_created(response.json())
        except ValueError:
            raise ServerError(
                f"the server accepted the job but its answer has no generation_id: {server_message(response.content)}",
                "check `stt jobs` or your account before submitting again",
            ) from None

    def _wait_retry(self, response: httpx.Response, attempt: int) -> None:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > RETRY_AFTER_CAP:
            when = time.strftime("%H:%M:%S", time.localtime(time.time() + retry_after))
            raise ServerError(
                f"the server asks to wait {retry_after:.0f} s before retrying (HTTP {response.status_code})",
                f"try again after {when}",
            )
        response.close()
        self._pause(backoff_delay(attempt, retry_after), f"HTTP {response.status_code}")

    def _unknown_outcome(self, idempotency_key: str, upload: UploadFile | None) -> ServerError:
        what = f" of {upload.path} (sha256 {file_sha256(upload.path)})" if upload else ""
        return ServerError(
            f"the connection failed after the request{what} was sent; the job may or may not exist "
            f"(Idempotency-Key {idempotency_key})",
            "check `stt jobs` and your account before submitting again, to avoid paying twice",
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
            f"{kind} {host} ({self._scrub(str(exc)) or type(exc).__name__})",
            "check the network and the base URL (--base-url / AIML_API_BASE), then try again",
        )

    def _http_error(self, response: httpx.Response, job_id: str | None = None) -> Exception:
        code = response.status_code
        message = self._scrub(server_message(response.read())) or response.reason_phrase
        if 300 <= code < 400:
            location = response.headers.get("Location", "?")
            return RequestRejected(
                f"the server redirected to {self._scrub(location)} (HTTP {code}); stt does not follow redirects",
                "check the base URL (--base-url / AIML_API_BASE)",
                status_code=code,
            )
        if code == 401:
            return AuthError(f"the API key was refused (HTTP 401): {message}", "check it with `stt auth status`")
        if code == 403:
            return AuthError(
                f"access denied (HTTP 403): {message}",
                "check your account's credits and the key's permissions",
            )
        if code == 404 and job_id is not None:
            return RequestRejected(
                f"job {job_id} was not found (HTTP 404): {message}",
                "results are kept for one hour only; check the id with `stt jobs`",
                status_code=code,
            )
        if code in (408, 429):
            return RequestRejected(
                f"the service is busy or rate-limiting (HTTP {code}) and kept refusing after {MAX_ATTEMPTS} tries: "
                f"{message}",
                "wait a minute and try again, or lower the number of jobs in flight",
                status_code=code,
            )
        if 400 <= code < 500:
            return RequestRejected(
                f"the server rejected the request (HTTP {code}): {message}",
                "check the model id (stt models) and the options it takes (stt run --help)",
                status_code=code,
            )
        return ServerError(
            f"the server failed (HTTP {code}): {message}", "try again later; the service may be degraded"
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "****") if self._key else text


def quote_id(job_id: str) -> str:
    """The id as one safe path segment: `stt status ../../x` must not reach another path."""
    job_id = job_id.strip()
    if not job_id or job_id in (".", "..") or any(not ch.isprintable() or ch.isspace() for ch in job_id):
        raise UsageError(f"{job_id!r} is not a valid job id", "copy the id printed by `stt submit` or `stt jobs`")
    return quote(job_id, safe="")


def _is_tls_error(exc: Exception) -> bool:
    import ssl

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


class _SentCounter:
    """Wraps a body iterator to know whether it was sent whole (then an error means an unknown outcome)."""

    def __init__(self, stream: Iterator[bytes] | list[bytes]) -> None:
        self._stream = stream
        self.count = 0
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            self.count += len(chunk)
            yield chunk
        self.finished = True


def _quote_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _multipart(
    upload: UploadFile,
    fields: list[tuple[str, str]],
    boundary: str,
    progress: Progress | None,
    digest_out: dict[str, str],
) -> tuple[Iterator[bytes], int]:
    """A multipart/form-data body streamed from the open file, and its exact length (no chunked encoding)."""
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote_header(name)}"\r\n\r\n'.encode()
        + value.encode("utf-8")
        + b"\r\n"
        for name, value in fields
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{_quote_header(upload.filename)}"\r\n'
        f"Content-Type: {upload.content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = os.stat(upload.path).st_size

    def stream() -> Iterator[bytes]:
        digest = hashlib.sha256()
        yield head
        sent = 0
        with upload.path.open("rb") as handle:
            while chunk := handle.read(UPLOAD_CHUNK):
                digest.update(chunk)
                sent += len(chunk)
                if progress is not None:
                    progress(sent)
                yield chunk
        if sent != size:
            raise UsageError(f"{upload.path} changed size while it was being uploaded", "upload it again")
        digest_out["sha256"] = digest.hexdigest()
        yield tail

    return stream(), len(head) + size + len(tail)


def _uuid4() -> str:
    import uuid

    return str(uuid.uuid4())
