"""Signals and pipes: Ctrl-C during an upload or while reading stdin, a second Ctrl-C, a closed pipe, TLS
failures, no local variables in a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle, big_file, start_emulator, wait_until

KEY = "sk-test-0123456789abcdefSECRET"


def _proc_env(emulator: EmulatorHandle, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(AIML_API_BASE=emulator.base_url, AIML_API_KEY=KEY, TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


# --- TLS: never retried, and SSL_CERT_FILE is the way out ------------------------------------------------
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
    big = big_file(tmp_path / "big.wav", 32)
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
    from stt_cli.formats.placeholder import PLACEHOLDER_NOTE

    assert done.stderr.replace(f"warning: {PLACEHOLDER_NOTE}\n", "") == ""  # a URL gets the emulator's placeholder


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
