"""The emulator as users meet it: its command, its documented error bodies, its bearer check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import EmulatorHandle

from stt_cli.emulator.results import sample_wav


def _error(request: urllib.request.Request) -> tuple[int, dict[str, object]]:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    return caught.value.code, json.loads(caught.value.read())


@pytest.mark.parametrize(
    ("method", "path", "headers", "data", "status"),
    [
        ("GET", "/v1/stt/abc", {}, None, 401),
        ("GET", "/v1/stt/abc", {"Authorization": "Bearer k"}, None, 404),
        ("POST", "/v1/stt/create", {"Authorization": "Bearer k", "Content-Type": "application/json"}, b"{}", 400),
        ("POST", "/v1/stt/create", {"Authorization": "Basic k"}, b"{}", 401),
        ("GET", "/v1/nowhere", {}, None, 404),
    ],
)
def test_documented_error_bodies(
    emulator: EmulatorHandle, method: str, path: str, headers: dict[str, str], data: bytes | None, status: int
) -> None:
    request = urllib.request.Request(emulator.root + path, data=data, headers=headers, method=method)
    code, body = _error(request)
    assert code == status
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert body["statusCode"] == status and body["path"] == path


def test_validation_errors_name_the_field(emulator: EmulatorHandle) -> None:
    body = json.dumps(
        {"model": "#g1_whisper-large", "url": "https://x/a.wav", "custom_topic_mode": "loose", "diarize": "maybe"}
    ).encode()
    request = urllib.request.Request(
        emulator.base_url + "/stt/create",
        data=body,
        method="POST",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    code, error = _error(request)
    assert code == 400
    assert str(error["message"]).startswith("Body validation error!")
    assert "custom_topic_mode" in str(error["message"]) and "diarize" in str(error["message"])


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
        assert _error(request)[0] == 401
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
