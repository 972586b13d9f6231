"""The emulator's idea of an upload's length, for real files that ffmpeg makes: a FLAC's STREAMINFO always,
another format (mp3, ogg, m4a) by ffprobe on a copy of the upload, kept (--keep-uploads) or not; a bounded
guess from the size only when ffprobe is missing, and the result then says the length was guessed."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, poll_answer, run_stt, start_emulator, subprocess_env, upload

from stt_cli.emulator.results import ASSUMED_BYTES_PER_SECOND
from stt_cli.formats.placeholder import PLACEHOLDER_LABEL

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def make_audio(path: Path, *codec: str, seconds: float = 3, channels: int = 1, rate: int = 44100) -> Path:
    tone = ["-f", "lavfi", "-i", f"sine=duration={seconds}:sample_rate={rate}", "-ac", str(channels)]
    subprocess.run(["ffmpeg", "-v", "error", "-y", *tone, *codec, str(path)], check=True, timeout=60)
    return path


def transcribe(emulator: EmulatorHandle, path: Path) -> dict[str, Any]:
    """Upload `path` (its job finishes at once) and return the finished job's result."""
    emulator.next_job(processing_time=0)
    answer = poll_answer(emulator, upload(emulator, path, multichannel="true"))
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


ENCODERS = {"mp3": ("-c:a", "libmp3lame"), "ogg": ("-c:a", "libvorbis"), "m4a": ("-c:a", "aac")}


def probe_copies() -> list[str]:
    return [p.name for p in Path(tempfile.gettempdir()).glob("stt-emulator-probe-*")]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffprobe")
@pytest.mark.parametrize("extension", sorted(ENCODERS))
def test_another_format_is_measured_by_ffprobe_kept_or_not(
    emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extension: str
) -> None:
    """A 5.9 s mp3 was once reported as 1.48 s (its size at 128 kbit/s): now ffprobe measures it from a temp
    copy of the upload, removed once measured, whether or not --keep-uploads keeps one."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the emulator's temp copies land here
    (tmp_path / "tmp").mkdir()
    audio = make_audio(tmp_path / f"x.{extension}", *ENCODERS[extension], seconds=5.9)
    assert abs(audio.stat().st_size / ASSUMED_BYTES_PER_SECOND - 5.9) > 1  # the size alone would be wrong
    result = transcribe(emulator, audio)
    assert result["metadata"]["duration"] == pytest.approx(5.9, abs=0.1)
    assert result["metadata"]["duration_source"] == "ffprobe"
    assert result["metadata"]["emulator"] is True and result["metadata"]["placeholder"] is True
    words = result["results"]["channels"][0]["alternatives"][0]["words"]
    assert " ".join(w["punctuated_word"] for w in words).startswith(PLACEHOLDER_LABEL)
    assert 5.0 < words[-1]["end"] <= result["metadata"]["duration"]  # the filler spans the audio, no further
    (entry,) = emulator.creates()
    assert entry["duration"] == result["metadata"]["duration"] and entry["duration_source"] == "ffprobe"
    assert entry["received_path"] is None and probe_copies() == []  # measured, then removed
    server = start_emulator(keep_uploads=tmp_path / "kept")
    try:
        keeper = EmulatorHandle(server)
        assert transcribe(keeper, audio)["metadata"]["duration"] == result["metadata"]["duration"]
        (entry,) = keeper.creates()
        assert Path(entry["received_path"]).read_bytes() == audio.read_bytes()
        assert probe_copies() == []  # the kept copy is what ffprobe read
    finally:
        server.stop()


def test_without_ffprobe_the_length_is_a_bounded_guess_and_says_so(
    emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ogg = make_audio(tmp_path / "x.ogg", *ENCODERS["ogg"], seconds=7)
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    result = transcribe(emulator, ogg)
    assert result["metadata"]["duration"] == max(1.0, round(ogg.stat().st_size / ASSUMED_BYTES_PER_SECOND, 3))
    assert result["metadata"]["duration_source"] == "guess"
    (entry,) = emulator.creates()
    assert entry["duration_source"] == "guess"


def test_a_cli_run_of_an_mp3_reports_its_length_and_the_label(emulator: EmulatorHandle, tmp_path: Path) -> None:
    """The path a new user takes: `stt run my.mp3 -f json`, whatever --audio-prep sends (the file, or a FLAC
    of it), gets the mp3's length and the placeholder's label."""
    if shutil.which("ffprobe") is None:
        pytest.skip("needs ffprobe")
    mp3 = make_audio(tmp_path / "talk.mp3", *ENCODERS["mp3"], seconds=5.9)
    for prep in ("off", "lossless"):
        done = run_stt("run", str(mp3), "-f", "json", "--audio-prep", prep, cwd=tmp_path, env=subprocess_env(emulator))
        assert done.returncode == 0, done.stderr
        payload = json.loads(done.stdout)
        assert payload["metadata"]["duration"] == pytest.approx(5.9, abs=0.1), prep
        assert payload["results"]["channels"][0]["alternatives"][0]["transcript"].startswith(PLACEHOLDER_LABEL)
