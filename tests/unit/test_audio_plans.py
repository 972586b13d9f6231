"""What --audio-prep decides for each kind of source, from ffprobe's description (no ffmpeg run here)."""

from __future__ import annotations

import pytest

from stt_cli.core.media import AudioStream, Media, _media, decide


def pcm(codec: str = "pcm_s16le", channels: int = 2, rate: int = 44100, bits: int = 16) -> AudioStream:
    return AudioStream(0, codec, channels, rate, bits, rate * channels * bits, rate * 60, 60.0)


def option(plan_args: tuple[str, ...], flag: str) -> str:
    return plan_args[plan_args.index(flag) + 1]


def audio(stream: AudioStream, container: str = "wav", video: bool = False) -> Media:
    return Media(container, 60.0, (stream,), video)


AAC = AudioStream(1, "aac", 2, 48000, 0, 128_000, None, 60.0)


def test_off_sends_everything_as_it_is() -> None:
    for media in (audio(pcm()), audio(AAC, "mov,mp4,m4a,3gp,3g2,mj2", video=True)):
        assert decide(media, "off", 10_000_000).action == "as-is"


@pytest.mark.parametrize(("bits", "fmt"), [(16, "s16"), (24, None)])
def test_pcm_becomes_flac_of_the_same_rate_channels_and_depth(bits: int, fmt: str | None) -> None:
    plan = decide(audio(pcm(bits=bits)), "lossless", 10_000_000)
    assert plan.action == "flac" and plan.ext == ".flac" and plan.content_type == "audio/flac"
    assert "-ar" not in plan.args and "-ac" not in plan.args  # nothing resampled or mixed
    assert ("-sample_fmt" in plan.args) == (fmt is not None)
    assert plan.samples == 44100 * 60 and plan.streams  # sent as it is made, its header completed


@pytest.mark.parametrize(
    "stream",
    [pcm("pcm_f32le", bits=32), pcm("pcm_s32le", bits=32), pcm(channels=12), pcm("pcm_mulaw", 1, 8000, 8)],
    ids=["float", "32-bit", "12 channels", "mu-law"],
)
def test_pcm_that_flac_cannot_hold_sample_for_sample_goes_as_it_is(stream: AudioStream) -> None:
    assert decide(audio(stream), "lossless", 10_000_000).action == "as-is"


def test_a_video_is_its_audio_track_stream_copied_into_a_matching_container() -> None:
    cases = {
        ("aac", "mov,mp4,m4a,3gp,3g2,mj2"): ".m4a",
        ("mp3", "avi"): ".mp3",
        ("opus", "matroska,webm"): ".webm",
        ("vorbis", "ogg"): ".ogg",
        ("flac", "matroska,webm"): ".flac",
    }
    for (codec, container), ext in cases.items():
        plan = decide(audio(AAC._replace(codec=codec), container, video=True), "lossless", 500_000_000)
        assert (plan.action, plan.ext) == ("copy", ext), codec
        assert plan.args[:2] == ("-map", "0:1") and "copy" in plan.args


def test_a_video_whose_codec_no_container_takes_is_decoded_into_flac() -> None:
    plan = decide(audio(AAC._replace(codec="wmav2"), "asf", video=True), "lossless", 500_000_000)
    assert plan.action == "flac" and "FLAC keeps the decoded audio" in plan.why


def test_cover_art_is_not_a_video() -> None:
    found = _media(
        {
            "format": {"format_name": "mp3", "duration": "61.5"},
            "streams": [
                {"index": 0, "codec_type": "audio", "codec_name": "mp3", "channels": 2, "sample_rate": "44100"},
                {"index": 1, "codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}},
            ],
        }
    )
    assert not found.has_video and found.duration == 61.5
    assert decide(found, "lossless", 1_000_000).action == "as-is"


def test_compact_is_16_khz_mono_and_never_upsamples() -> None:
    plan = decide(audio(pcm()), "compact", 10_600_000)
    assert plan.action == "flac" and option(plan.args, "-ar") == "16000" and option(plan.args, "-ac") == "1"
    assert plan.samples == 16000 * 60
    phone = decide(audio(pcm(channels=1, rate=8000)), "compact", 960_000)
    assert "8 kHz mono" in phone.why and phone.samples == 8000 * 60


def test_compact_keeps_the_channels_of_a_multichannel_job() -> None:
    plan = decide(audio(pcm(channels=4)), "compact", 21_000_000, multichannel=True)
    assert option(plan.args, "-ac") == "4"
    assert "channels kept" in plan.why


def test_compact_sends_compressed_audio_smaller_than_16_khz_flac_as_it_is() -> None:
    mp3 = AudioStream(0, "mp3", 2, 44100, 0, 128_000, None, 60.0)
    assert decide(audio(mp3, "mp3"), "compact", 960_000).action == "as-is"
    video = decide(audio(AAC, "mov,mp4,m4a,3gp,3g2,mj2", video=True), "compact", 500_000_000)
    assert video.action == "copy" and "already smaller" in video.why


def test_a_source_with_no_audio_goes_as_it_is() -> None:
    assert decide(Media("mov,mp4,m4a,3gp,3g2,mj2", 10.0, (), True), "lossless", 1000).action == "as-is"


def test_ffprobe_answers_of_the_wrong_shape_are_read_as_nothing() -> None:
    hostile = {"format": ["x"], "streams": [{"codec_type": "audio", "channels": "-3", "sample_rate": "nan"}, 7]}
    found = _media(hostile)
    assert found.duration is None and found.audio[0].channels == 0 and found.audio[0].rate == 0
    assert _media({"streams": [{"codec_type": "audio"}] * 1000}).audio.__len__() == 64


def test_only_a_16_khz_flac_counts_as_other_audio_for_the_ledger() -> None:
    """A compact run that sends the file's own samples (or the lossless stream copy) reuses their jobs."""
    assert decide(audio(pcm()), "compact", 10_600_000).compact
    assert not decide(audio(pcm()), "lossless", 10_600_000).compact
    mp3 = AudioStream(0, "mp3", 2, 44100, 0, 128_000, None, 60.0)
    assert not decide(audio(mp3, "mp3"), "compact", 960_000).compact


def test_the_default_track_is_the_one_sent() -> None:
    silent = AudioStream(1, "aac", 2, 48000, 0, 128_000, None, 60.0)
    speech = silent._replace(number=2, default=True)
    plan = decide(Media("matroska,webm", 60.0, (silent, speech), True), "lossless", 9_000_000)
    assert plan.args[:2] == ("-map", "0:2") and "default of its 2 audio tracks" in plan.why


def test_a_file_without_samples_goes_as_it_is() -> None:
    assert decide(audio(pcm()._replace(samples=0, duration=0.0)), "lossless", 44).action == "as-is"
