"""ffmpeg reads the subtitle files stt writes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.subtitles import build_cues, render_srt, render_vtt
from stt_cli.formats.transcript import Channel, Transcript, Word


def _ffmpeg() -> str | None:
    found = shutil.which("ffmpeg")
    if found is None and os.environ.get("CI"):
        pytest.fail("ffmpeg is missing in CI: .ci/run installs it")
    return found


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_ffmpeg_reads_the_files(fmt: str, tmp_path: Path) -> None:
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed here (CI installs it)")
    words = [
        Word(t, i * 0.4, i * 0.4 + 0.3, str(i // 7 % 2))
        for i, t in enumerate(
            ("Hello there, this is a test of the subtitle writer. It has two speakers & some <odd> text. " * 6).split()
        )
    ]
    transcript = Transcript([Channel(0, "", words)])
    render = render_srt if fmt == "srt" else render_vtt
    path = tmp_path / f"sample.{fmt}"
    path.write_text(render(transcript, SubtitleOptions()), encoding="utf-8")
    out = tmp_path / f"roundtrip.{fmt}"
    result = subprocess.run(
        [ffmpeg, "-v", "error", "-nostdin", "-i", str(path), str(out)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected = len(build_cues(transcript, SubtitleOptions(), prefix_labels=fmt == "srt"))
    assert out.read_text(encoding="utf-8").count("-->") == expected
