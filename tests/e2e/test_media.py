"""Audio preparation with the real ffmpeg and ffprobe: what is made of each kind of source, checked by decoding it.

The checks decode what stt makes and the source with ffmpeg itself: the lossless PCM must be the same sample
for sample (the hashes of the decoded PCM), every output must last as long as its source within 50 ms.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from stt_cli.api.uploads import BodyRestart
from stt_cli.core.media import policy
from stt_cli.core.media.ffmpeg import Conversion, Unreadable, find_tools, patch_flac_samples
from stt_cli.core.media.probe import probe
from stt_cli.core.media.sniff import HEAD_BYTES, sniff

pytestmark = pytest.mark.skipif(find_tools() is None, reason="needs ffmpeg and ffprobe on PATH")


def make(path: Path, *args: str) -> Path:
    """A generated input: ffmpeg's lavfi sources (a tone over noise), written to `path`."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(path)], check=True)
    return path


SPEECHLIKE = ["-f", "lavfi", "-i", "sine=frequency=330:duration=6:sample_rate=44100", "-f", "lavfi", "-i",
              "anoisesrc=duration=6:sample_rate=44100:amplitude=0.05", "-filter_complex", "amix=inputs=2"]  # fmt: skip


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    made = {
        "wav": make(folder / "stereo.wav", *SPEECHLIKE, "-ac", "2", "-c:a", "pcm_s16le"),
        "wav24": make(folder / "deep.wav", *SPEECHLIKE, "-ac", "2", "-c:a", "pcm_s24le"),
        "float": make(folder / "float.wav", *SPEECHLIKE, "-c:a", "pcm_f32le"),
        "aiff": make(folder / "mono.aiff", *SPEECHLIKE, "-ac", "1", "-c:a", "pcm_s16be"),
        "mp3": make(folder / "talk.mp3", *SPEECHLIKE, "-c:a", "libmp3lame", "-b:a", "64k"),
    }
    video = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=6", *SPEECHLIKE[:8]]
    mix = ["-filter_complex", "[1][2]amix=inputs=2", "-shortest"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast"]
    made["mp4"] = make(folder / "clip.mp4", *video, *mix, *x264, "-c:a", "aac", "-b:a", "96k")
    made["mkv-pcm"] = make(folder / "clip.mkv", *video, *mix, *x264, "-c:a", "pcm_s16le")
    made["webm"] = make(
        folder / "clip.webm", *video, *mix, "-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"
    )
    return made


def pcm_hash(path: Path, fmt: str = "s32le") -> str:
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", fmt, "-"], check=True, capture_output=True
    ).stdout
    return hashlib.sha256(decoded).hexdigest()


def shown(path: Path, entries: str) -> str:
    """What ffprobe says of these entries of a file (`format=duration`, `stream=channels`), as CSV lines."""
    return subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", entries, "-of", "csv=p=0", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def header_duration(path: Path) -> float:
    return float(shown(path, "format=duration"))


def streams_of(path: Path) -> list[str]:
    return [line.strip() for line in shown(path, "stream=codec_type").splitlines() if line.strip()]


def prepared(source: Path, mode: str, tmp_path: Path, multichannel: bool = False) -> tuple[policy.Plan, bytes]:
    """What stt would send of `source`: made the way the upload makes it (live for FLAC), and its plan."""
    tools = find_tools()
    assert tools is not None
    plan = policy.decide(probe(source, tools), mode, source.stat().st_size, multichannel)
    if not plan.changes:
        return plan, source.read_bytes()
    with Conversion(source, plan, tools, tmp_path / "spool") as preparation:
        if plan.streams:
            body = b"".join(preparation.chunks())
            assert preparation.path is not None
            assert body == preparation.path.read_bytes()  # what a retry sends is what went out
        else:
            body = preparation.complete().read_bytes()
    assert list((tmp_path / "spool").iterdir()) == []  # the temp file is gone with the preparation
    return plan, body


