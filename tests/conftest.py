"""Shared fixtures: an isolated home for every test, a real emulator on a loopback port, an in-process CLI."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import resource
import secrets
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hostile import KEY as HOSTILE_KEY
from hostile import HostileServer
from typer.testing import CliRunner

from stt_cli.cli.app import app
from stt_cli.core.ledger import Ledger
from stt_cli.emulator.results import sample_wav
from stt_cli.emulator.server import Emulator

SAMPLE_TEXT = (
    "Welcome to the speech to text command line tool. Thanks. This recording was made offline, with a speech "
    "synthesizer. Every word you hear has a known start and end time. So subtitles and speaker labels work "
    "without an account."
)
IDS = ("3f1c9a2e-0001", "7b2d44aa-0002", "short03")  # the jobs of the ledger_with_jobs fixture


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, key file and ledger under the test's own temp dir; no key or base URL from the outside."""
    # stt's own directory variables, not XDG's: they work on every platform. The layout is XDG's.
    monkeypatch.setenv("STT_CONFIG_DIR", str(tmp_path / "config" / "stt-cli"))
    monkeypatch.setenv("STT_DATA_DIR", str(tmp_path / "data" / "stt-cli"))
    monkeypatch.setenv("STT_CACHE_DIR", str(tmp_path / "cache" / "stt-cli"))
    for name in (
        "AIML_API_KEY",
        "AIMLAPI_API_KEY",
        "AIML_API_BASE",
        "AIMLAPI_API_BASE",
        "STT_DEBUG",
        "NO_COLOR",
        "FORCE_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def plain_output() -> Iterator[None]:
    """The output sink's per-invocation state (verbosity, JSON error lines) as a fresh invocation has it: a test
    that calls a piece of the CLI directly must not inherit the last command's --json or -q."""
    from stt_cli.cli import hints, output

    output.set_verbosity(output.NORMAL)
    output.set_json_errors(False)
    hints.carry([])
    yield
    output.set_verbosity(output.NORMAL)
    output.set_json_errors(False)
    hints.carry([])


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their count and logic; only the sleeping between them shrinks."""
    monkeypatch.setattr("stt_cli.api.client.BACKOFF_BASE", 0.001)
    monkeypatch.setattr("stt_cli.api.client.BACKOFF_CAP", 0.005)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


class EmulatorHandle:
    def __init__(self, server: Emulator) -> None:
        self.server = server
        self.base_url = server.base_url
        self.root = self.base_url.removesuffix("/v1")

    def key_header(self) -> dict[str, str]:
        """The emulator's --api-key, which its controls need when it has one."""
        key = self.server.state.api_key
        return {"Authorization": f"Bearer {key}"} if key is not None else {}

    def control(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            f"{self.root}/_emulator/{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", **self.key_header()},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def fault(self, endpoint: str, *responses: dict[str, Any]) -> None:
        self.control("faults", {"endpoint": endpoint, "responses": list(responses)})

    def next_job(self, **settings: Any) -> None:
        self.control("next-job", settings)

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock ahead: pending jobs finish sooner."""
        self.control("advance", {"seconds": seconds})

    def requests(self) -> list[dict[str, Any]]:
        request = urllib.request.Request(f"{self.root}/_emulator/requests", headers=self.key_header())
        with urllib.request.urlopen(request, timeout=5) as response:
            result: list[dict[str, Any]] = json.loads(response.read())
            return result

    def creates(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r.get("kind") == "create"]

    def state(self) -> dict[str, Any]:
        """Everything a request could change in the emulator, read under its lock: two equal snapshots mean
        nothing was reset, scripted, created, logged or stopped in between."""
        state = self.server.state
        with state.lock:
            thread = self.server._thread
            return {
                "requests": json.dumps(state.requests.snapshot(), sort_keys=True),
                "jobs": sorted(state.jobs),
                "faults": {k: list(v) for k, v in state.faults.items()},
                "next_job": dict(state.next_job),
                "skew": state.skew,
                "serving": thread is not None and thread.is_alive(),
            }

    def polls(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["method"] == "GET" and r["path"].startswith("/v1/stt/")]


def start_emulator(**kwargs: Any) -> Emulator:
    kwargs.setdefault("processing_time", 0.2)
    return Emulator("127.0.0.1", 0, **kwargs).start()


def _serve(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> Iterator[EmulatorHandle]:
    server = start_emulator(**kwargs)
    handle = EmulatorHandle(server)
    monkeypatch.setenv("AIML_API_BASE", handle.base_url)
    monkeypatch.setenv("AIML_API_KEY", "test-key-0123456789abcdef")
    yield handle
    server.stop()


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorHandle]:
    """Envelope A ({status, result}), UUID ids, 200 on create."""
    yield from _serve(monkeypatch)


@pytest.fixture
def emulator_b(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorHandle]:
    """Envelope B ({id, status, output, error}), short ids, 201 on create."""
    yield from _serve(monkeypatch, envelope="b")


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    path = tmp_path / "talk.wav"
    path.write_bytes(sample_wav())
    return path


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl: (cert, key) paths."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def subprocess_env(emulator: EmulatorHandle) -> dict[str, str]:
    """The environment for `python -m stt_cli` in a subprocess: this emulator, a key, and not in CI mode."""
    env = dict(os.environ)
    env.update(AIML_API_BASE=emulator.base_url, AIML_API_KEY="k-0123456789abcdef")
    env.pop("CI", None)
    return env


def free_port() -> int:
    """A loopback port nothing listens on now (for a test that starts a server process of its own)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], object], timeout: float) -> None:
    """Poll `condition` every 50 ms; fail the test if it is not true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def write_wav(path: Path, seconds: float, tone: int = 0) -> Path:
    """A small mono 8 kHz WAV; different lengths or tones make different files (different sha256)."""
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(8000 * seconds)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(bytes([tone % 256, 0]) * frames)
    return path


def run_cli(*args: str, input: bytes | str | None = None, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)


@pytest.fixture
def cli() -> Any:
    return run_cli


def stderr_on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes, str]:
    """Run stt with stderr on a pseudo-terminal: exit code, stdout, and everything the terminal showed."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
    )
    os.close(terminal)
    seen = _read_terminal(controller)
    stdout, _ = proc.communicate(timeout=10)
    os.close(controller)
    return proc.returncode, stdout, seen.decode("utf-8", "replace")


