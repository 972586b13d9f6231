"""Issue 4: faults, interruptions, security and bad input, each against a real server on loopback."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle, start_emulator, wait_until

KEY = "sk-test-0123456789abcdefSECRET"


def _proc_env(emulator: EmulatorHandle, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(AIML_API_BASE=emulator.base_url, AIML_API_KEY=KEY, TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _big_file(path: Path, mib: int) -> Path:
    with path.open("wb") as handle:
        for _ in range(mib):
            handle.write(os.urandom(1024 * 1024))
    return path


# --- the create call: retried only where no job can exist --------------------------------------------------
def test_a_connection_lost_after_the_whole_upload_is_an_unknown_outcome(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    emulator.fault("create", {"action": "close"})
    result = cli("submit", str(talk))
    assert result.exit_code == 5
    [create] = emulator.creates()  # never blindly uploaded again
    assert "may or may not exist" in result.stderr
    assert create["idempotency_key"] in result.stderr
    assert hashlib.sha256(talk.read_bytes()).hexdigest() in result.stderr


def test_a_connection_reset_mid_upload_is_retried_with_the_same_key(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    big = _big_file(tmp_path / "big.wav", 24)
    emulator.fault("create", {"action": "reset", "after_bytes": 65536})
    result = cli("submit", str(big))
    assert result.exit_code == 0, result.stderr
    creates = emulator.creates()
    assert [c["outcome"] for c in creates] == ["fault", "created"]
    assert creates[0]["idempotency_key"] == creates[1]["idempotency_key"]
    assert creates[1]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()


def test_the_same_idempotency_key_never_makes_two_jobs(emulator: EmulatorHandle) -> None:
    import urllib.request

    def create() -> str:
        request = urllib.request.Request(
            emulator.base_url + "/stt/create",
            method="POST",
            data=json.dumps({"model": "#g1_whisper-large", "url": "https://x/a.wav"}).encode(),
            headers={"Authorization": "Bearer k", "Content-Type": "application/json", "Idempotency-Key": "same"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(json.loads(response.read())["generation_id"])

    assert create() == create()


# --- TLS: never retried, and SSL_CERT_FILE is the way out ------------------------------------------------
@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[str, str]:
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


def test_tls_verification_failure_is_not_retried_and_names_ssl_cert_file(
    cli, talk: Path, tls_files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_emulator(tls=tls_files)
    try:
        monkeypatch.setenv("AIML_API_KEY", KEY)
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        result = cli("run", str(talk), "--base-url", server.base_url)
        assert result.exit_code == 5
        assert "certificate verification failed" in result.stderr and "SSL_CERT_FILE" in result.stderr
        assert server.httpd.accepted == 1
        monkeypatch.setenv("SSL_CERT_FILE", tls_files[0])
        trusted = cli("run", str(talk), "--base-url", server.base_url)
        assert trusted.exit_code == 0, trusted.stderr
        assert trusted.stdout == SAMPLE_TEXT + "\n"
    finally:
        server.stop()


# --- interruptions -----------------------------------------------------------------------------------------
def test_interrupt_during_upload_creates_nothing_and_leaves_nothing(emulator: EmulatorHandle, tmp_path: Path) -> None:
    big = _big_file(tmp_path / "big.wav", 32)
    emulator.fault("create", {"action": "stall", "delay": 8})
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", "run", str(big), "-o", "out.txt"],
        cwd=tmp_path,
        env=_proc_env(emulator, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The fault above was the first connection: the second is stt's upload (hashing 32 MB comes before it).
    wait_until(lambda: emulator.server.httpd.accepted >= 2, timeout=20)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "no job was created" in stderr and "Traceback" not in stderr
    assert stdout == ""
    assert not (tmp_path / "out.txt").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_interrupt_while_reading_stdin_removes_the_spool_file(emulator: EmulatorHandle, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", "run", "-"],
        cwd=tmp_path,
        env=_proc_env(emulator, tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(b"RIFF" + b"\0" * 100_000)
    proc.stdin.flush()
    spool = tmp_path / "cache" / "stt-cli" / "spool"  # stdin is spooled in stt's cache dir, not in TMPDIR
    wait_until(lambda: spool.is_dir() and any(spool.iterdir()), timeout=10)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert b"no job was created" in stderr
    assert list(spool.iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []
    assert emulator.creates() == []


def test_a_second_interrupt_exits_at_once(tmp_path: Path) -> None:
    code = (
        "import os, signal, time\n"
        "from stt_cli.cli import app\n"
        "signal.signal(signal.SIGINT, app._on_interrupt)\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT); time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('cleaning up', flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGINT); time.sleep(5)\n"
        "    print('not reached', flush=True)\n"
    )
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10)
    assert done.returncode == 130
    assert done.stdout == "cleaning up\n"
    assert time.monotonic() - began < 4


def test_a_closed_pipe_ends_quietly(emulator: EmulatorHandle, tmp_path: Path) -> None:
    emulator.next_job(processing_time=0)
    env = _proc_env(emulator, tmp_path)
    job_id = subprocess.run(
        [sys.executable, "-m", "stt_cli", "submit", "https://example.com/long.mp3"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    done = subprocess.run(
        f"{sys.executable} -m stt_cli fetch {job_id} -f json | head -c 100 > /dev/null; echo ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.strip() == "0"
    assert done.stderr == ""


# --- security ----------------------------------------------------------------------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_key_file_owned_by_another_user_is_refused(
    cli, isolated_home: Path, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_KEY")
    cli("auth", "login", input=KEY)
    os.chown(isolated_home / "config" / "stt-cli" / "credentials.json", 65534, -1)
    result = cli("run", str(talk))
    assert result.exit_code == 3
    assert "belongs to another user" in result.stderr
    assert emulator.requests() == []


def test_the_key_is_scrubbed_from_server_messages(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIML_API_KEY", KEY)
    emulator.fault("create", {"status": 400, "body": {"message": f"key {KEY} is not valid for this model"}})
    result = cli("submit", str(talk))
    assert result.exit_code == 4
    assert KEY not in result.stderr and "SECRET" not in result.stderr
    assert "key **** is not valid" in result.stderr


def test_a_redirect_never_carries_the_key_to_another_host(cli, emulator: EmulatorHandle, talk: Path) -> None:
    other = start_emulator()
    try:
        emulator.fault("create", {"action": "redirect", "headers": {"Location": other.base_url + "/stt/create"}})
        result = cli("submit", str(talk))
        assert result.exit_code == 4
        assert other.state.requests == []
        assert other.httpd.accepted == 0
    finally:
        other.stop()


def test_a_key_with_a_trailing_newline_is_trimmed(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.server.state.api_key = KEY
    monkeypatch.setenv("AIML_API_KEY", KEY + "\n")
    assert cli("submit", str(talk)).exit_code == 0


def test_local_variables_never_reach_a_traceback(tmp_path: Path) -> None:
    code = (
        "import os\n"
        "from stt_cli.cli.app import _boundary\n"
        "def boom():\n"
        f"    api_key = {KEY!r}\n"
        "    raise ValueError('bad')\n"
        "raise SystemExit(_boundary(boom))\n"
    )
    for debug in ("", "1"):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "STT_DEBUG": debug}
        )
        assert done.returncode == 1
        assert KEY not in done.stderr
    assert "Traceback" in done.stderr  # STT_DEBUG=1 shows the frames, never their locals


# --- bad input ---------------------------------------------------------------------------------------------
def test_a_non_audio_file_is_warned_about_and_still_sent(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio at all", encoding="utf-8")
    result = cli("submit", str(notes))
    assert result.exit_code == 0
    assert "does not look like audio" in result.stderr
    assert len(emulator.creates()) == 1
    quiet = cli("submit", str(talk))  # real audio: no warning
    assert quiet.exit_code == 0 and "does not look like audio" not in quiet.stderr


def test_sniffing_knows_common_containers() -> None:
    from stt_cli.core.sources import looks_like_media

    for head in (
        b"RIFF\0\0\0\0WAVE",
        b"ID3\x04",
        b"\xff\xfb\x90",
        b"fLaC",
        b"OggS",
        b"\0\0\0\x20ftypM4A ",
        b"\x1a\x45\xdf\xa3",
        b"#!AMR\n",
    ):
        assert looks_like_media(head), head
    for head in (b"", b"hello", b"%PDF-1.7", b'{"a": 1}'):
        assert not looks_like_media(head), head


def test_max_size(cli, emulator: EmulatorHandle, talk: Path) -> None:
    size = talk.stat().st_size
    over = cli("run", str(talk), "--max-size", str(size - 1))
    assert over.exit_code == 2
    assert "over the --max-size" in over.stderr
    piped = cli("run", "-", "--max-size", "100k", input=talk.read_bytes())
    assert piped.exit_code == 2
    assert "stdin is over the --max-size" in piped.stderr
    assert emulator.requests() == []
    assert cli("run", str(talk), "--max-size", "1MiB").exit_code == 0
    bad = cli("run", str(talk), "--max-size", "huge")
    assert bad.exit_code == 2 and "not a size" in bad.stderr


def test_an_unwritable_output_directory_is_refused_before_upload(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    target = "/sys/stt-output.txt" if os.geteuid() == 0 else str(tmp_path / "ro" / "out.txt")
    if os.geteuid() != 0:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o500)
    result = cli("run", str(talk), "-o", target)
    assert result.exit_code == 2
    assert "cannot write in the output directory" in result.stderr
    assert emulator.requests() == []


def test_emulator_faults_from_a_file(tmp_path: Path, talk: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"create": [{"status": 503}, {"status": 503}]}), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stt_cli",
            "emulator",
            "--port",
            "0",
            "--processing-time",
            "0.1",
            "--faults",
            str(faults),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        base = proc.stderr.readline().split()[-1]
        env = {**os.environ, "AIML_API_BASE": base, "AIML_API_KEY": "k"}
        done = subprocess.run(
            [sys.executable, "-m", "stt_cli", "run", str(talk)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == SAMPLE_TEXT + "\n"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    broken = tmp_path / "broken.json"
    broken.write_text('{"poll": "close"}', encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-m", "stt_cli", "emulator", "--faults", str(broken)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 2 and "faults file" in refused.stderr