def keep(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


@pytest.mark.parametrize("kind", ["wav", "wav24", "aiff"])
def test_lossless_pcm_becomes_flac_with_the_very_same_samples(
    kind: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    source = inputs[kind]
    plan, body = prepared(source, "lossless", tmp_path)
    assert plan.action == "flac" and plan.streams
    sent = keep(tmp_path, "sent.flac", body)
    assert pcm_hash(sent) == pcm_hash(source)
    assert abs(header_duration(sent) - header_duration(source)) < 0.05  # the header stt completed says so
    assert len(body) < source.stat().st_size / 1.3


def test_a_video_is_sent_as_its_audio_track_stream_copied(inputs: dict[str, Path], tmp_path: Path) -> None:
    plan, body = prepared(inputs["mp4"], "lossless", tmp_path)
    assert plan.action == "copy" and plan.ext == ".m4a"
    sent = keep(tmp_path, "sent.m4a", body)
    assert streams_of(sent) == ["audio"]
    assert pcm_hash(sent) == pcm_hash(inputs["mp4"])  # not re-encoded: decoded, the very same
    assert abs(header_duration(sent) - header_duration(inputs["mp4"])) < 0.05


def test_a_webm_video_is_sent_as_audio_webm_and_one_with_pcm_as_flac(inputs: dict[str, Path], tmp_path: Path) -> None:
    plan, body = prepared(inputs["webm"], "lossless", tmp_path)
    assert plan.ext == ".webm"
    sent = keep(tmp_path, "sent.webm", body)
    assert streams_of(sent) == ["audio"] and pcm_hash(sent) == pcm_hash(inputs["webm"])
    plan, body = prepared(inputs["mkv-pcm"], "lossless", tmp_path)
    assert plan.action == "flac"
    sent = keep(tmp_path, "sent.flac", body)
    assert streams_of(sent) == ["audio"] and pcm_hash(sent) == pcm_hash(inputs["mkv-pcm"])


@pytest.mark.parametrize("kind", ["mp3", "float"])
def test_compressed_audio_and_pcm_flac_cannot_hold_go_as_they_are(
    kind: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    plan, body = prepared(inputs[kind], "lossless", tmp_path)
    assert plan.action == "as-is"
    assert body == inputs[kind].read_bytes()


@pytest.mark.parametrize("kind", ["wav", "wav24", "aiff", "mkv-pcm"])
def test_compact_is_16_khz_mono_flac_as_long_as_the_source(kind: str, inputs: dict[str, Path], tmp_path: Path) -> None:
    source = inputs[kind]
    plan, body = prepared(source, "compact", tmp_path)
    assert plan.action == "flac"
    sent = keep(tmp_path, "sent.flac", body)
    assert shown(sent, "stream=sample_rate,channels") == "16000,1"
    assert abs(header_duration(sent) - header_duration(source)) < 0.05
    assert len(body) < source.stat().st_size


def test_compact_keeps_the_channels_of_a_multichannel_job(inputs: dict[str, Path], tmp_path: Path) -> None:
    plan, body = prepared(inputs["wav"], "compact", tmp_path, multichannel=True)
    sent = keep(tmp_path, "sent.flac", body)
    assert "2 channels" in plan.why or "stereo" in plan.why
    assert shown(sent, "stream=channels") == "2"


def test_compact_never_sends_more_than_the_compressed_source(inputs: dict[str, Path], tmp_path: Path) -> None:
    plan, body = prepared(inputs["mp3"], "compact", tmp_path)
    assert plan.action == "as-is" and body == inputs["mp3"].read_bytes()


def test_the_same_source_makes_the_same_bytes(inputs: dict[str, Path], tmp_path: Path) -> None:
    """A create sent again (a later run resuming a claim) must be the same request, byte for byte."""
    first = prepared(inputs["wav"], "lossless", tmp_path)[1]
    again = prepared(inputs["wav"], "lossless", tmp_path)[1]
    assert first == again
    assert prepared(inputs["mp4"], "lossless", tmp_path)[1] == prepared(inputs["mp4"], "lossless", tmp_path)[1]


def test_a_wrong_sample_count_stops_the_stream_before_its_end_and_corrects_the_file(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    tools = find_tools()
    assert tools is not None
    source = inputs["wav"]
    plan = policy.decide(probe(source, tools), "lossless", source.stat().st_size)
    wrong = plan._replace(samples=(plan.samples or 0) + 7)
    with Conversion(source, wrong, tools, tmp_path / "spool") as preparation:
        pieces = []
        with pytest.raises(BodyRestart):
            for piece in preparation.chunks():
                pieces.append(piece)
        assert preparation.whole and preparation.path is not None
        whole = preparation.path.read_bytes()
        assert len(b"".join(pieces)) < len(whole)  # the last piece never went out
        fixed = keep(tmp_path, "fixed.flac", whole)
        assert pcm_hash(fixed) == pcm_hash(source)
        assert abs(header_duration(fixed) - header_duration(source)) < 0.001


def test_a_file_the_tools_cannot_read_is_unreadable(tmp_path: Path) -> None:
    tools = find_tools()
    assert tools is not None
    junk = tmp_path / "notes.wav"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(300))
    with pytest.raises(Unreadable):
        probe(junk, tools)


def test_a_playlist_cannot_make_ffmpeg_read_other_files(tmp_path: Path) -> None:
    """A file that is really an HLS or concat list naming other files is not followed: only media demuxers."""
    tools = find_tools()
    assert tools is not None
    secret = tmp_path / "secret.wav"
    make(secret, "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "pcm_s16le")
    playlist = tmp_path / "talk.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:{secret}\n#EXT-X-ENDLIST\n")
    concat = tmp_path / "talk.txt"
    concat.write_text(f"ffconcat version 1.0\nfile '{secret}'\n")
    for path in (playlist, concat):
        with pytest.raises(Unreadable):
            probe(path, tools)


@pytest.mark.parametrize("name", ["-i.wav", "concat:a.wav", "http:x.wav", "a b;$(id).wav"])
def test_odd_file_names_are_files_to_ffmpeg(name: str, inputs: dict[str, Path], tmp_path: Path) -> None:
    source = tmp_path / name
    shutil.copy(inputs["wav"], source)
    plan, body = prepared(source, "lossless", tmp_path)
    assert plan.action == "flac"
    assert pcm_hash(keep(tmp_path, "sent.flac", body)) == pcm_hash(inputs["wav"])


def test_flac_header_patch_refuses_what_is_not_a_streaminfo() -> None:
    assert not patch_flac_samples(bytearray(b"RIFF" + bytes(60)), 10)
    head = bytearray(b"fLaC\x00\x00\x00\x22" + bytes(34))
    assert patch_flac_samples(head, 123456)
    assert int.from_bytes(head[18:26], "big") & ((1 << 36) - 1) == 123456


COMPRESSED = {  # what ffmpeg makes of a tone, and what the first bytes must call it
    "talk.mp3": (["-c:a", "libmp3lame"], "ID3-tagged MPEG audio"),
    "talk.aac": (["-c:a", "aac"], "AAC (ADTS)"),
    "talk.m4a": (["-c:a", "aac"], "MPEG-4 audio (M4A)"),
    "lossless.m4a": (["-c:a", "alac"], "MPEG-4 audio (M4A)"),
    "talk.flac": (["-c:a", "flac"], "FLAC"),
    "talk.ogg": (["-c:a", "libvorbis"], "Ogg audio"),
    "talk.opus": (["-c:a", "libopus"], "Ogg audio"),
    "flac.oga": (["-c:a", "flac"], "Ogg audio"),
    "talk.wv": (["-c:a", "wavpack"], "WavPack"),
    "talk.ac3": (["-c:a", "ac3"], "AC-3"),
}


@pytest.mark.parametrize("name", COMPRESSED, ids=COMPRESSED.keys())
def test_what_the_first_bytes_call_compressed_ffprobe_would_send_as_it_is_too(name: str, tmp_path: Path) -> None:
    """The first look never skips ffprobe where ffprobe would have changed what is sent (lossless)."""
    args, called = COMPRESSED[name]
    source = make(tmp_path / name, "-f", "lavfi", "-i", "sine=duration=3:sample_rate=44100", *args)
    assert sniff(source.read_bytes()[:HEAD_BYTES]).compressed == called
    tools = find_tools()
    assert tools is not None
    assert policy.decide(probe(source, tools), "lossless", source.stat().st_size).action == "as-is"


def test_what_ffprobe_must_look_at_is_not_called_compressed(inputs: dict[str, Path], tmp_path: Path) -> None:
    """PCM and videos (an Ogg with Theora too, whose audio is Vorbis): ffprobe is asked, and they are converted."""
    ogv = make(tmp_path / "clip.ogv", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3", "-f", "lavfi",
               "-i", "sine=duration=3", "-c:v", "libtheora", "-c:a", "libvorbis", "-shortest")  # fmt: skip
    tools = find_tools()
    assert tools is not None
    for source in (ogv, inputs["wav"], inputs["aiff"], inputs["mp4"], inputs["mkv-pcm"], inputs["webm"]):
        found = sniff(source.read_bytes()[:HEAD_BYTES])
        assert found.media and not found.compressed, source.name
        assert policy.decide(probe(source, tools), "lossless", source.stat().st_size).changes, source.name
