"""core/media/probe.py's reading of ffprobe's JSON: cover art is no video, and answers of the wrong shape are
read as unknown, never trusted (the ffprobe run itself is tested in tests/e2e/test_media.py)."""

from __future__ import annotations

from stt_cli.core.media.policy import decide
from stt_cli.core.media.probe import MAX_STREAMS, read_probe


def test_cover_art_is_not_a_video() -> None:
    found = read_probe(
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


def test_a_pcm_sample_count_is_read_where_its_time_base_is_the_sample_rate() -> None:
    stream = {"index": 0, "codec_type": "audio", "codec_name": "pcm_s16le", "channels": 2, "sample_rate": "44100",
              "bits_per_sample": 16, "time_base": "1/44100", "duration_ts": 2646000, "duration": "60.0"}  # fmt: skip
    [audio] = read_probe({"format": {"format_name": "wav", "duration": "60.0"}, "streams": [stream]}).audio
    assert (audio.samples, audio.bits, audio.rate, audio.channels) == (2646000, 16, 44100, 2)
    [other] = read_probe({"streams": [{**stream, "time_base": "1/1000"}]}).audio
    assert other.samples is None  # counted in another unit: not a sample count


def test_ffprobe_answers_of_the_wrong_shape_are_read_as_nothing() -> None:
    hostile = {"format": ["x"], "streams": [{"codec_type": "audio", "channels": "-3", "sample_rate": "nan"}, 7]}
    found = read_probe(hostile)
    assert found.duration is None and found.audio[0].channels == 0 and found.audio[0].rate == 0
    assert len(read_probe({"streams": [{"codec_type": "audio"}] * 1000}).audio) == MAX_STREAMS == 64
