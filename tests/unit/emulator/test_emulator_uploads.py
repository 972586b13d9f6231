"""The emulator's uplink and kept uploads as pure code: --bandwidth values, the token bucket on a fake clock,
the kept file's name, an upload's length from a FLAC's STREAMINFO, and which uploads are copied for ffprobe."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from stt_cli.emulator.launch import parse_bandwidth, rate_text
from stt_cli.emulator.results import ASSUMED_BYTES_PER_SECOND, DurationSource, audio_info, guessed_duration, sample_wav
from stt_cli.emulator.server import BURST_BYTES, HEAD_BYTES, AudioStream, KeptUpload, Uplink, kept_name
from stt_cli.errors import UsageError


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("2000000", 2_000_000),
        ("5M", 5_000_000),
        ("5m", 5_000_000),
        ("500K", 500_000),
        ("500k", 500_000),
        ("1G", 1_000_000_000),
        ("1.5M", 1_500_000),
        ("40Mbit", 5_000_000),
        ("40mbit", 5_000_000),
        ("8kbit", 1000),
        ("40Mbit/s", 5_000_000),
        (" 1M ", 1_000_000),
        ("1", 1),
    ],
)
def test_bandwidth_values(raw: str, rate: float) -> None:
    assert parse_bandwidth(raw) == rate


@pytest.mark.parametrize(
    "raw", ["0", "0M", "-5M", "-1", "", "fast", "5X", "5MB", "1e9", "nan", "inf", "0.1", "4bit", "9" * 400, "5 M x"]
)
def test_bad_bandwidth_values_are_usage_errors(raw: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_bandwidth(raw)
    assert caught.value.message.startswith("--bandwidth ") and "\n" not in caught.value.message
    assert caught.value.hint is not None and "40Mbit" in caught.value.hint


def test_rate_text_names_bytes_and_bits() -> None:
    assert rate_text(5_000_000) == "5 MB/s (40 Mbit/s)"
    assert rate_text(1_500_000) == "1.5 MB/s (12 Mbit/s)"
    assert rate_text(125) == "125 B/s (1 kbit/s)"


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


@pytest.mark.parametrize(("rate", "burst"), [(1_000_000, 50_000), (100_000_000, BURST_BYTES), (10, 1)])
def test_the_uplink_bursts_at_most_64_kib_or_50_ms(rate: float, burst: int) -> None:
    uplink = Uplink(rate, FakeTime().clock, FakeTime().sleep)
    assert uplink.burst == burst
    assert uplink.take(10**9) == burst


def test_the_uplink_carries_its_rate_and_no_more() -> None:
    fake = FakeTime()
    uplink = Uplink(1_000_000, fake.clock, fake.sleep)
    carried = 0
    while carried < 5_000_000:
        carried += uplink.take(256 * 1024)
    assert carried == 5_000_000  # whole bursts of 50,000 bytes
    # The first burst is free; the rest arrive at exactly the rate.
    assert fake.slept == pytest.approx((5_000_000 - uplink.burst) / 1_000_000)


def test_the_uplink_is_one_for_all_readers() -> None:
    """Readers taking turns (as threads do) share the rate: each gets its part, together no more than it."""
    fake = FakeTime()
    uplink = Uplink(1_000_000, fake.clock, fake.sleep)
    got = [0, 0]
    for turn in range(100):
        got[turn % 2] += uplink.take(100_000)
    assert got[0] == got[1] == 50 * uplink.burst
    assert fake.now - 100.0 == pytest.approx((sum(got) - uplink.burst) / 1_000_000)


def test_an_idle_uplink_saves_no_more_than_one_burst() -> None:
    fake = FakeTime()
    uplink = Uplink(1_000_000, fake.clock, fake.sleep)
    fake.now += 3600  # an hour without uploads
    for _ in range(3):
        uplink.take(uplink.burst)
    assert fake.slept == pytest.approx(2 * uplink.burst / 1_000_000)


def test_the_uplink_refuses_no_rate() -> None:
    with pytest.raises(ValueError):
        Uplink(0)


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("talk.wav", "id.wav"),
        ("Talk.FLAC", "id.flac"),
        ("archive.tar.gz", "id.gz"),
        ("clip.m4a", "id.m4a"),
        ("C:\\rec\\call.MP3", "id.mp3"),
        ("dir/sub.d/noext", "id.bin"),
        ("noext", "id.bin"),
        ("", "id.bin"),
        (".wav", "id.bin"),
        ("x.", "id.bin"),
        ("x.toolong", "id.bin"),
        ("x.wa v", "id.bin"),
        ("x.wäv", "id.bin"),
        ("x.w-v", "id.bin"),
        ("x.wav\n", "id.bin"),
    ],
)
def test_a_kept_upload_is_named_by_its_job_and_extension(filename: str, name: str) -> None:
    assert kept_name("id", filename) == name


def streaminfo(rate: int, channels: int, samples: int, bits: int = 16) -> bytes:
    """A FLAC's first 42 bytes: the marker and its STREAMINFO block (type 0, 34 bytes)."""
    packed = (rate << 44) | ((channels - 1) << 41) | ((bits - 1) << 36) | samples
    body = (4096).to_bytes(2) * 2 + (0).to_bytes(3) * 2 + packed.to_bytes(8) + bytes(16)
    return b"fLaC" + bytes([0x00]) + len(body).to_bytes(3) + body


