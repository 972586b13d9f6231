"""The emulator under abuse from whoever can reach its port: a client that stops reading holds up no one, a
flood of refused requests leaves a small, bounded log, a malformed request gets a 400 and prints nothing, an
idle connection to a TLS emulator stops no one, and a form of many repeated fields is read in linear time
and refused past a bound. (As processes, with the detached emulator's log: tests/e2e/test_emulator_detach.py.)"""

from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, raw, start_emulator, wait_until

from stt_cli.emulator import tls
from stt_cli.emulator.reqlog import CUT_MARK, TEXT_CHARS, RequestLog
from stt_cli.emulator.server import MAX_FORM_FIELDS, Emulator

KEY = "the-emulator-key"
BOUNDARY = "abuse-boundary"


def port_of(server: Emulator | EmulatorHandle) -> int:
    httpd = server.server.httpd if isinstance(server, EmulatorHandle) else server.httpd
    return int(httpd.server_address[1])


def answer_of(data: bytes) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of the first answer in `data`."""
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(
        next(line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    )
    return status, json.loads(rest[:length])


# --- a client that stops reading -----------------------------------------------------------------------------
def test_a_client_that_stops_reading_the_log_holds_up_no_one(cli, emulator: EmulatorHandle, talk: Path) -> None:
    """The log (6 MB here) is sent outside the emulator's lock: while one client reads none of it, another
    user of the emulator is served as usual."""
    submitted = cli("submit", str(talk))
    assert submitted.exit_code == 0, submitted.stderr
    state = emulator.server.state
    with state.lock:
        for n in range(3000):
            state.requests.add({"method": "GET", "path": f"/filler/{n}", **{f"f{i}": "x" * 500 for i in range(4)}})
    assert state.requests.bytes > 6_000_000
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server's send blocks
    try:
        stalled.connect(("127.0.0.1", port_of(emulator)))
        stalled.sendall(f"GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1:{port_of(emulator)}\r\n\r\n".encode())
        wait_until(lambda: select.select([stalled], [], [], 0)[0], timeout=30)  # its answer has begun
        status = cli("status", submitted.stdout.strip())
        assert status.exit_code == 0, status.stderr
        assert status.stdout.strip() in ("queued", "processing", "completed")
        emulator.fault("poll", {"action": "pass"})  # and the controls answer too
    finally:
        stalled.close()


# --- a flood of refused requests ---------------------------------------------------------------------------
@pytest.fixture
def keyed() -> Iterator[EmulatorHandle]:
    server = start_emulator(api_key=KEY)
    yield EmulatorHandle(server)
    server.stop()


def test_a_flood_of_refused_requests_leaves_a_small_log(keyed: EmulatorHandle) -> None:
    """1,000 polls with a wrong key and a 60 KB path (and an 8 KB User-Agent): each is logged after the key
    check, as a 401, its texts cut; the log holds about 2 MB (it held 60 MB of paths before)."""
    connection = http.client.HTTPConnection("127.0.0.1", port_of(keyed), timeout=30)
    headers = {"Authorization": "Bearer wrong", "User-Agent": "u" * 8192, "Idempotency-Key": "i" * 8192}
    try:
        for n in range(1000):
            connection.request("GET", f"/v1/stt/{n:04d}{'a' * 60_000}", headers=headers)
            response = connection.getresponse()
            body = json.loads(response.read())
            assert response.status == 401 and len(body["path"]) <= 2048
    finally:
        connection.close()
    log = keyed.server.state.requests
    assert len(log) == 1000 and log.dropped == 0
    assert log.bytes < 1000 * (4 * TEXT_CHARS + 400)  # about 2 KB an entry: four texts cut, and the rest
    entries = keyed.requests()
    assert [e["generation_id"][:4] for e in entries] == [f"{n:04d}" for n in range(1000)]
    for entry in entries:
        assert entry["outcome"] == 401
        for name in ("path", "generation_id", "user_agent", "idempotency_key"):
            assert len(entry[name]) == TEXT_CHARS and entry[name].endswith(CUT_MARK)


@pytest.mark.parametrize("bound", ["entries", "bytes"])
def test_the_log_drops_its_oldest_past_its_bounds_and_says_how_many(
    cli, emulator: EmulatorHandle, talk: Path, bound: str
) -> None:
    state = emulator.server.state
    with state.lock:
        state.requests = RequestLog(max_entries=20) if bound == "entries" else RequestLog(max_bytes=2000)
    for n in range(30):
        assert cli("status", f"job-{n:02d}").exit_code != 0  # each poll logged (a 404)
    entries = emulator.requests()
    kept = [e["generation_id"] for e in entries]
    assert kept == [f"job-{n:02d}" for n in range(30 - len(kept), 30)]  # the newest, in order
    dropped = 30 - len(kept)
    assert (dropped == 10) if bound == "entries" else (dropped > 0 and state.requests.bytes <= 2000)
    with http_get(emulator, "/_emulator/requests") as response:
        assert response.headers["X-Requests-Dropped"] == str(dropped)
    with http_get(emulator, "/_emulator/info") as response:
        assert json.loads(response.read())["requests_dropped"] == dropped
    emulator.control("reset", {})
    assert emulator.requests() == [] and state.requests.dropped == 0


class http_get:
    """GET a path of the emulator, as a context manager of its response."""

    def __init__(self, emulator: EmulatorHandle, path: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port_of(emulator), timeout=10)
        self.path = path

    def __enter__(self) -> http.client.HTTPResponse:
        self.connection.request("GET", self.path)
        return self.connection.getresponse()

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


# --- malformed requests ------------------------------------------------------------------------------------
def control(path: str, body: bytes, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def framed(path: str, framing: str, body: bytes, content_type: str = "application/json") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{framing}\r\n".encode() + body


FORM_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def upload(framing: str, body: bytes) -> bytes:
    """A create with the key, its multipart body framed as given."""
    return framed("/v1/stt/create", f"Authorization: Bearer k\r\n{framing}", body, FORM_TYPE)


MALFORMED = {
    "faults []": (control("/_emulator/faults", b"[]"), 400),
    "faults of numbers": (control("/_emulator/faults", b'{"endpoint": "create", "responses": [1, 2]}'), 400),
    "fault status text": (control("/_emulator/faults", b'{"endpoint": "poll", "responses": [{"status": "x"}]}'), 400),
    "fault action": (control("/_emulator/faults", b'{"endpoint": "poll", "responses": [{"action": "boom"}]}'), 400),
    "fault header line": (
        control(
            "/_emulator/faults", b'{"endpoint": "poll", "responses": [{"headers": {"X": "a\\r\\nSet-Cookie: x"}}]}'
        ),
        400,
    ),
    "fault delay": (control("/_emulator/faults", b'{"endpoint": "poll", "responses": [{"delay": 1e999}]}'), 400),
    "next-job []": (control("/_emulator/next-job", b"[]"), 400),
    "next-job time": (control("/_emulator/next-job", b'{"processing_time": "soon"}'), 400),
    "next-job unknown": (control("/_emulator/next-job", b'{"fial": "typo"}'), 400),
    "expire []": (control("/_emulator/expire", b"[]"), 400),
    "expire number": (control("/_emulator/expire", b'{"generation_id": 5}'), 400),
    "advance text": (control("/_emulator/advance", b'"x"'), 400),
    "reset not json": (control("/_emulator/reset", b"{not json"), 400),
    "control too large": (control("/_emulator/faults", b" " * (2 * 1024 * 1024)), 413),
    "content-length text": (framed("/_emulator/reset", "Content-Length: abc\r\n", b""), 400),
    "content-length negative": (framed("/v1/stt/create", "Content-Length: -5\r\n", b"{}"), 400),
    "content-lengths differ": (framed("/v1/stt/create", "Content-Length: 2\r\nContent-Length: 3\r\n", b"{}"), 400),
    "chunk size": (framed("/_emulator/reset", "Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n"), 400),
    "chunk size upload": (upload("Transfer-Encoding: chunked\r\n", b"-1\r\n"), 400),
    "chunk size no key": (framed("/v1/stt/create", "Transfer-Encoding: chunked\r\n", b"-1\r\n", FORM_TYPE), 401),
    "chunk size later": (upload("Transfer-Encoding: chunked\r\n", b"4\r\n--ab\r\n+4\r\n"), 400),
    "request line": (b"GET / HTTP/1.1 and more\r\n\r\n", 400),
    "version": (b"GET /v1/models HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 505),
    "method": (b"BREW /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501),
    "header line": (b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"y" * 70000 + b"\r\n\r\n", 431),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_request_gets_a_json_answer_changes_nothing_and_prints_nothing(
    cli, emulator: EmulatorHandle, talk: Path, capfd: pytest.CaptureFixture[str], name: str
) -> None:
    submitted = cli("submit", str(talk))
    assert submitted.exit_code == 0
    emulator.fault("poll", {"action": "pass"})
    before = emulator.state()
    capfd.readouterr()
    request, expected = MALFORMED[name]
    status, body = answer_of(raw(port_of(emulator), request))
    assert status == expected and body["statusCode"] == expected, body
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    after = emulator.state()
    if name.startswith("chunk size "):  # a create that failed is logged, as any create is
        assert emulator.creates()[-1]["outcome"] == expected
        after["requests"] = before["requests"]
    assert after == before
    assert capfd.readouterr().err == ""
    assert cli("status", submitted.stdout.strip()).exit_code == 0  # it goes on serving


def test_an_error_of_the_emulator_s_own_is_one_short_line(
    cli, emulator: EmulatorHandle, talk: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the emulator itself fail on a request, it says so in one bounded line, never a traceback."""

    def broken(*args: object) -> None:
        raise RuntimeError("the result builder broke: " + "x" * 10_000)

    emulator.next_job(processing_time=0)
    submitted = cli("submit", str(talk))
    monkeypatch.setattr("stt_cli.emulator.server.build_result", broken)
    capfd.readouterr()
    raw(port_of(emulator), f"GET /v1/stt/{submitted.stdout.strip()} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer k\r\n\r\n".encode())  # fmt: skip
    printed: list[str] = []
    wait_until(lambda: printed.append(capfd.readouterr().err) or "builder broke" in "".join(printed), timeout=10)
    (line,) = "".join(printed).splitlines()
    assert line.startswith("stt emulator: a request failed: RuntimeError: the result builder broke: xxx")
    assert len(line) <= 300 and "Traceback" not in line


