"""The emulator's controls (/_emulator/*) hold on their own, not only through guard.py's web-page checks: a
body that is not JSON (what a page can send without asking) changes nothing, a Host other than localhost or a
loopback address is refused even when --host listens beyond loopback, and an emulator with an --api-key takes
its controls only with it. And `stt emulator --detach`/`--stop` use a port only once it is shown to hold this
user's own emulator: where the system does not say who owns a socket, the emulator must prove it knows the
user's secret, before any key is sent."""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle, one_error_line, start_emulator

from stt_cli.core.config import cache_dir
from stt_cli.emulator import owners, proof
from stt_cli.emulator.server import Emulator

KEY = "emulator-key-0123"


def send(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, host: str = ""
) -> tuple[int, Any, dict[str, str]]:
    """One request with exactly these headers; its status, JSON body and headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{port}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None, dict(response.headers)
    finally:
        connection.close()


def port_of(server: Emulator | EmulatorHandle) -> int:
    httpd = server.server.httpd if isinstance(server, EmulatorHandle) else server.httpd
    return int(httpd.server_address[1])


def seed(emulator: EmulatorHandle, talk: Path, cli: Any) -> str:
    """A job, a queued fault and next-job settings: what a control request could wipe or change."""
    submitted = cli("submit", str(talk))
    assert submitted.exit_code == 0, submitted.stderr
    emulator.fault("poll", {"action": "pass"})
    emulator.next_job(processing_time=0)
    return str(submitted.stdout.strip())


POSTS = [
    ("/_emulator/reset", b"{}"),
    ("/_emulator/faults", b'{"endpoint": "poll", "responses": [{"status": 200, "body": {"status": "completed", '
     b'"result": {"text": "attacker text"}}}]}'),
    ("/_emulator/next-job", b'{"fail": "a page says so"}'),
    ("/_emulator/advance", b'{"seconds": 999}'),
    ("/_emulator/expire", b'{"generation_id": "JOB"}'),
    ("/_emulator/shutdown", b"{}"),
]  # fmt: skip
PAGE_TYPES = [  # the bodies a page may send with no preflight, and none at all
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=----page",
    None,
]


@pytest.mark.parametrize(("path", "body"), POSTS, ids=[p for p, _ in POSTS])
def test_a_page_s_text_plain_json_changes_nothing_and_the_next_run_is_the_user_s(
    cli, emulator: EmulatorHandle, talk: Path, path: str, body: bytes
) -> None:
    """The issue's own attack, with the headers a browser sends for a no-cors fetch: refused, nothing
    changed, and the user's next run prints the sample's words, not the page's."""
    job = seed(emulator, talk, cli)
    before = emulator.state()
    headers = {
        "Origin": "http://evil.example",
        "Content-Type": "text/plain;charset=UTF-8",
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "no-cors",
        "Sec-Fetch-Dest": "empty",
    }
    status, answer, _ = send(port_of(emulator), "POST", path, body.replace(b"JOB", job.encode()), headers)
    assert status == 403 and answer["statusCode"] == 403
    assert emulator.state() == before
    emulator.control("reset", {})
    run = cli("run", str(talk))
    assert run.exit_code == 0 and run.stdout == SAMPLE_TEXT + "\n"


@pytest.mark.parametrize("content_type", PAGE_TYPES, ids=["text", "form", "multipart", "none"])
@pytest.mark.parametrize(("path", "body"), POSTS, ids=[p for p, _ in POSTS])
def test_a_control_takes_only_json_even_with_no_origin(
    cli, emulator: EmulatorHandle, talk: Path, path: str, body: bytes, content_type: str | None
) -> None:
    """Should a browser (or an extension) leave out Origin and the fetch metadata, the body type still
    tells: a page cannot send application/json across origins without a preflight. 415, before the body."""
    job = seed(emulator, talk, cli)
    before = emulator.state()
    headers = {"Content-Type": content_type} if content_type else {}
    status, answer, _ = send(port_of(emulator), "POST", path, body.replace(b"JOB", job.encode()), headers)
    assert status == 415 and answer["statusCode"] == 415 and "application/json" in answer["message"]
    assert emulator.state() == before


