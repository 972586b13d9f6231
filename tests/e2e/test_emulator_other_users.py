"""Another user of the same machine against the emulator, for real (setpriv, when the tests run as root):
they cannot use the owner's emulator, the owner's stt neither uses nor stops theirs, and folders they made
in /tmp are not written in."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EmulatorHandle, free_port, one_error_line, run_stt, wait_until

from stt_cli.emulator import control

SETPRIV = shutil.which("setpriv")
pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="only Linux says who owns a socket"),
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user"),
    pytest.mark.skipif(SETPRIV is None, reason="setpriv is not installed"),
]
SECRET_NAME = "board-minutes-secret.wav"


def other_uid() -> int:
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user named nobody")


def as_other(args: list[str]) -> subprocess.CompletedProcess[str]:
    """A command run as nobody, with an environment of its own."""
    uid = other_uid()
    assert SETPRIV is not None
    command = [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *args]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    return subprocess.run(command, env=env, cwd="/", capture_output=True, text=True, timeout=60)


@pytest.fixture
def python_for_other() -> str:
    """An interpreter the other user may run (this one, when its files are readable by all)."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        if as_other([candidate, "-c", "import json, http.client"]).returncode == 0:
            return candidate
    pytest.skip("no Python the other user may run")


CLIENT = """
import http.client, json, sys
port, job = int(sys.argv[1]), sys.argv[2]
attempts = [
    ("GET", "/_emulator/requests", None), ("GET", "/_emulator/info", None), ("GET", "/v1/models", None),
    ("GET", "/v1/stt/" + job, None), ("POST", "/_emulator/reset", b"{}"),
    ("POST", "/_emulator/faults", b'{"endpoint": "poll", "responses": [{"status": 500}]}'),
    ("POST", "/_emulator/next-job", b'{"fail": "another user says so"}'),
    ("POST", "/_emulator/expire", json.dumps({"generation_id": job}).encode()),
    ("POST", "/v1/stt/create", b'{"model": "#g1_whisper-large", "url": "https://example.com/a.wav"}'),
    ("POST", "/_emulator/shutdown", b""),
]
seen = {}
for method, path, body in attempts:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    seen[method + " " + path] = [answer.status, answer.read().decode()]
    connection.close()
print(json.dumps(seen))
"""


