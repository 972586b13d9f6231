"""An upload's audio made 16 kHz mono for the local engine without ffmpeg: WAVs of every integer width,
rate and channel count read a second at a time, resampled, one channel or the mix; FLAC and anything
else refused with a message that says to install ffmpeg; the length bound."""

from __future__ import annotations

import itertools
import math
import wave
from array import array
from pathlib import Path

import pytest

from stt_cli.emulator.decoding import DecodeFailed, Resampler, pcm, pick, shown_length, to_int16


@pytest.fixture(autouse=True)
def no_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))


def write(path: Path, rate: int, channels: int, width: int, seconds: float, tone: float = 440.0) -> Path:
    """A sine of `tone` Hz in every channel (each channel's louder than the last), as `width`-byte PCM."""
    frames = bytearray()
    peak = 2 ** (8 * width - 1) - 1
    for n in range(int(rate * seconds)):
        for c in range(channels):
            value = int(peak * 0.2 * (c + 1) / channels * math.sin(2 * math.pi * tone * n / rate))
            frames += (
                (value + 128).to_bytes(1, "little") if width == 1 else value.to_bytes(width, "little", signed=True)
            )
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(bytes(frames))
    return path


def samples(path: Path, channel: int | None = None, limit: float = 60.0) -> array[int]:
    out = array("h")
    for chunk in pcm(str(path), channel, limit):
        out.frombytes(chunk)
    return out


def zero_crossings(values: array[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(values) if (a < 0) != (b < 0))


@pytest.mark.parametrize(("rate", "width"), [(16000, 2), (8000, 1), (44100, 2), (48000, 3), (96000, 4), (22050, 2)])
def test_a_wav_of_any_rate_and_width_becomes_16_khz_with_its_tone_kept(tmp_path: Path, rate: int, width: int) -> None:
    made = samples(write(tmp_path / "x.wav", rate, 1, width, 1.5))
    assert abs(len(made) - 24000) <= 2  # 1.5 s at 16 kHz
    assert zero_crossings(made) == pytest.approx(2 * 440 * 1.5, rel=0.02)  # still a 440 Hz tone
    assert 0.15 * 32767 < max(made) < 0.25 * 32767


def test_one_channel_or_the_mix(tmp_path: Path) -> None:
    stereo = write(tmp_path / "s.wav", 16000, 2, 2, 0.5)
    left, right, mix = samples(stereo, 0), samples(stereo, 1), samples(stereo, None)
    assert len(left) == len(right) == len(mix) == 8000
    assert max(right) == pytest.approx(2 * max(left), rel=0.01)
    assert max(mix) == pytest.approx((max(left) + max(right)) / 2, rel=0.01)
    with pytest.raises(DecodeFailed, match="no channel 3"):
        samples(stereo, 2)


def test_the_length_bound_stops_the_stream(tmp_path: Path) -> None:
    long = write(tmp_path / "long.wav", 8000, 1, 2, 3.0)
    with pytest.raises(DecodeFailed, match=r"longer than the local engine takes \(2 s; stt emulator --max-audio\)"):
        samples(long, None, 2.0)


def test_flac_and_other_audio_need_ffmpeg_and_say_so(tmp_path: Path) -> None:
    flac = tmp_path / "x.flac"
    flac.write_bytes(b"fLaC" + bytes(100))
    with pytest.raises(DecodeFailed, match="FLAC audio needs ffmpeg"):
        samples(flac)
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    with pytest.raises(DecodeFailed, match="install ffmpeg"):
        samples(text)


def test_a_resampler_fed_in_pieces_makes_what_it_makes_at_once() -> None:
    signal = [int(1000 * math.sin(n / 7)) for n in range(44100)]
    whole = Resampler(44100).feed(signal, final=True)
    pieces = Resampler(44100)
    made = array("h")
    for start in range(0, len(signal), 997):
        made.extend(pieces.feed(signal[start : start + 997]))
    made.extend(pieces.feed([], final=True))
    assert made == whole and len(whole) == 16000
    up = Resampler(8000)
    assert len(up.feed(list(range(0, 8000, 1)))) + len(up.feed([], final=True)) == 16000


def test_sample_widths_and_channels() -> None:
    assert list(to_int16(bytes([128, 255, 0]), 1)) == [0, 127 << 8, -128 << 8]
    assert list(to_int16((-2).to_bytes(3, "little", signed=True) + (2**22).to_bytes(3, "little"), 3)) == [-1, 16384]
    assert list(to_int16((2**30).to_bytes(4, "little", signed=True), 4)) == [16384]
    assert pick(array("h", [1, 3, 5, 7]), 2, None) == [2, 6] and pick(array("h", [1, 3, 5, 7]), 2, 1) == [3, 7]


@pytest.mark.parametrize(
    ("seconds", "shown"), [(7200, "2 h"), (5400, "1 h 30 min"), (90, "1 min 30 s"), (12.5, "12.5 s"), (3601, "1 h 1 s")]
)
def test_lengths_in_messages(seconds: float, shown: str) -> None:
    assert shown_length(seconds) == shown
