"""The emulator refuses web pages and other users: a Host that is not this machine's (DNS rebinding), an
Origin, fetch metadata, a preflight, a client gone before its answer; a refused request changes nothing and
shows nothing. What it writes (--keep-uploads) is private, in a folder no other user can reach into.
(In a real browser, and as another user: tests/e2e/test_emulator_browser.py, test_emulator_other_users.py.)"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, one_error_line, start_emulator, wait_until

from stt_cli.emulator import guard, owners
from stt_cli.emulator.server import Emulator

SECRET_NAME = "board-minutes-secret.wav"
ERROR_FIELDS = {"message", "path", "requestId", "statusCode", "timestamp"}


@pytest.fixture
def seeded(emulator: EmulatorHandle) -> Iterator[tuple[EmulatorHandle, str]]:
    """An emulator with state to protect: one upload in its log, a fault queued, next-job settings."""
    status, answer = send(emulator, "POST", "/v1/stt/create", upload(), {"Content-Type": CONTENT_TYPE})
    assert status == 200, answer
    emulator.fault("poll", {"status": 503})
    emulator.next_job(fail="kept for the owner")
    yield emulator, str(answer["generation_id"])


BOUNDARY = "guard-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def upload() -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\n#g1_whisper-large\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="{SECRET_NAME}"\r\n'
            f"Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + os.urandom(2000)
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def send(
    emulator: EmulatorHandle,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    host: str | None = None,
) -> tuple[int, Any]:
    """One request with exactly these headers (and a bearer key); its status and JSON body."""
    connection = http.client.HTTPConnection(emulator.server.httpd.server_address[0], port(emulator), timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host if host is not None else f"127.0.0.1:{port(emulator)}")
        connection.putheader("Authorization", "Bearer k")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        assert not [h for h in response.headers if h.lower().startswith("access-control-")], response.headers
        return response.status, json.loads(data) if data else None
    finally:
        connection.close()


def port(emulator: EmulatorHandle) -> int:
    return int(emulator.server.httpd.server_address[1])


ATTEMPTS = [
    ("POST", "/_emulator/reset", b"{}"),
    ("POST", "/_emulator/faults", b'{"endpoint": "create", "responses": [{"status": 500}]}'),
    ("POST", "/_emulator/next-job", b'{"fail": "a page says so"}'),
    ("POST", "/_emulator/advance", b'{"seconds": 999}'),
    ("POST", "/_emulator/shutdown", b""),
    ("POST", "/v1/stt/create", b'{"model": "#g1_whisper-large", "url": "https://example.com/a.wav"}'),
    ("GET", "/_emulator/requests", None),
    ("GET", "/_emulator/info", None),
    ("GET", "/v1/models", None),
    ("GET", "/v1/stt/JOB", None),
]
IDS = [f"{m} {p}" for m, p, _ in ATTEMPTS]


def attempt(emulator: EmulatorHandle, job: str, index: int, **kwargs: Any) -> tuple[int, Any]:
    method, path, body = ATTEMPTS[index]
    return send(emulator, method, path.replace("JOB", job), body, **kwargs)


def refused(status: int, body: Any, expected: int, job: str) -> None:
    assert status == expected, body
    assert set(body) == ERROR_FIELDS and body["statusCode"] == expected
    leaked = json.dumps(body)
    assert SECRET_NAME not in leaked and job not in body["message"] and "pid" not in leaked


@pytest.mark.parametrize("index", range(len(ATTEMPTS)), ids=IDS)
@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:PORT", "localhost.evil.example:PORT", "127.0.0.1.nip.io:PORT",
             "localhost.:PORT", "0.0.0.0:PORT", "10.0.0.1:PORT", "[2001:db8::1]:PORT"]
)  # fmt: skip
def test_dns_rebinding_is_refused(seeded: tuple[EmulatorHandle, str], index: int, host: str) -> None:
    """A hostile name that now resolves to 127.0.0.1 reaches the port with its own name in Host: 421."""
    emulator, job = seeded
    before = emulator.state()
    status, body = attempt(emulator, job, index, host=host.replace("PORT", str(port(emulator))))
    refused(status, body, 421, job)
    assert emulator.state() == before


@pytest.mark.parametrize(
    "host", ["127.0.0.1:PORT", "127.0.0.1", "localhost:PORT", "LOCALHOST", "127.1.2.3:PORT", "[::1]:PORT"]
)
def test_loopback_names_are_answered(emulator: EmulatorHandle, host: str) -> None:
    status, body = send(emulator, "GET", "/_emulator/info", host=host.replace("PORT", str(port(emulator))))
    assert status == 200 and body["emulator"] == "stt"


def test_a_request_without_one_host_is_refused(emulator: EmulatorHandle) -> None:
    for head in (b"GET /_emulator/requests HTTP/1.0\r\n\r\n", b"GET /_emulator/requests HTTP/1.1\r\n"
                 b"Host: 127.0.0.1\r\nHost: evil.example\r\n\r\n"):  # fmt: skip
        with socket.create_connection(("127.0.0.1", port(emulator)), timeout=10) as sock:
            sock.sendall(head)
            answer = sock.makefile("rb").read()
        assert answer.startswith(b"HTTP/1.1 400"), answer
        assert b'"statusCode": 400' in answer and b"Host" in answer


@pytest.mark.parametrize("index", range(len(ATTEMPTS)), ids=IDS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:9"},  # a page on another loopback port
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame, a data: URL, a file
        {"Origin": "http://127.0.0.1:PORT"},  # even its own origin: the emulator serves no page
        {"Content-Type": "text/plain", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},  # an <img>
        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},  # a link or a window.open
        {"Sec-Fetch-Mode": "websocket"},
    ],
    ids=["other-port", "other-site", "null", "own", "same-site", "img", "same-origin", "link", "websocket"],
)
def test_web_pages_are_refused(seeded: tuple[EmulatorHandle, str], index: int, headers: dict[str, str]) -> None:
    emulator, job = seeded
    before = emulator.state()
    headers = {name: value.replace("PORT", str(port(emulator))) for name, value in headers.items()}
    status, body = attempt(emulator, job, index, headers=headers)
    refused(status, body, 403, job)
    assert emulator.state() == before


def test_a_typed_address_is_answered(emulator: EmulatorHandle) -> None:
    """The user typing the request log's address in their browser: a navigation from no page at all."""
    headers = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    status, body = send(emulator, "GET", "/_emulator/requests", headers=headers)
    assert status == 200 and isinstance(body, list)


