"""core/media/policy.py, row by row: what --audio-prep sends of each kind of source, from ffprobe's description
(decide) or, before ffprobe, from the mode, the size and the first bytes (at_a_glance). No process, no file."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from stt_cli.core.media.policy import OFF, SMALL_FILE, AudioStream, Media, Plan, at_a_glance, decide, wants_channels
from stt_cli.core.media.sniff import Sniffed

MP4 = "mov,mp4,m4a,3gp,3g2,mj2"
ABSENT = None  # an ffmpeg option the plan must not have


def pcm(codec: str = "pcm_s16le", channels: int = 2, rate: int = 44100, bits: int = 16) -> AudioStream:
    return AudioStream(0, codec, channels, rate, bits, rate * channels * bits, rate * 60, 60.0)


def audio(stream: AudioStream, container: str = "wav", video: bool = False) -> Media:
    return Media(container, 60.0, (stream,), video)


AAC = AudioStream(1, "aac", 2, 48000, 0, 128_000, None, 60.0)
MP3 = AudioStream(0, "mp3", 2, 44100, 0, 128_000, None, 60.0)
SILENT = AudioStream(1, "aac", 2, 48000, 0, 128_000, None, 60.0)


class Row(NamedTuple):
    media: Media
    mode: str
    size: int
    action: str
    why: str = ""  # a phrase the plan's why holds
    ext: str = ""
    options: dict[str, str | None] | None = None  # ffmpeg output options and their values (ABSENT: not given)
    samples: int | None = None  # the FLAC's sample count stt writes into its header (None: not checked)
    compact: bool = False  # audio other than the source's own samples, for the ledger
    multichannel: bool = False


ROWS = {
    # --- off: the file, whatever it holds
    "off, a WAV": Row(audio(pcm()), "off", 10_000_000, "as-is", OFF),
    "off, a video": Row(audio(AAC, MP4, video=True), "off", 10_000_000, "as-is", OFF),
    # --- lossless: PCM as FLAC of the same samples (rate, channels and depth kept)
    "16-bit PCM -> FLAC": Row(audio(pcm()), "lossless", 10_000_000, "flac", "16-bit PCM as FLAC, the same samples",
                              ".flac", {"-ar": ABSENT, "-ac": ABSENT, "-sample_fmt": "s16"}, 44100 * 60),
    "24-bit PCM -> FLAC": Row(audio(pcm(bits=24)), "lossless", 10_000_000, "flac", "24-bit PCM", ".flac",
                              {"-ar": ABSENT, "-ac": ABSENT, "-sample_fmt": ABSENT}, 44100 * 60),
    "big-endian AIFF PCM -> FLAC": Row(audio(pcm("pcm_s16be", 1), "aiff"), "lossless", 5_000_000, "flac",
                                       "(44.1 kHz mono)", ".flac"),
    "8 channels of PCM -> FLAC": Row(audio(pcm(channels=8)), "lossless", 40_000_000, "flac", "8 channels", ".flac"),
    # --- lossless: what FLAC cannot hold sample for sample, and compressed audio, go as they are
    "float PCM as it is": Row(audio(pcm("pcm_f32le", bits=32)), "lossless", 10_000_000, "as-is",
                              "pcm_f32le has no lossless FLAC form"),
    "32-bit PCM as it is": Row(audio(pcm("pcm_s32le", bits=32)), "lossless", 10_000_000, "as-is", "no lossless FLAC"),
    "over 8 channels as it is": Row(audio(pcm(channels=12)), "lossless", 10_000_000, "as-is",
                                    "12 channels are more than FLAC holds"),
    "mu-law as it is": Row(audio(pcm("pcm_mulaw", 1, 8000, 8)), "lossless", 10_000_000, "as-is", "no lossless FLAC"),
    "compressed audio as it is": Row(audio(MP3, "mp3"), "lossless", 960_000, "as-is", "compressed audio (mp3)"),
    # --- a video: its audio track, stream-copied into the container its codec needs
    "video AAC -> M4A": Row(audio(AAC, MP4, video=True), "lossless", 500_000_000, "copy", "stream-copied into M4A",
                            ".m4a", {"-map": "0:1", "-c:a": "copy"}),
    "video MP3 -> MP3": Row(audio(AAC._replace(codec="mp3"), "avi", video=True), "lossless", 500_000_000, "copy",
                            "MP3 audio track", ".mp3", {"-map": "0:1", "-c:a": "copy"}),
    "video Opus -> WebM": Row(audio(AAC._replace(codec="opus"), "matroska,webm", video=True), "lossless",
                              500_000_000, "copy", "into WEBM", ".webm", {"-c:a": "copy"}),
    "video Vorbis in Ogg -> Ogg": Row(audio(AAC._replace(codec="vorbis"), "ogg", video=True), "lossless",
                                      500_000_000, "copy", "into OGG", ".ogg", {"-c:a": "copy"}),
    "video FLAC -> FLAC": Row(audio(AAC._replace(codec="flac"), "matroska,webm", video=True), "lossless",
                              500_000_000, "copy", "into FLAC", ".flac", {"-c:a": "copy"}),
    "video WMA -> decoded FLAC": Row(audio(AAC._replace(codec="wmav2"), "asf", video=True), "lossless", 500_000_000,
                                     "flac", "FLAC keeps the decoded audio at 16 bits", ".flac", {"-map": "0:1"}),
    "video PCM -> FLAC": Row(audio(pcm()._replace(number=1), "matroska,webm", video=True), "lossless", 500_000_000,
                             "flac", "video: its 16-bit PCM as FLAC", ".flac", {"-map": "0:1"}, 44100 * 60),
    "video WMA of 10 channels as it is": Row(audio(AAC._replace(codec="wmav2", channels=10), "asf", video=True),
                                             "lossless", 500_000_000, "as-is", "wmav2 audio has 10 channels"),
    # --- nothing to send but the file
    "no audio stream": Row(Media(MP4, 10.0, (), True), "lossless", 1000, "as-is", "no audio stream"),
    "no samples": Row(audio(pcm()._replace(samples=0, duration=0.0)), "lossless", 44, "as-is", "no audio samples"),
    "no audio, compact": Row(Media(MP4, 10.0, (), True), "compact", 1000, "as-is", "no audio stream"),
    # --- several tracks: the default one, as a player would pick
    "the default of two tracks": Row(Media("matroska,webm", 60.0, (SILENT, SILENT._replace(number=2, default=True)),
                                           True), "lossless", 9_000_000, "copy", "default of its 2 audio tracks",
                                     options={"-map": "0:2"}),
    "the first of two tracks": Row(Media("matroska,webm", 60.0, (SILENT, SILENT._replace(number=2)), True),
                                   "lossless", 9_000_000, "copy", "first of its 2 audio tracks",
                                   options={"-map": "0:1"}),
    # --- compact: 16 kHz mono FLAC, never upsampled, channels kept for a multichannel job
    "compact PCM": Row(audio(pcm()), "compact", 10_600_000, "flac", "compact: 16 kHz mono FLAC", ".flac",
                       {"-ar": "16000", "-ac": "1", "-sample_fmt": "s16"}, 16000 * 60, compact=True),
    "compact never upsamples: 8 kHz mono stays": Row(audio(pcm(channels=1, rate=8000)), "compact", 960_000, "flac",
                                                     "8 kHz mono", options={"-ar": ABSENT}, samples=8000 * 60),
    "compact multichannel": Row(audio(pcm(channels=4)), "compact", 21_000_000, "flac", "channels kept",
                                options={"-ac": "4"}, compact=True, multichannel=True),
    "compact multichannel over 8 channels": Row(audio(pcm(channels=12)), "compact", 60_000_000, "as-is",
                                                "12 channels are more than FLAC holds", multichannel=True),
    "compact, compressed smaller already": Row(audio(MP3, "mp3"), "compact", 960_000, "as-is",
                                               "compressed audio (mp3); sent as it is; already smaller"),
    "compact video, its track smaller already": Row(audio(AAC, MP4, video=True), "compact", 500_000_000, "copy",
                                                    "already smaller than 16 kHz FLAC", ".m4a"),
    "compact video with PCM": Row(audio(pcm()._replace(number=1), "matroska,webm", video=True), "compact",
                                  500_000_000, "flac", "compact: 16 kHz mono", options={"-map": "0:1"}, compact=True),
}  # fmt: skip


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_the_plan_for_each_kind_of_source(row: Row) -> None:
    plan = decide(row.media, row.mode, row.size, row.multichannel)
    assert plan.action == row.action, plan
    assert row.why in plan.why
    assert plan.ext == row.ext or not row.ext
    for flag, value in (row.options or {}).items():
        if value is ABSENT:
            assert flag not in plan.args, plan.args
        else:
            assert plan.args[plan.args.index(flag) + 1] == value, plan.args
    if row.samples is not None:
        assert plan.samples == row.samples and plan.streams  # sent as it is made, its header completed by stt
    assert plan.compact == row.compact
    assert plan.duration == row.media.duration
    if plan.action == "flac":
        assert (plan.ext, plan.content_type, plan.muxer) == (".flac", "audio/flac", "flac")
    if plan.action == "copy":
        assert plan.args[-2:] == ("-c:a", "copy") and plan.content_type.startswith("audio/")
    if plan.action == "as-is":
        assert not plan.changes and plan.args == ()


GLANCES = {
    # (mode, size, sniffed) -> (action or None: ffprobe must look, a phrase of why)
    "off: as it is, whatever it is": ("off", 10_000_000, Sniffed(True), "as-is", OFF),
    "off, not media": ("off", 10, Sniffed(False), "as-is", OFF),
    "a 0.1 s WAV is too small to pay": ("lossless", 17_684, Sniffed(True), "as-is", "17,684 bytes: too small"),
    "too small under compact too": ("compact", SMALL_FILE - 1, Sniffed(True), "as-is", "too small"),
    "the threshold itself is probed": ("lossless", SMALL_FILE, Sniffed(True), None, ""),
    "not media": ("lossless", 536_870_912, Sniffed(False), "as-is", "no audio or video container"),
    "not media, compact": ("compact", 536_870_912, Sniffed(False), "as-is", "no audio or video container"),
    "compressed audio": ("lossless", 5_000_000, Sniffed(True, "FLAC"), "as-is", "compressed audio (FLAC, by its"),
    "compressed audio may still become compact FLAC": ("compact", 5_000_000, Sniffed(True, "FLAC"), None, ""),
    "a container that may hold PCM or video": ("lossless", 5_000_000, Sniffed(True), None, ""),
}


@pytest.mark.parametrize(("mode", "size", "sniffed", "action", "why"), GLANCES.values(), ids=GLANCES.keys())
def test_what_is_known_before_ffprobe(mode: str, size: int, sniffed: Sniffed, action: str | None, why: str) -> None:
    plan = at_a_glance(mode, size, sniffed)
    if action is None:
        assert plan is None
        return
    assert isinstance(plan, Plan) and plan.action == action and why in plan.why
    assert plan.duration is None and not plan.compact  # the file's own bytes: jobs of lossless and off serve it


def test_the_threshold_is_where_a_whole_small_file_uploads_faster_than_two_tool_starts() -> None:
    """The figures in the constant's comment: 0.15 s of starts is 150 kB at 1 MB/s; 128 KiB is below it."""
    assert SMALL_FILE * 1 / 1_000_000 < 0.15


def test_a_multichannel_job_is_asked_by_either_option_name() -> None:
    assert wants_channels({"multi_channel": "true"}) and wants_channels({"multichannel": True})
    assert not wants_channels({"multi_channel": "false"}) and not wants_channels({})