def stdout_on_a_terminal(args: list[str], env: dict[str, str], cwd: Path, columns: int = 100) -> tuple[int, str]:
    """Run stt with stdout and stderr on a pseudo-terminal `columns` wide: exit code, and what it showed
    (its lines ended by a newline alone, not the terminal's carriage return and newline)."""
    import fcntl
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {name: value for name, value in env.items() if name not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", *args], env=env, cwd=cwd, stdout=terminal, stderr=terminal,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(terminal)
    seen = _read_terminal(controller)
    proc.wait(timeout=10)
    os.close(controller)
    return proc.returncode, seen.decode("utf-8", "replace").replace("\r\n", "\n")


def _read_terminal(controller: int) -> bytes:
    """All a pseudo-terminal shows until its last writer closes it (or 10 s of silence)."""
    seen = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


# --- shared by tests in more than one folder -----------------------------------------------------------
def recordings(folder: Path, count: int) -> list[Path]:
    return [write_wav(folder / f"rec{n:02d}.wav", 0.5 + n / 10) for n in range(count)]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def ledger_with_jobs() -> None:
    with Ledger() as ledger:
        for n, job_id in enumerate(IDS):
            ledger.add(job_id, "127.0.0.1:1", f"/audio/call-{n}.wav", "#g1_whisper-large", {}, None, None)


def upload(handle: EmulatorHandle, path: Path, model: str = "nova-3", timeout: float = 30, **fields: str) -> str:
    """POST /stt/create with `path` as a multipart upload (and `fields` as form fields) the way a client
    would, straight to the emulator; the new job's id."""
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in {"model": model, **fields}.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{path.name}"\r\n\r\n'.encode()
    )
    body = b"".join(parts) + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Authorization": "Bearer k", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(f"{handle.base_url}/stt/create", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        job_id: str = json.loads(answer.read())["generation_id"]
        return job_id


def poll_answer(handle: EmulatorHandle, job_id: str, timeout: float = 30) -> dict[str, Any]:
    """GET /stt/{job_id} straight to the emulator: its whole answer."""
    request = urllib.request.Request(f"{handle.base_url}/stt/{job_id}", headers={"Authorization": "Bearer k"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body: dict[str, Any] = json.loads(answer.read())
        return body


def raw(port: int, data: bytes) -> bytes:
    """Send `data` as it is, then read the answer to the end (the emulator closes the connection) or until
    it is complete."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def http_error(request: urllib.request.Request) -> tuple[int, dict[str, object]]:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    return caught.value.code, json.loads(caught.value.read())


def env_without_ci(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.pop("CI", None)
    return env


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "this is a bug" not in stderr and "Traceback" not in stderr
    return lines[0]


def run_stt(
    *args: str, cwd: Path, memory: int | None = None, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "stt_cli", *args],
        cwd=cwd,
        env=env or env_without_ci(),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    server = HostileServer()
    monkeypatch.setenv("AIML_API_BASE", server.base_url)
    monkeypatch.setenv("AIML_API_KEY", HOSTILE_KEY)
    yield server
    server.stop()


def big_file(path: Path, mib: int) -> Path:
    with path.open("wb") as handle:
        for _ in range(mib):
            handle.write(os.urandom(1024 * 1024))
    return path


def speech_dir() -> Path | None:
    """Real speech with its words (WAVs and .ref files): STT_SPEECH_DIR, else the clips kept with the tests
    (tests/data/speech, a copy of ../shared/speech with its note); None where neither is."""
    if os.environ.get("STT_SPEECH_DIR"):
        return Path(os.environ["STT_SPEECH_DIR"])
    kept = Path(__file__).resolve().parent / "data" / "speech"
    return kept if (kept / "goforward.wav").is_file() else None