CONTROLS = [("GET", "/_emulator/requests", b""), ("GET", "/_emulator/info", b""), *(("POST", p, b) for p, b in POSTS)]


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorHandle]:
    """An emulator started with --api-key KEY, stt pointed at it with that key."""
    server = start_emulator(api_key=KEY)
    handle = EmulatorHandle(server)
    monkeypatch.setenv("AIML_API_BASE", handle.base_url)
    monkeypatch.setenv("AIML_API_KEY", KEY)
    yield handle
    server.stop()


@pytest.mark.parametrize(("method", "path", "body"), CONTROLS, ids=[f"{m} {p}" for m, p, _ in CONTROLS])
def test_an_emulator_with_a_key_takes_its_controls_only_with_it(
    cli, keyed: EmulatorHandle, talk: Path, method: str, path: str, body: bytes
) -> None:
    job = seed(keyed, talk, cli)
    before = keyed.state()
    json_type = {"Content-Type": "application/json"} if method == "POST" else {}
    for key in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": f"Basic {KEY}"}):
        status, answer, _ = send(port_of(keyed), method, path, body.replace(b"JOB", job.encode()), {**json_type, **key})
        assert status == 401 and answer["statusCode"] == 401 and "key" in answer["message"], key
        assert job not in json.dumps(answer) and "pid" not in json.dumps(answer)
    assert keyed.state() == before
    with_key = {**json_type, "Authorization": f"Bearer {KEY}"}
    status, answer, _ = send(port_of(keyed), method, path, body.replace(b"JOB", job.encode()), with_key)
    assert status == 200, answer


def test_prove_is_open_without_the_key_and_tells_nothing(keyed: EmulatorHandle) -> None:
    """The one control a client asks before it sends a key: an emulator that has no secret says so."""
    status, answer, _ = send(port_of(keyed), "POST", "/_emulator/prove", b'{"challenge": "00"}',
                             {"Content-Type": "application/json"})  # fmt: skip
    assert status == 404 and "no secret" in answer["message"]


@pytest.fixture
def beyond_loopback() -> Iterator[Emulator]:
    """An emulator listening on every address (--host 0.0.0.0), with a key, as one shared on a network is."""
    server = Emulator("0.0.0.0", 0, processing_time=0.2, api_key=KEY).start()
    yield server
    server.stop()


@pytest.mark.parametrize("host", ["192.0.2.7:PORT", "10.1.2.3", "[2001:db8::1]:PORT", "stt-box.lan:PORT"])
def test_beyond_loopback_the_api_is_shared_and_the_controls_are_not(beyond_loopback: Emulator, host: str) -> None:
    port = port_of(beyond_loopback)
    key = {"Authorization": f"Bearer {KEY}"}
    named = host.replace("PORT", str(port))
    if not host.startswith("stt-box"):  # an IP address of this machine: the API answers
        assert send(port, "GET", "/v1/models", headers=key, host=named)[0] == 200
    for method, path, body in CONTROLS:
        headers = {**key, "Content-Type": "application/json"}
        status, answer, _ = send(port, method, path, body, headers, host=named)
        assert status == 421 and "localhost" in answer["message"], (method, path)
    assert beyond_loopback._thread is not None and beyond_loopback._thread.is_alive()
    assert send(port, "GET", "/_emulator/info", headers=key, host=f"localhost:{port}")[0] == 200