@pytest.mark.parametrize("origin", [{"Origin": "http://127.0.0.1:9"}, {}])
def test_preflights_are_refused(seeded: tuple[EmulatorHandle, str], origin: dict[str, str]) -> None:
    emulator, job = seeded
    before = emulator.state()
    headers = {**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    status, body = send(emulator, "OPTIONS", "/_emulator/reset", headers=headers)
    refused(status, body, 403, job)
    assert emulator.state() == before


def test_a_fault_cannot_make_an_answer_readable_by_a_page(emulator: EmulatorHandle) -> None:
    emulator.fault("poll", {"status": 200, "headers": {"Access-Control-Allow-Origin": "*", "X-Kept": "yes"},
                            "body": {"status": "completed"}})  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port(emulator), timeout=10)
    connection.request("GET", "/v1/stt/x", headers={"Authorization": "Bearer k"})
    response = connection.getresponse()
    assert response.status == 200 and response.headers["X-Kept"] == "yes"
    assert response.headers["Access-Control-Allow-Origin"] is None
    connection.close()


def test_a_refused_request_s_body_is_never_read(emulator: EmulatorHandle) -> None:
    """The answer comes at once, for a body announced and never sent; the connection is closed after it."""
    with socket.create_connection(("127.0.0.1", port(emulator)), timeout=10) as sock:
        sock.sendall(
            f"POST /_emulator/reset HTTP/1.1\r\nHost: 127.0.0.1:{port(emulator)}\r\nOrigin: null\r\n"
            "Content-Type: text/plain\r\nContent-Length: 1000000000\r\n\r\n".encode()
        )
        answer = sock.makefile("rb").read()  # to the end: the emulator closed the connection
    assert answer.startswith(b"HTTP/1.1 403") and b"Connection: close" in answer


def test_the_api_answers_as_before_without_those_headers(emulator: EmulatorHandle) -> None:
    status, answer = send(emulator, "POST", "/v1/stt/create", upload(), {"Content-Type": CONTENT_TYPE})
    assert status == 200 and set(answer) == {"generation_id"}
    assert send(emulator, "GET", f"/v1/stt/{answer['generation_id']}")[0] == 200
    assert send(emulator, "POST", "/_emulator/reset", b"{}", {"Content-Type": "application/json"})[1] == {"ok": True}


# --- other users: the connecting socket's owner, from the kernel's table ------------------------------------
linux = pytest.mark.skipif(sys.platform != "linux", reason="only Linux says who owns a socket")


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A loopback connection: its client's and its server's sockets."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.create_connection(listener.getsockname(), timeout=10)
        server, _ = listener.accept()
        with client, server:
            yield client, server


