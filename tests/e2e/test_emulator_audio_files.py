"""The emulator's idea of an upload's length, for real files that ffmpeg makes: a FLAC's STREAMINFO always,
another format by ffprobe only on a kept upload (--keep-uploads), else the size-based guess."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, start_emulator

from stt_cli.emulator.results import ASSUMED_BYTES_PER_SECOND

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def make_audio(path: Path, *codec: str, seconds: int = 3, channels: int = 1, rate: int = 44100) -> Path:
    tone = ["-f", "lavfi", "-i", f"sine=duration={seconds}:sample_rate={rate}", "-ac", str(channels)]
    subprocess.run(["ffmpeg", "-v", "error", "-y", *tone, *codec, str(path)], check=True, timeout=60)
    return path


def transcribe(emulator: EmulatorHandle, path: Path) -> dict[str, Any]:
    """Upload `path` (its job finishes at once) and return the finished job's result."""
    emulator.next_job(processing_time=0)
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nnova-3\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="multichannel"\r\n\r\ntrue\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{path.name}"\r\n\r\n'
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Authorization": "Bearer k", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    create = urllib.request.Request(f"{emulator.base_url}/stt/create", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(create, timeout=30) as response:
        job_id = json.loads(response.read())["generation_id"]
    poll = urllib.request.Request(f"{emulator.base_url}/stt/{job_id}", headers={"Authorization": "Bearer k"})
    with urllib.request.urlopen(poll, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "completed", answer
    result: dict[str, Any] = answer["result"]
    return result


def test_a_flac_length_comes_from_its_streaminfo(emulator: EmulatorHandle, tmp_path: Path) -> None:
    flac = make_audio(tmp_path / "x.flac", "-c:a", "flac", channels=2, rate=8000)  # small: the size guesses 1 s
    result = transcribe(emulator, flac)
    assert result["metadata"]["duration"] == 3.0
    assert result["metadata"]["channels"] == 2  # multichannel: one channel of words each
    last_word = result["results"]["channels"][0]["alternatives"][0]["words"][-1]
    assert 2.0 < last_word["end"] <= 3.0  # the placeholder words span the audio
    assert flac.stat().st_size / ASSUMED_BYTES_PER_SECOND < 2.0


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffprobe")
def test_another_format_is_measured_by_ffprobe_only_when_kept(emulator: EmulatorHandle, tmp_path: Path) -> None:
    ogg = make_audio(tmp_path / "x.ogg", "-c:a", "libvorbis", seconds=7)
    guessed = transcribe(emulator, ogg)["metadata"]["duration"]
    assert guessed == max(1.0, round(ogg.stat().st_size / ASSUMED_BYTES_PER_SECOND, 3))  # nothing kept to probe
    server = start_emulator(keep_uploads=tmp_path / "kept")
    try:
        keeper = EmulatorHandle(server)
        assert transcribe(keeper, ogg)["metadata"]["duration"] == pytest.approx(7.0, abs=0.05)
        (entry,) = keeper.creates()
        assert Path(entry["received_path"]).read_bytes() == ogg.read_bytes()
    finally:
        server.stop()
