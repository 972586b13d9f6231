"""`stt emulator` as a process: it serves, writes its sample without overwriting, and plays a faults file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import SAMPLE_TEXT, http_error

from stt_cli.emulator.results import sample_wav


def test_the_emulator_command_serves_and_write_sample_refuses_to_overwrite(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", "emulator", "--port", "0", "--api-key", "only-this"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("stt emulator listening on http://127.0.0.1:")
        base = line.split()[-1]
        models = json.loads(urllib.request.urlopen(base + "/models", timeout=5).read())
        assert "#g1_whisper-large" in [m["id"] for m in models["data"]]
        request = urllib.request.Request(base + "/stt/x", headers={"Authorization": "Bearer wrong"})
        assert http_error(request)[0] == 401
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    target = tmp_path / "talk.wav"
    first = subprocess.run(
        [sys.executable, "-m", "stt_cli", "emulator", "--write-sample", str(target)], capture_output=True, text=True
    )
    assert first.returncode == 0
    assert target.read_bytes() == sample_wav()
    second = subprocess.run(
        [sys.executable, "-m", "stt_cli", "emulator", "--write-sample", str(target)], capture_output=True, text=True
    )
    assert second.returncode == 2 and "--force" in second.stderr


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


def test_the_emulator_command_limits_and_keeps_uploads(tmp_path: Path) -> None:
    """--bandwidth and --keep-uploads: said at start-up (after the listening line, whose last word stays the
    URL), and in force for an upload."""
    kept = tmp_path / "kept"
    command = ["emulator", "--port", "0", "--bandwidth", "4Mbit", "--keep-uploads", str(kept)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", *command],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline() for _ in range(3)]
        assert lines[0].startswith("stt emulator listening on http://127.0.0.1:")
        base = lines[0].split()[-1]
        assert "uploads read at 500 kB/s (4 Mbit/s) at most" in lines[1]
        assert f"uploads kept in {kept}" in lines[2]
        audio = os.urandom(600_000)
        body = (
            b'--b0\r\nContent-Disposition: form-data; name="model"\r\n\r\n#g1_whisper-large\r\n'
            b'--b0\r\nContent-Disposition: form-data; name="audio"; filename="a.Opus"\r\n\r\n'
            + audio
            + b"\r\n--b0--\r\n"
        )
        headers = {"Authorization": "Bearer k", "Content-Type": "multipart/form-data; boundary=b0"}
        started = time.monotonic()
        create = urllib.request.Request(base + "/stt/create", data=body, headers=headers, method="POST")
        with urllib.request.urlopen(create, timeout=30) as response:
            job_id = json.loads(response.read())["generation_id"]
        assert time.monotonic() - started >= 1.0  # 600 kB at 500 kB/s
        assert (kept / f"{job_id}.opus").read_bytes() == audio
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_a_client_that_goes_away_mid_upload_prints_no_traceback() -> None:
    """Ctrl-C during an upload, or a body stopped before its end, is the client's doing: the emulator's
    stderr says nothing of it, and it goes on serving."""
    import socket

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "stt_cli", "emulator", "--port", "0"], stderr=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip
    try:
        assert proc.stderr is not None
        base = proc.stderr.readline().split()[-1]
        host, port = base.removeprefix("http://").split("/")[0].split(":")
        for attempt in range(20):
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(
                    f"POST /v1/stt/create HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer k\r\n".encode()
                    + b"Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"20\r\n--b\r\nContent-Disposition: form-da\r\n"
                )
                sock.shutdown(socket.SHUT_WR)  # the body ends early: the emulator will answer 400...
                time.sleep(attempt / 2000)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            # ...to a client that has reset the connection (closed with a zero linger)
        time.sleep(0.5)
        models = urllib.request.urlopen(base + "/models", timeout=5).read()
        assert b"whisper" in models
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=5)
    assert "Traceback" not in stderr, stderr