@linux
def test_the_kernel_names_the_owner_of_each_end(connection: tuple[socket.socket, socket.socket]) -> None:
    client, server = connection
    ends = (client.getsockname(), server.getsockname())
    for local, remote in (ends, ends[::-1]):
        entry = owners.find(local, remote)
        assert entry is not None and entry.state == owners.ESTABLISHED and entry.held
        assert entry.uid == os.geteuid()
        addresses = (owners._ip(local[0]), local[1], owners._ip(remote[0]), remote[1])
        assert owners._proc(*addresses) == owners._netlink(*addresses) == entry  # both ways of asking agree
    assert owners.find(ends[0], ("127.0.0.1", 1)) is None
    assert guard.peer_refusal(client.getsockname(), server.getsockname(), "127.0.0.1") is None


@linux
def test_a_client_gone_before_its_answer_is_refused(connection: tuple[socket.socket, socket.socket]) -> None:
    """Once closed, the table keeps a remnant whose owner it no longer knows (it says uid 0): refused, even
    by an emulator that runs as root."""
    client, server = connection
    peer, local = client.getsockname(), server.getsockname()
    client.close()
    wait_until(lambda: (entry := owners.find(peer, local)) is None or not entry.held, timeout=5)
    refusal = guard.peer_refusal(peer, local, "127.0.0.1")
    assert refusal is not None and refusal.status == 403
    assert guard.peer_refusal(("127.0.0.1", 1), local, "127.0.0.1") is not None  # not in the table at all


@linux
def test_clients_gone_at_once_leave_the_emulator_quiet_and_serving(
    seeded: tuple[EmulatorHandle, str], capfd: pytest.CaptureFixture[str]
) -> None:
    """Sent, then closed at once, many times: refused or answered to a closed socket, depending on when the
    emulator looks; nothing printed, and it goes on serving."""
    emulator, _ = seeded
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port(emulator)), timeout=10) as sock:
            sock.sendall(f"GET /_emulator/info HTTP/1.1\r\nHost: 127.0.0.1:{port(emulator)}\r\n\r\n".encode())
    assert send(emulator, "GET", "/_emulator/info")[0] == 200
    assert capfd.readouterr().err == ""


# --- what it writes -------------------------------------------------------------------------------------------
def test_kept_uploads_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "made" / "kept"
    server = start_emulator(keep_uploads=folder)
    try:
        handle = EmulatorHandle(server)
        status, answer = send(handle, "POST", "/v1/stt/create", upload(), {"Content-Type": CONTENT_TYPE})
        assert status == 200
        (kept,) = folder.iterdir()
        assert kept.name == f"{answer['generation_id']}.wav"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert handle.creates()[0]["received_path"] == str(kept)
    finally:
        server.stop()


def test_a_kept_folder_removed_meanwhile_is_made_private_again(tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    server = start_emulator(keep_uploads=folder)
    try:
        folder.rmdir()
        status, _ = send(EmulatorHandle(server), "POST", "/v1/stt/create", upload(), {"Content-Type": CONTENT_TYPE})
        assert status == 200 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("mode", "where", "said"),
    [
        (0o777, "folder", "other users may write in"),
        (0o770, "folder", "other users may write in"),
        (0o777, "parent", "no sticky bit"),
    ],
)
def test_a_kept_folder_others_can_reach_into_is_refused(cli, tmp_path: Path, mode: int, where: str, said: str) -> None:  # type: ignore[no-untyped-def]
    parent = tmp_path / "shared"
    folder = parent / "kept"
    folder.mkdir(parents=True)
    (folder if where == "folder" else parent).chmod(mode)
    result = cli("emulator", "--port", "0", "--keep-uploads", str(folder))
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: cannot keep uploads in {folder}") and said in line
    assert "pick a folder of your own" in line


def test_a_sticky_world_writable_parent_is_fine(tmp_path: Path) -> None:
    """Like /tmp: others may write there, and the sticky bit keeps them from renaming what is not theirs."""
    parent = tmp_path / "like-tmp"
    parent.mkdir()
    parent.chmod(0o1777)
    server = Emulator("127.0.0.1", 0, keep_uploads=parent / "kept")
    server.stop_serving()
    assert stat.S_IMODE((parent / "kept").stat().st_mode) == 0o700


def test_a_kept_alive_connection_serves_request_after_request(emulator: EmulatorHandle) -> None:
    """The owner check is made once per connection: a kept-alive connection serves request after request."""
    connection = http.client.HTTPConnection("127.0.0.1", port(emulator), timeout=10)
    try:
        for _ in range(3):
            connection.request("GET", "/_emulator/info")
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["emulator"] == "stt"
    finally:
        connection.close()
