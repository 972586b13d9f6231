"""`stt emulator --detach` and `--stop` as processes: a background emulator that serves and is found again,
stopped by its port; anything else on a port is left alone. Every emulator a test starts is stopped by it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import env_without_ci, free_port, one_error_line, raw, run_stt, wait_until

from stt_cli.emulator.engines import installed

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

STARTED = re.compile(
    r"stt emulator listening on (https?://127\.0\.0\.1:(\d+)/v1) \(pid (\d+); stop it: stt emulator --stop --port \2\)"
)


def refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def alive(pid: int) -> bool:
    """A process that runs (a zombie waiting for a reaper that never comes, in a container, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def processes_naming(text: str) -> list[int]:
    """The pids whose command line holds `text` (a path unique to the test)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if text in cmdline and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


class Detached:
    """The emulators a test detached, by the pid their own start printed: stopped at the end, by --stop,
    and if one still runs then, killed (it is this test's own grandchild, checked by its command line)."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.started: dict[int, tuple[int, list[str]]] = {}  # pid -> port, and its --api-key if it has one

    def start(self, *args: str) -> tuple[str, int, int, str]:
        done = run_stt("emulator", "--detach", *args, cwd=self.cwd, timeout=60)
        match = STARTED.search(done.stderr)
        assert done.returncode == 0 and match is not None, done.stderr
        url, port, pid = match.group(1), int(match.group(2)), int(match.group(3))
        key = list(args[args.index("--api-key") : args.index("--api-key") + 2]) if "--api-key" in args else []
        self.started[pid] = port, key
        return url, port, pid, done.stderr

    def cleanup(self) -> None:
        for pid, (port, key) in self.started.items():
            if alive(pid):
                run_stt("emulator", "--stop", "--port", str(port), *key, cwd=self.cwd, timeout=30)
            cmdline = Path(f"/proc/{pid}/cmdline")
            if alive(pid) and b"stt_cli\0emulator" in cmdline.read_bytes():
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def detached(tmp_path: Path) -> Iterator[Detached]:
    handle = Detached(tmp_path)
    yield handle
    handle.cleanup()


@pytest.fixture
def other_server() -> Iterator[ThreadingHTTPServer]:
    """Something else on a loopback port: a tiny http.server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def still_serves(server: ThreadingHTTPServer) -> bool:
    port = server.server_address[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
        return bool(answer.status == 200)


def info(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/info", timeout=5) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


def test_detach_starts_an_emulator_that_serves_in_its_own_session(
    detached: Detached, tmp_path: Path, talk: Path
) -> None:
    port = free_port()
    started = time.monotonic()
    url, shown_port, pid, stderr = detached.start("--port", str(port), "--processing-time", "0.2")
    assert time.monotonic() - started < 30  # the parent returned (its pipes closed: the child holds none)
    assert shown_port == port and url == f"http://127.0.0.1:{port}/v1"
    assert stderr.splitlines()[-1] == f"export AIML_API_BASE={url} AIML_API_KEY=anything"
    between = stderr.splitlines()[1:-1]  # the local engine's line, where the extra is installed (--engine auto)
    assert len(between) == (1 if installed("pocketsphinx") else 0) and "error" not in stderr
    assert all(line.startswith("transcribes your audio with pocketsphinx ") for line in between)
    assert alive(pid) and os.getsid(pid) == pid  # its own session: no terminal's signals reach it
    assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    log = tmp_path / "cache" / "stt-cli" / "emulator" / f"127.0.0.1-{port}.log"
    assert os.readlink(f"/proc/{pid}/fd/2") == str(log)
    env = env_without_ci(AIML_API_BASE=url, AIML_API_KEY="k")
    submitted = run_stt("submit", str(talk), cwd=tmp_path, env=env)
    assert submitted.returncode == 0, submitted.stderr
    status = run_stt("status", submitted.stdout.strip(), cwd=tmp_path, env=env)
    assert status.returncode == 0 and status.stdout.strip() in ("queued", "processing", "completed")
    assert info(port)["pid"] == pid


def test_detach_on_port_0_reports_the_real_port(detached: Detached) -> None:
    url, port, pid, _ = detached.start("--port", "0")
    assert port != 0
    assert info(port) == {
        "emulator": "stt",
        "version": info(port)["version"],
        "pid": pid,
        "base_url": url,
        "accepts_any_key": True,
        "requests_dropped": 0,
    }


def test_an_emulator_already_running_is_reused_and_the_foreground_says_what_to_do(
    detached: Detached, tmp_path: Path
) -> None:
    port = free_port()
    url, _, pid, _ = detached.start("--port", str(port))
    again = run_stt("emulator", "--detach", "--port", str(port), "--processing-time", "9", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    lines = again.stderr.splitlines()
    assert lines[0] == f"stt emulator already listening on {url} (pid {pid})"
    assert "options it was started with" in lines[1] and f"stt emulator --stop --port {port}" in lines[1]
    assert lines[2] == f"export AIML_API_BASE={url} AIML_API_KEY=anything"
    assert "error" not in again.stderr.lower() and "already in use" not in again.stderr
    foreground = run_stt("emulator", "--port", str(port), cwd=tmp_path, timeout=30)
    assert foreground.returncode == 2
    line = one_error_line(foreground.stderr)
    assert line.startswith(f"error: port {port} is already used by an stt emulator (pid {pid})")
    assert f"stt emulator --stop --port {port}" in line and "Address already in use" not in line
    assert alive(pid)


def test_stop_stops_the_emulator_and_frees_its_port(detached: Detached, tmp_path: Path) -> None:
    port = free_port()
    url, _, pid, _ = detached.start("--port", str(port))
    done = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"stopped the stt emulator on {url}\n"
    assert refuses(port)
    wait_until(lambda: not alive(pid), 5)
    log = tmp_path / "cache" / "stt-cli" / "emulator" / f"127.0.0.1-{port}.log"
    assert log.read_text().splitlines()[-1] == "emulator stopped"  # it ended as after Ctrl-C: exit 0
    with socket.socket() as sock:  # the port can be bound again at once
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_stop_with_nothing_listening_is_an_error(tmp_path: Path) -> None:
    port = free_port()
    done = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=30)
    assert done.returncode == 2
    assert one_error_line(done.stderr) == (
        f"error: no stt emulator to stop on 127.0.0.1:{port}: nothing listens there (check --host and --port)"
    )


def test_stop_leaves_another_server_alone(other_server: ThreadingHTTPServer, tmp_path: Path) -> None:
    port = other_server.server_address[1]
    done = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=30)
    assert done.returncode == 2
    assert "is not an stt emulator: it was left alone" in one_error_line(done.stderr)
    assert still_serves(other_server)


class Impostor(BaseHTTPRequestHandler):
    """Claims to be an stt emulator whose pid is the test's own, and has no shutdown endpoint."""

    server_version = "stt-emulator"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(200, {"emulator": "stt", "version": "0.0.1", "pid": os.getpid(), "base_url": "x"})

    def do_POST(self) -> None:
        self._answer(404, {"message": "no"})


def test_stop_never_signals_a_pid_from_the_wire(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Impostor)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        port = server.server_address[1]
        done = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=30)
        assert done.returncode == 5
        assert "cannot be stopped from here" in one_error_line(done.stderr)
        assert not refuses(port)  # it still listens, and this test (the pid it gave) still runs
    finally:
        server.shutdown()
        server.server_close()


def test_detach_reports_the_childs_error_as_its_own(tmp_path: Path) -> None:
    bad = tmp_path / "bad-cert-for-detach.pem"
    bad.write_text("not a certificate\n")
    port = free_port()
    done = run_stt(
        "emulator", "--detach", "--port", str(port), "--tls-cert", str(bad), "--tls-key", str(bad), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [one_error_line(done.stderr)]
    assert done.stderr.startswith("error: cannot use the TLS certificate or key")
    assert processes_naming(str(bad)) == [] and refuses(port)  # no orphan left behind
    assert list((tmp_path / "cache" / "stt-cli" / "emulator").glob("*.log")) == []


def test_detach_on_a_port_another_program_holds_keeps_the_error(
    other_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    port = other_server.server_address[1]
    done = run_stt("emulator", "--detach", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert one_error_line(done.stderr) == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(pick another --port, or stop what is using it)"
    )
    assert still_serves(other_server)


def test_detach_does_not_go_with_write_sample(tmp_path: Path) -> None:
    done = run_stt("emulator", "--detach", "--write-sample", "talk.wav", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [one_error_line(done.stderr)]
    assert "--detach" in done.stderr and not (tmp_path / "talk.wav").exists()


MALFORMED = [
    b"POST /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 2\r\n\r\n[]",
    b"POST /_emulator/next-job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 2\r\n\r\n[]",
    b"POST /_emulator/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: abc\r\n\r\n",
    b"POST /_emulator/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /v1/stt/create HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\n"
    b"Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
    b"POST /v1/stt/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n",
    b"POST /_emulator/advance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 9\r\n\r\n{"seconds',
]


def answered(port: int, request: bytes) -> int:
    """The status of the emulator's answer to `request`, sent as it is (the emulator closes the connection)."""
    head, _, body = raw(port, request).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert json.loads(body)["statusCode"] == status
    return status


def test_malformed_requests_are_answered_and_leave_the_detached_log_quiet(detached: Detached, tmp_path: Path) -> None:
    """Each gets a 400 with the JSON error body, and the log of the emulator in the background gets not a line
    (it got a traceback for each: 2.5 MB per 2,000 requests)."""
    _, port, pid, _ = detached.start("--port", "0")
    log = tmp_path / "cache" / "stt-cli" / "emulator" / f"127.0.0.1-{port}.log"
    wait_until(lambda: "export AIML_API_BASE" in log.read_text(), 10)
    before = log.read_text()
    for _ in range(30):
        assert [answered(port, request) for request in MALFORMED] == [400] * len(MALFORMED)
    assert log.read_text() == before
    assert info(port)["pid"] == pid  # and it serves on


def test_an_idle_connection_stops_neither_a_tls_emulator_nor_its_stop(
    detached: Detached, tmp_path: Path, tls_files: tuple[str, str]
) -> None:
    """One TCP connection that sends nothing: the emulator goes on accepting (the handshake is its handler
    thread's), curl -k gets its answer, and --stop reaches it."""
    cert, key = tls_files
    url, port, pid, _ = detached.start("--port", "0", "--tls-cert", cert, "--tls-key", key)
    assert url.startswith("https://")
    with socket.create_connection(("127.0.0.1", port), timeout=30):
        context = ssl.create_default_context(cafile=cert)
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/_emulator/info", timeout=10, context=context) as answer:
            assert json.loads(answer.read())["pid"] == pid
        done = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=30)
        assert done.returncode == 0, done.stderr
        assert done.stderr == f"stopped the stt emulator on {url}\n"
    wait_until(lambda: not alive(pid), 10)


def test_an_emulator_with_a_key_is_found_again_and_stopped_with_it(detached: Detached, tmp_path: Path) -> None:
    """Its controls need its key: --detach finds it again (and says it takes only its key), the foreground
    names it, --stop without the key leaves it be and says how, --stop with it stops it."""
    port = free_port()
    url, _, pid, _ = detached.start("--port", str(port), "--api-key", "emu-key-0123")
    again = run_stt("emulator", "--detach", "--port", str(port), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0] == f"stt emulator already listening on {url}"
    assert "accepts only the key it was started with" in again.stderr and "export" not in again.stderr
    foreground = run_stt("emulator", "--port", str(port), cwd=tmp_path, timeout=30)
    assert foreground.returncode == 2
    line = one_error_line(foreground.stderr)
    assert line.startswith(f"error: port {port} is already used by your stt emulator")
    assert f"stt emulator --stop --port {port} --api-key KEY" in line
    refused = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=30)
    assert refused.returncode == 2 and "takes its controls only with its key" in one_error_line(refused.stderr)
    assert alive(pid)
    stopped = run_stt("emulator", "--stop", "--port", str(port), "--api-key", "emu-key-0123", cwd=tmp_path, timeout=30)
    assert stopped.returncode == 0 and stopped.stderr == f"stopped the stt emulator on {url}\n"
    wait_until(lambda: not alive(pid), 10)