# --- --detach and --stop where the system does not say who owns a socket -----------------------------------
@pytest.fixture
def system_does_not_say(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a system whose kernel does not name a socket's owner (not Linux): only the secret can tell."""

    def unsupported(*args: object) -> None:
        raise owners.Unsupported("this system does not say")

    monkeypatch.setattr(owners, "find", unsupported)


class LookAlike:
    """Someone else's server on a port, answering everyone as an stt emulator would; it records what it is
    sent, and may pass /_emulator/prove on to the user's own emulator (`relay_to`) to borrow its answer."""

    def __init__(self, relay_to: int | None = None) -> None:
        self.seen: list[tuple[str, str, str | None]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "stt-emulator"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                owner.seen.append(("GET", self.path, self.headers.get("Authorization")))
                self._answer(200, {"emulator": "stt", "version": "9.9.9", "pid": 4242, "base_url": "x",
                                   "accepts_any_key": True})  # fmt: skip

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.seen.append(("POST", self.path, self.headers.get("Authorization")))
                if self.path == "/_emulator/prove" and relay_to is not None:
                    status, answer, _ = send(relay_to, "POST", self.path, body, {"Content-Type": "application/json"})
                    self._answer(status, answer)
                    return
                self._answer(200, {"ok": True, "proof": "00" * 32, "pid": 4242})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def look_alike() -> Iterator[LookAlike]:
    server = LookAlike()
    yield server
    server.close()


@pytest.fixture
def own_secret() -> bytes:
    """This user's emulator secret, as `stt emulator` makes it in stt's cache folder."""
    return proof.ensure(cache_dir() / "emulator")


@pytest.mark.usefixtures("system_does_not_say", "own_secret")
def test_a_look_alike_gets_neither_the_key_nor_a_shutdown(cli, look_alike: LookAlike) -> None:
    port = str(look_alike.port)
    unproven = f"error: port {port} is held by a process that does not prove to be your stt emulator"
    detached = cli("emulator", "--detach", "--port", port, "--api-key", KEY)
    assert detached.exit_code == 2 and one_error_line(detached.stderr).startswith(unproven), detached.stderr
    assert "pick another --port" in detached.stderr and "export" not in detached.stderr
    stopped = cli("emulator", "--stop", "--port", port, "--api-key", KEY)
    assert stopped.exit_code == 2
    assert "does not prove to be your stt emulator" in one_error_line(stopped.stderr)
    assert look_alike.seen == [("POST", "/_emulator/prove", None)] * 2  # a challenge, and nothing else


@pytest.mark.usefixtures("system_does_not_say")
def test_this_user_s_emulator_proves_itself_and_is_used_and_stopped(cli, own_secret: bytes) -> None:
    server = start_emulator(secret=own_secret, api_key=KEY)
    port = str(port_of(server))
    try:
        again = cli("emulator", "--detach", "--port", port, "--api-key", KEY)
        assert again.exit_code == 0, again.stderr
        assert (
            again.stderr.splitlines()[0] == f"stt emulator already listening on {server.base_url} (pid {os.getpid()})"
        )
        without_key = cli("emulator", "--detach", "--port", port)
        assert without_key.exit_code == 0 and "accepts only the key it was started with" in without_key.stderr
        refused = cli("emulator", "--stop", "--port", port)
        assert refused.exit_code == 2
        line = one_error_line(refused.stderr)
        assert "takes its controls only with its key" in line and f"--port {port} --api-key KEY" in line
        assert server._thread is not None and server._thread.is_alive()
        stopped = cli("emulator", "--stop", "--port", port, "--api-key", KEY)
        assert stopped.exit_code == 0 and stopped.stderr == f"stopped the stt emulator on {server.base_url}\n"
        server._thread.join(timeout=5)
        assert not server._thread.is_alive()
    finally:
        server.stop()


@pytest.mark.usefixtures("system_does_not_say")
@pytest.mark.parametrize("how", ["another secret", "no secret", "a relayed proof"])
def test_an_emulator_that_cannot_prove_it_is_this_user_s_is_not_used(cli, own_secret: bytes, how: str) -> None:
    """Another user's stt emulator (its own secret, or none), or a look-alike passing the challenge on to
    this user's real emulator on another port (whose answer names its own port): none is used."""
    secret = {"another secret": os.urandom(32), "no secret": None, "a relayed proof": own_secret}[how]
    server = start_emulator(secret=secret)
    relay = LookAlike(relay_to=port_of(server)) if how == "a relayed proof" else None
    port = str(relay.port if relay is not None else port_of(server))
    try:
        detached = cli("emulator", "--detach", "--port", port, "--api-key", KEY)
        assert detached.exit_code == 2
        assert "does not prove to be your stt emulator" in one_error_line(detached.stderr)
        if relay is not None:
            assert relay.seen == [("POST", "/_emulator/prove", None)]
        assert server._thread is not None and server._thread.is_alive()
    finally:
        if relay is not None:
            relay.close()
        server.stop()
