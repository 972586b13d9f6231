"""Your own audio on the emulator, through `stt run`: a placeholder that begins with its whole label in every
format and shape, even for a clip too short to say it, and that formats.placeholder.is_placeholder spots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EmulatorHandle, write_wav

from stt_cli.formats.placeholder import PLACEHOLDER_LABEL, is_placeholder

DEEPGRAM = ("#g1_whisper-large", "#g1_nova-2-general", "nova-3")


@pytest.mark.parametrize("model", [*DEEPGRAM, "aai/universal"])
@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles_of_a_short_clip_hold_the_whole_label(
    cli, emulator: EmulatorHandle, tmp_path: Path, model: str, fmt: str
) -> None:
    clip = write_wav(tmp_path / "clip.wav", 0.3)
    done = cli("run", str(clip), "-m", model, "-f", fmt, "-o", f"clip.{fmt}")
    assert done.exit_code == 0, done.stderr
    cues = Path(f"clip.{fmt}").read_text(encoding="utf-8")
    assert " ".join(cues.split()).count(PLACEHOLDER_LABEL) == 1, cues
    payload = json.loads(cli("run", str(clip), "-m", model, "-f", "json").stdout)
    words = payload.get("words") or payload["results"]["channels"][0]["alternatives"][0]["words"]
    scale = 1000 if "words" in payload else 1  # AssemblyAI's times are in ms
    assert len(words) == len(PLACEHOLDER_LABEL.split()) and words[-1]["end"] <= 0.3 * scale  # squeezed, not cut


def test_in_longer_audio_the_label_is_a_cue_of_its_own(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    write_wav(tmp_path / "eight.wav", 8.0)
    done = cli("run", "eight.wav", "-f", "srt")
    assert done.exit_code == 0, done.stderr
    first = done.stdout.split("\n\n")[0].splitlines()
    assert first[1].startswith("00:00:00,000 --> ") and " ".join(first[2:]) == PLACEHOLDER_LABEL
    assert "This is a placeholder" in done.stdout  # then the filler, saying what it is


@pytest.mark.parametrize(
    "model", [*DEEPGRAM, "aai/universal", "openai/gpt-4o-transcribe", "microsoft/mai-transcribe-1.5"]
)
def test_every_shape_is_a_labelled_placeholder_and_the_sample_is_not(
    cli, emulator: EmulatorHandle, tmp_path: Path, talk: Path, model: str
) -> None:
    clip = write_wav(tmp_path / "clip.wav", 0.3)
    text = cli("run", str(clip), "-m", model)
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith(PLACEHOLDER_LABEL)
    payload = json.loads(cli("run", str(clip), "-m", model, "-f", "json").stdout)
    assert is_placeholder(payload)
    sample = cli("run", str(talk), "-m", model, "-f", "json")
    assert sample.exit_code == 0, sample.stderr
    assert not is_placeholder(json.loads(sample.stdout))
    if model in DEEPGRAM:
        assert payload["metadata"]["emulator"] is True and payload["metadata"]["placeholder"] is True
        assert payload["metadata"]["duration"] == 0.3 and payload["metadata"]["duration_source"] in ("wav", "flac")


def test_stderr_says_once_that_a_placeholder_is_not_a_transcript(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    from conftest import write_wav

    from stt_cli.formats.placeholder import PLACEHOLDER_NOTE

    one = write_wav(tmp_path / "mine.wav", 2.0)
    single = cli("run", str(one))
    assert single.exit_code == 0, single.stderr
    assert single.stdout.startswith(PLACEHOLDER_LABEL)
    assert single.stderr.count(PLACEHOLDER_NOTE) == 1
    several = [write_wav(tmp_path / "in" / f"r{n}.wav", 1.0 + n / 10) for n in range(3)]
    batch = cli("run", *map(str, several), "--output-dir", "out")
    assert batch.exit_code == 0, batch.stderr
    assert batch.stderr.count(PLACEHOLDER_NOTE) == 1  # a batch says it once
    fetched = cli("fetch", "-f", "srt")  # the newest job, from the ledger
    assert fetched.exit_code == 0 and PLACEHOLDER_NOTE in fetched.stderr


def test_the_sample_gets_no_placeholder_note(cli, emulator: EmulatorHandle, talk: Path) -> None:
    from stt_cli.formats.placeholder import PLACEHOLDER_NOTE

    result = cli("run", str(talk))
    assert result.exit_code == 0 and PLACEHOLDER_NOTE not in result.stderr