# --- TLS: an idle connection -------------------------------------------------------------------------------
def test_an_idle_connection_does_not_stop_a_tls_emulator_from_serving(
    tls_files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TCP connection that never starts its handshake: others are served meanwhile, and it is closed once
    the handshake's deadline passes."""
    monkeypatch.setattr(tls, "HANDSHAKE_SECONDS", 1.0)
    server = start_emulator(tls=tls_files)
    port = port_of(server)
    context = ssl.create_default_context(cafile=tls_files[0])
    idle = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        for _ in range(3):
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
            connection.request("GET", "/_emulator/info")
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["emulator"] == "stt"
            connection.close()
        assert idle.recv(1) == b""  # closed by the emulator, not by this test's timeout
    finally:
        idle.close()
        server.stop()


# --- forms of many fields ----------------------------------------------------------------------------------
def form(fields: int, value: str = "en") -> bytes:
    part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="language"\r\n\r\n{value}\r\n'.encode()
    return (
        part * fields
        + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\n#g1_whisper-large\r\n'.encode()
        + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n\r\n'.encode()
        + b"RIFF0000WAVE"
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def create(emulator: EmulatorHandle, body: bytes) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port_of(emulator), timeout=120)
    try:
        headers = {"Authorization": "Bearer k", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        connection.request("POST", "/v1/stt/create", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_form_of_many_repeated_fields_is_refused_past_the_bound(emulator: EmulatorHandle) -> None:
    """8 MB of a repeated field (135,000 parts; 46 s of parsing before): 413 naming the bound, read to its end
    so the client gets the answer; up to the bound, the fields are read and checked as usual."""
    body = form(8 * 1024 * 1024 // 64)
    assert len(body) > 8_000_000
    status, answer = create(emulator, body)
    assert status == 413 and f"more than {MAX_FORM_FIELDS} form fields" in answer["message"]
    status, answer = create(emulator, form(MAX_FORM_FIELDS - 3))
    assert status == 400 and "language: must be a string, not a list" in answer["message"]
    assert [c["outcome"] for c in emulator.creates()] == [413, 400]
