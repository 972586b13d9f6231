"""Bad input for the emulator's local engine (pocketsphinx): a file that is not audio, silence, 0.1 s, six
hours, 96 kHz in 8 channels, a corrupt FLAC. Each gets a failed job that says why, or an empty transcript,
while another client's status is answered all along; the workers stay within their memory. Made with
ffmpeg (skipped without it, or without the local extra)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, one_error_line, poll_answer, speech_dir, start_emulator, upload

from stt_cli.emulator import engines

SPEECH = speech_dir()
MAX_WORKER_MEMORY = 400 * 1024  # kB resident at its peak: the model is about 110 MB, a stretch of speech 1 MB

pytestmark = [
    pytest.mark.skipif(not engines.installed("pocketsphinx"), reason='needs the local extra: pip install ".[local]"'),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to make the inputs"),
]


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorHandle]:
    server = start_emulator(engine="pocketsphinx", workers=2)
    handle = EmulatorHandle(server)
    monkeypatch.setenv("AIML_API_BASE", handle.base_url)
    monkeypatch.setenv("AIML_API_KEY", "test-key-0123456789abcdef")
    yield handle
    server.stop()


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def finished(handle: EmulatorHandle, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (answer := poll_answer(handle, job_id, timeout=10))["status"] in ("waiting", "active"):
        assert time.monotonic() < deadline, f"job {job_id} still {answer['status']}"
        time.sleep(0.05)
    return answer


def transcripts(answer: dict[str, Any]) -> list[str]:
    return [c["alternatives"][0]["transcript"] for c in answer["result"]["results"]["channels"]]


def write_wav(path: Path, frames: bytes, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(frames)
    return path


def test_each_bad_input_fails_or_is_empty_while_another_client_is_answered(
    local: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the emulator's copies of uploads land here
    (tmp_path / "tmp").mkdir()
    text = tmp_path / "notes.mp3"
    text.write_text("These are my notes, not audio.\n" * 50)
    silence = write_wav(tmp_path / "silence.wav", bytes(16000 * 2 * 20))
    tenth = write_wav(tmp_path / "tenth.wav", bytes(range(256)) * 12 + bytes(128))  # 0.1 s of buzz
    six_hours = tmp_path / "six-hours.flac"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=1000:cl=mono", "-t", "21600", "-c:a", "flac", str(six_hours))
    eight = tmp_path / "eight.wav"  # 96 kHz, 8 channels of tones, 20 s: long enough to be seen decoding
    tones = ";".join(f"sine=f={300 + 100 * n}:r=96000:d=20[t{n}]" for n in range(8))
    ffmpeg("-filter_complex", f"{tones};{''.join(f'[t{n}]' for n in range(8))}amerge=inputs=8", str(eight))
    corrupt = tmp_path / "corrupt.flac"
    ffmpeg("-i", str(SPEECH / "librivox_0870.wav" if SPEECH else eight), "-ac", "1", "-c:a", "flac", str(corrupt))
    data = bytearray(corrupt.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 4096] = secrets.token_bytes(4096)
    corrupt.write_bytes(bytes(data))

    watched = upload(local, text)  # another client's job: its status is asked for all along
    answers: list[dict[str, Any]] = []
    stop = threading.Event()

    def other_client() -> None:
        while not stop.is_set():
            answers.append(poll_answer(local, watched, timeout=10))
            time.sleep(0.05)

    watcher = threading.Thread(target=other_client)
    watcher.start()
    try:
        jobs = {
            "eight": upload(local, eight, multichannel="true"),
            "eight-mixed": upload(local, eight),
            "text": watched,
            "silence": upload(local, silence),
            "tenth": upload(local, tenth),
            "six-hours": upload(local, six_hours),
            "corrupt": upload(local, corrupt),
        }
        seen_decoding = False
        while poll_answer(local, jobs["eight"], timeout=10)["status"] in ("waiting", "active"):
            seen_decoding = seen_decoding or bool(
                local.server.state.engine.pool and local.server.state.engine.pool.busy
            )
            time.sleep(0.05)
        done = {name: finished(local, job_id) for name, job_id in jobs.items()}
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert seen_decoding and len(answers) > 5 and all(a["generation_id"] == watched for a in answers)
    assert done["text"]["status"] == "error"
    assert done["text"]["error"].startswith("Audio could not be decoded (ffmpeg: ")
    assert transcripts(done["silence"]) == [""]
    assert done["tenth"]["status"] == "completed" and len(transcripts(done["tenth"])[0].split()) <= 1
    assert done["six-hours"]["status"] == "error"
    assert done["six-hours"]["error"] == "Audio is longer than the local engine takes (2 h; stt emulator --max-audio)"
    assert len(transcripts(done["eight"])) == 8 and done["eight"]["result"]["metadata"]["channels"] == 8
    assert len(transcripts(done["eight-mixed"])) == 1
    assert done["corrupt"]["status"] == "completed" or done["corrupt"]["error"].startswith("Audio could not be decoded")
    pool = local.server.state.engine.pool
    assert pool is not None and pool.busy == 0
    for worker in pool._workers:
        if worker.process is not None:
            status = Path(f"/proc/{worker.process.pid}/status").read_text()
            peak = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
            assert peak < MAX_WORKER_MEMORY, f"a worker peaked at {peak} kB"
    assert list((tmp_path / "tmp").iterdir()) == []  # each upload's copy gone once decoded


def test_six_hours_is_a_failed_job_stt_words_as_one_line(cli: Any, local: EmulatorHandle, tmp_path: Path) -> None:
    six_hours = tmp_path / "six-hours.flac"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=1000:cl=mono", "-t", "21600", "-c:a", "flac", str(six_hours))
    done = cli("run", str(six_hours))
    assert done.exit_code == 6
    assert "Audio is longer than the local engine takes (2 h; stt emulator --max-audio)" in one_error_line(done.stderr)