def seed(emulator: EmulatorHandle) -> str:
    """An upload named SECRET_NAME in the log, and a fault queued: what the other user must not see or change."""
    boundary = "other-user-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n#g1_whisper-large\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{SECRET_NAME}"\r\n\r\n'
        ).encode()
        + os.urandom(3000)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", emulator.server.httpd.server_address[1], timeout=10)
    headers = {"Authorization": "Bearer k", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    try:
        connection.request("POST", "/v1/stt/create", body=body, headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        job = str(json.loads(response.read())["generation_id"])
    finally:
        connection.close()
    emulator.fault("poll", {"status": 503})
    return job


def test_another_user_can_neither_use_nor_read_nor_stop_the_emulator(
    emulator: EmulatorHandle, python_for_other: str
) -> None:
    job = seed(emulator)
    state = emulator.server.state

    def held() -> tuple[object, ...]:
        return json.dumps(state.requests.snapshot()), dict(state.faults), sorted(state.jobs), state.jobs[job].expired

    before = held()
    port = str(emulator.server.httpd.server_address[1])
    done = as_other([python_for_other, "-c", CLIENT, port, job])
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert len(seen) == 10
    for status, body in seen.values():
        assert status == 403 and json.loads(body)["message"].endswith("serves only the user who started it")
    assert SECRET_NAME not in done.stdout and '"pid"' not in done.stdout
    assert held() == before
    assert emulator.server._thread is not None and emulator.server._thread.is_alive()
    assert emulator.requests()[0]["filename"] == SECRET_NAME  # the owner still is served


@pytest.fixture
def others_emulator(python_for_other: str) -> Iterator[tuple[int, int]]:
    """A real stt emulator that the other user runs, on a port of its own: the port and its pid."""
    if python_for_other != sys.executable:
        pytest.skip("the other user cannot run this checkout's stt")
    if as_other([sys.executable, "-c", "import stt_cli.emulator.server"]).returncode != 0:
        pytest.skip("the other user cannot read this installation of stt (a private virtualenv, as in CI)")
    port = free_port()
    uid = other_uid()
    assert SETPRIV is not None
    home = Path(tempfile.mkdtemp(prefix="stt-other-home-"))
    os.chown(home, uid, uid)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "STT_CACHE_DIR": str(home / "cache"),
           "STT_CONFIG_DIR": str(home / "config"), "STT_DATA_DIR": str(home / "data")}  # fmt: skip
    process = subprocess.Popen(
        [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable, "-m", "stt_cli",
         "emulator", "--port", str(port)],
        env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "stt emulator listening on" in line, line + process.stderr.read()
        yield port, process.pid  # setpriv runs the emulator in its own process
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


def test_the_owner_s_stt_neither_uses_nor_stops_another_user_s_emulator(
    others_emulator: tuple[int, int], tmp_path: Path
) -> None:
    """Someone else's emulator on the port the README names could collect the owner's uploads: --detach
    does not adopt it, the foreground says whose it is (uid, name, and pid: root may look), --stop leaves it
    alone, and it refuses the owner."""
    port, pid = others_emulator
    uid = other_uid()
    who = f"uid {uid}, user {pwd.getpwuid(uid).pw_name}, pid {pid}"
    foreign = f"error: port {port} is held by another user's process ({who}): stt does not use it"
    detached = run_stt("emulator", "--detach", "--port", str(port), cwd=tmp_path, timeout=60)
    assert detached.returncode == 2 and one_error_line(detached.stderr).startswith(foreign), detached.stderr
    assert "export AIML_API_BASE" not in detached.stderr
    foreground = run_stt("emulator", "--port", str(port), cwd=tmp_path, timeout=60)
    assert foreground.returncode == 2 and one_error_line(foreground.stderr).startswith(foreign)
    stopped = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=60)
    assert stopped.returncode == 2
    assert f"belongs to another user ({who}): it was left alone" in one_error_line(stopped.stderr)
    with pytest.raises(control.ForeignOwner):
        control.probe("127.0.0.1", port)
    assert not control.port_refuses("127.0.0.1", port)  # it still serves its own user
    with pytest.raises(urllib.error.HTTPError) as refused:  # and refuses this one
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/info", timeout=10)
    assert refused.value.code == 403


IMPOSTOR = """
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Impostor(BaseHTTPRequestHandler):
    server_version = "stt-emulator"
    def log_message(self, *args):
        print(self.command, self.path, flush=True)
    def _answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self._answer({"emulator": "stt", "version": "9.9.9", "pid": os.getpid(), "base_url": "x",
                      "accepts_any_key": True})
    def do_POST(self):
        self._answer({"ok": True, "pid": os.getpid()})
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Impostor)
print("ready", flush=True)
server.serve_forever()
"""


def test_a_look_alike_emulator_of_another_user_is_neither_used_nor_asked_to_stop(
    python_for_other: str, tmp_path: Path
) -> None:
    """A server that answers everyone as an stt emulator would, run by someone else on the port: the
    kernel's table says whose it is before anything is sent to it."""
    port = free_port()
    uid = other_uid()
    assert SETPRIV is not None
    command = [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", python_for_other, "-c", IMPOSTOR]
    process = subprocess.Popen([*command, str(port)], env={"PATH": "/usr/bin:/bin"}, cwd="/",
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        detached = run_stt("emulator", "--detach", "--port", str(port), cwd=tmp_path, timeout=60)
        assert detached.returncode == 2 and "export AIML_API_BASE" not in detached.stderr
        who = f"uid {uid}, user {pwd.getpwuid(uid).pw_name}, pid {process.pid}"
        assert f"held by another user's process ({who})" in one_error_line(detached.stderr)
        stopped = run_stt("emulator", "--stop", "--port", str(port), cwd=tmp_path, timeout=60)
        assert stopped.returncode == 2 and f"({who}): it was left alone" in one_error_line(stopped.stderr)
    finally:
        process.terminate()
        seen, _ = process.communicate(timeout=10)
    assert seen == ""  # not a single request reached it


@pytest.fixture
def squatted() -> Iterator[Path]:
    """A folder the other user made in /tmp (world-writable, sticky), open to all, where the owner might
    have meant to make one."""
    where = Path(tempfile.mkdtemp(prefix="stt-squat-"))
    where.chmod(0o1777)
    name = where / "uploads"
    made = as_other(["/bin/sh", "-c", f"umask 0 && mkdir {name} && ln -s {name} {where / 'link'}"])
    assert made.returncode == 0, made.stderr
    yield where
    shutil.rmtree(where)


@pytest.mark.parametrize("path", ["uploads", "link", "uploads/below"])
def test_keep_uploads_is_never_a_folder_another_user_made(squatted: Path, tmp_path: Path, path: str) -> None:
    target = squatted / path
    done = run_stt("emulator", "--port", "0", "--keep-uploads", str(target), cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done.stderr)
    assert line.startswith(f"error: cannot keep uploads in {target}") and "another user" in line
    assert sorted(p.name for p in (squatted / "uploads").iterdir()) == []  # nothing made in theirs


def test_detach_writes_no_log_in_a_folder_another_user_made(squatted: Path, tmp_path: Path) -> None:
    cache = squatted / "uploads"
    env = {**os.environ, "STT_CACHE_DIR": str(cache)}
    env.pop("CI", None)
    done = run_stt("emulator", "--detach", "--port", "0", cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done.stderr)
    assert "the emulator's log folder is not private" in line and "STT_CACHE_DIR" in line
    assert sorted(p.name for p in cache.iterdir()) == []


def test_detach_s_log_is_the_owner_s_alone(tmp_path: Path) -> None:
    """The log names the --api-key: a 0600 file in a 0700 folder."""
    done = run_stt("emulator", "--detach", "--port", "0", "--api-key", "sk-private-0123", cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    port = int(done.stderr.split("127.0.0.1:", 1)[1].split("/", 1)[0])
    try:
        folder = tmp_path / "cache" / "stt-cli" / "emulator"
        log = folder / f"127.0.0.1-{port}.log"
        wait_until(lambda: "sk-private-0123" in log.read_text(), 10)
        assert folder.stat().st_mode & 0o777 == 0o700 and log.stat().st_mode & 0o777 == 0o600
        secret = folder / "owner-secret"  # what --detach and --stop check the emulator against, where needed
        assert secret.stat().st_mode & 0o777 == 0o600 and secret.read_text() not in log.read_text()
    finally:
        stopped = run_stt("emulator", "--stop", "--port", str(port), "--api-key", "sk-private-0123", cwd=tmp_path)
    assert stopped.returncode == 0, stopped.stderr  # its controls take its key