def test_a_flac_length_is_read_from_its_streaminfo() -> None:
    head = streaminfo(44100, 2, 3 * 44100) + b"\xff\xf8" + bytes(100)
    info = audio_info(head, 500_000, "0" * 64)
    assert (info.duration, info.channels) == (3.0, 2)
    # A 36-bit total: more than 2**32 samples still reads right (27 hours at 44.1 kHz).
    assert audio_info(streaminfo(44100, 1, 2**32 + 44100), 10**9, "0" * 64).duration == round(
        (2**32 + 44100) / 44100, 3
    )


def test_a_flac_after_an_id3_tag_is_read_too() -> None:
    tag = b"ID3\x04\x00\x00" + bytes([0, 0, 1, 0]) + bytes(128)  # a syncsafe size of 128
    info = audio_info(tag + streaminfo(48000, 1, 96000), 200_000, "0" * 64)
    assert (info.duration, info.channels) == (2.0, 1)


def test_a_flac_of_unknown_length_falls_back_to_the_size() -> None:
    info = audio_info(streaminfo(44100, 2, 0), 480_000, "0" * 64)
    assert info.duration == 480_000 / ASSUMED_BYTES_PER_SECOND and info.channels == 2


@pytest.mark.parametrize(
    "head",
    [
        streaminfo(44100, 2, 44100)[:30],  # cut short
        streaminfo(0, 2, 44100),  # no sample rate: not a STREAMINFO
        streaminfo(44100, 2, 44100).replace(b"fLaC\x00", b"fLaC\x04", 1),  # a first block of another type
        b"OggS" + bytes(60),
    ],
)
def test_what_is_not_a_flac_streaminfo_gets_the_size_estimate(head: bytes) -> None:
    info = audio_info(head, 160_000, "0" * 64)
    assert (info.duration, info.channels) == (10.0, 1)


# --- which uploads are copied for ffprobe (the copy itself; ffprobe is not run here) --------------------
MP3ISH = b"ID3\x04\x00\x00\x00\x00\x00\x10" + bytes(16) + b"\xff\xfb\x90\x64" + bytes(200_000)  # no length in it


@pytest.fixture
def probe_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The emulator's temp folder, and an ffprobe it believes is installed (nothing here runs it)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: f"/usr/bin/{name}")
    return folder


def feed(stream: AudioStream, data: bytes, chunk: int = 50_000) -> None:
    for at in range(0, len(data), chunk):
        stream.add(data[at : at + chunk])


def test_an_upload_without_a_length_in_its_header_is_copied_whole_for_ffprobe(probe_dir: Path) -> None:
    stream = AudioStream("talk.MP3", None)
    feed(stream, MP3ISH)
    copy = stream.copy_to_measure()
    assert copy is not None and Path(copy).parent == probe_dir
    assert copy.endswith(".mp3")  # its extension helps ffprobe tell raw formats apart
    assert Path(copy).read_bytes() == MP3ISH and stream.size == len(MP3ISH)
    stream.discard()
    assert list(probe_dir.iterdir()) == []


@pytest.mark.parametrize("size", [100, HEAD_BYTES - 1, HEAD_BYTES, HEAD_BYTES + 1])
def test_a_copy_holds_every_byte_whatever_the_chunks(probe_dir: Path, size: int) -> None:
    data = MP3ISH[:size]
    for chunk in (1000, 65_535, 300_000):
        stream = AudioStream("x.ogg", None)
        feed(stream, data, chunk)
        copy = stream.copy_to_measure()  # a short upload is decided at its end
        assert copy is not None and Path(copy).read_bytes() == data
        stream.discard()
        assert not Path(copy).exists()


def test_a_wav_a_flac_or_a_kept_upload_is_not_copied(probe_dir: Path, tmp_path: Path) -> None:
    for name, data, kept in (
        ("talk.wav", sample_wav(), None),
        ("x.flac", streaminfo(44100, 1, 44100) + bytes(100_000), None),
        ("x.mp3", MP3ISH, KeptUpload(tmp_path / "kept")),  # ffprobe reads the kept copy
    ):
        stream = AudioStream(name, kept)
        feed(stream, data)
        assert stream.probe is None, name
        assert stream.copy_to_measure() == (None if kept is None else str(kept.temp))
        stream.discard()
    assert list(probe_dir.iterdir()) == []


def test_a_copy_too_large_or_that_cannot_be_written_is_dropped_and_the_length_guessed(
    probe_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stt_cli.emulator.server.MAX_PROBE_COPY", 150_000)
    stream = AudioStream("x.mp3", None)
    feed(stream, MP3ISH)
    assert stream.probe is None and list(probe_dir.iterdir()) == []
    info = stream.info()
    assert info.duration_source == DurationSource.GUESS and info.duration == round(guessed_duration(len(MP3ISH)), 3)
    if not os.path.exists("/dev/full"):
        return
    monkeypatch.setattr(tempfile, "mkstemp", lambda **kw: (os.open("/dev/full", os.O_WRONLY), str(probe_dir / "x")))
    full = AudioStream("x.mp3", None)
    feed(full, MP3ISH[:100_000])  # the disk is full: no copy, no error
    assert full.probe is None and full.info().duration_source == DurationSource.GUESS
