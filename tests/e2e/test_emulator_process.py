"""`stt emulator` as a process: it serves, writes its sample without overwriting, and plays a faults file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
