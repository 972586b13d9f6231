"""The decision, pure: what is sent of a source under each --audio-prep, from what ffprobe (or, before it, the
file's first bytes and size) says of it. No process is started and no file read here: each rule is a row of
tests/unit/media/test_policy.py.

The service bills seconds of audio, not bytes, and its models hear few-channel speech, so a video is sent as
its audio track (stream-copied, not re-encoded), uncompressed PCM as FLAC with the very same samples, and
compressed audio as it is (`lossless`, the default). `compact` sends 16 kHz mono FLAC, what Whisper decodes
to anyway (a multi-channel job keeps its channels); `off` sends the file untouched.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from stt_cli.core.media.sniff import Sniffed

COMPACT_RATE = 16_000  # Hz: what Whisper resamples every input to
# A file smaller than this is sent as it is, unprobed: preparing it cannot pay. ffprobe and ffmpeg each take
# 0.07 s (idle) to 0.12 s (busy) to start and finish on a 0.1 s WAV (20 runs each, 2-core AMD EPYC,
# ffmpeg 5.1): 0.15-0.23 s a file, the time 150-230 kB take to go up at 1 MB/s (8 Mbit/s, a slow uplink).
# FLAC saves 20-50% of such a WAV (17.7 kB -> 9.5-14.3 kB) and compact at most all of it, so under 128 KiB
# even the whole file goes up faster than the two starts take. A faster uplink moves the break-even up (about
# 1.5 MB of WAV at 5 MB/s): between the two, preparation still saves bytes, for a little time.
SMALL_FILE = 128 * 1024

# Uncompressed PCM that FLAC holds sample for sample (FLAC has no float and, in this ffmpeg, no 32-bit form).
FLAC_PCM = frozenset(
    {"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s16le_planar", "pcm_s24daud", "pcm_bluray",
     "pcm_dvd"}
)  # fmt: skip
# A stream copy needs a container every model takes: the audio codec decides which.
COPY_CONTAINERS = {
    "aac": ("ipod", ".m4a", "audio/mp4"),
    "alac": ("ipod", ".m4a", "audio/mp4"),
    "mp3": ("mp3", ".mp3", "audio/mpeg"),
    "opus": ("ogg", ".ogg", "audio/ogg"),
    "vorbis": ("ogg", ".ogg", "audio/ogg"),
    "flac": ("flac", ".flac", "audio/flac"),
}
FLAC_OUT = (".flac", "audio/flac")
FLAC_MAX_CHANNELS = 8


class AudioStream(NamedTuple):
    number: int  # the stream's index in its container
    codec: str
    channels: int
    rate: int
    bits: int  # bits a sample holds (0: unknown)
    bit_rate: int | None
    samples: int | None  # the exact count, where the container says (PCM)
    duration: float | None
    default: bool = False  # flagged as the track to play


class Media(NamedTuple):
    """What ffprobe found in a source."""

    container: str
    duration: float | None
    audio: tuple[AudioStream, ...]
    has_video: bool  # a moving picture (cover art does not count)


class Plan(NamedTuple):
    """What is sent for a source, and why: the file as it is, a stream copy, or FLAC."""

    action: str  # "as-is" | "copy" | "flac"
    why: str  # a phrase for the dry run and -v: "video: its AAC audio track, stream-copied into M4A"
    duration: float | None  # seconds to be billed, where ffprobe knows
    ext: str = ""
    content_type: str = ""
    args: tuple[str, ...] = ()  # ffmpeg's output options
    muxer: str = ""
    samples: int | None = None  # the FLAC's sample count, when known before it is made
    rate: int = 0  # the output's sample rate (FLAC)
    estimate: int | None = None  # bytes expected before it is made
    compact: bool = False  # 16 kHz (or less) FLAC: audio other than the source's own samples

    @property
    def changes(self) -> bool:
        return self.action != "as-is"

    @property
    def streams(self) -> bool:
        """Made while it is sent: FLAC, whose header stt can complete itself."""
        return self.action == "flac" and self.samples is not None


def _rate_words(rate: int, channels: int) -> str:
    khz = f"{rate / 1000:g} kHz" if rate else "? kHz"
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels")
    return f"{khz} {layout}"


def _flac_args(rate: int | None, channels: int | None, bits: int) -> tuple[str, ...]:
    args = ["-c:a", "flac", "-compression_level", "5"]
    if rate is not None:
        args += ["-ar", str(rate)]
    if channels is not None:
        args += ["-ac", str(channels)]
    if bits <= 16:
        args += ["-sample_fmt", "s16"]
    return tuple(args)


OFF = "{opt:audio_prep} off: the file as it is"


def at_a_glance(mode: str, size: int, sniffed: Sniffed) -> Plan | None:
    """The plan known before ffprobe runs, from the mode, the file's size and its first bytes: the file as it
    is when nothing could be gained; None when ffprobe must look."""
    if mode == "off":
        return Plan("as-is", OFF, None)
    if size < SMALL_FILE:
        return Plan("as-is", f"{size:,} bytes: too small for preparing it to pay; sent as it is", None)
    if not sniffed.media:
        return Plan("as-is", "its first bytes are no audio or video container; sent as it is (the service decides)",
                    None)  # fmt: skip
    if sniffed.compressed and mode == "lossless":
        return Plan("as-is", f"compressed audio ({sniffed.compressed}, by its first bytes); sent as it is", None)
    return None


def decide(media: Media, mode: str, size: int, multichannel: bool = False) -> Plan:
    """What to send for this source under this --audio-prep mode (the file itself when nothing is gained)."""
    duration = media.duration
    if mode == "off":
        return Plan("as-is", OFF, duration)
    if not media.audio:
        return Plan("as-is", "ffprobe found no audio stream in it; sent as it is (the service decides)", duration)
    # The track flagged default, as a player (and ffmpeg) would pick it; else the first.
    stream = next((track for track in media.audio if track.default), media.audio[0])
    more = ""
    if len(media.audio) > 1:
        which = "default" if stream.default else "first"
        more = f" (the {which} of its {len(media.audio)} audio tracks, #{stream.number})"
    if stream.duration == 0 or stream.samples == 0:
        return Plan("as-is", "it holds no audio samples; sent as it is (the service decides)", duration)
    lossless = _lossless(media, stream, size, more)
    if mode != "compact":
        return lossless
    channels = stream.channels if multichannel else 1
    rate = min(COMPACT_RATE, stream.rate) if stream.rate else COMPACT_RATE
    if channels > FLAC_MAX_CHANNELS:
        return lossless
    estimate = int((duration or 0) * rate * 2 * channels * 0.6) or None  # speech in FLAC: about 60% of PCM
    smaller_already = lossless.estimate if lossless.changes else size
    if estimate is not None and smaller_already is not None and smaller_already <= estimate:
        return lossless._replace(why=lossless.why + "; already smaller than 16 kHz FLAC would be")
    samples = None
    if stream.samples is not None and stream.rate and stream.codec.startswith("pcm_"):
        samples = math.ceil(stream.samples * rate / stream.rate)  # a decoder's priming makes others unsure
    kept = ", its channels kept (multichannel)" if multichannel and channels > 1 else ""
    return Plan(
        "flac",
        f"compact: {_rate_words(rate, channels)} FLAC{more}{kept}",
        duration,
        *FLAC_OUT,
        args=("-map", f"0:{stream.number}", *_flac_args(rate, channels, 16)),
        muxer="flac",
        samples=samples,
        rate=rate,
        estimate=estimate,
        compact=True,
    )


def wants_channels(options: dict[str, Any]) -> bool:
    """The request asks for each channel on its own (`multi_channel` or `multichannel`): compact keeps them."""
    return any(str(options.get(name, "")).lower() == "true" for name in ("multi_channel", "multichannel"))


def _lossless(media: Media, stream: AudioStream, size: int, more: str) -> Plan:
    duration = media.duration
    codec = stream.codec
    pcm_flac = codec in FLAC_PCM and stream.channels <= FLAC_MAX_CHANNELS and stream.bits <= 24
    if pcm_flac:
        what = f"{'video: its ' if media.has_video else ''}{stream.bits or 16}-bit PCM{more}"
        return Plan(
            "flac",
            f"{what} as FLAC, the same samples ({_rate_words(stream.rate, stream.channels)})",
            duration,
            *FLAC_OUT,
            args=("-map", f"0:{stream.number}", *_flac_args(None, None, stream.bits or 16)),
            muxer="flac",
            samples=stream.samples,
            rate=stream.rate,
            estimate=int((duration or 0) * stream.rate * stream.channels * (stream.bits or 16) / 8 * 0.6) or None,
        )
    if not media.has_video:
        if codec.startswith("pcm_") and stream.channels > FLAC_MAX_CHANNELS:
            return Plan("as-is", f"{stream.channels} channels are more than FLAC holds; sent as it is", duration)
        if codec.startswith("pcm_"):
            return Plan("as-is", f"{codec} has no lossless FLAC form here; sent as it is", duration)
        return Plan("as-is", f"compressed audio ({codec}); sent as it is", duration)
    container = COPY_CONTAINERS.get(codec)
    if codec in ("opus", "vorbis") and ("matroska" in media.container or "webm" in media.container):
        container = ("webm", ".webm", "audio/webm")  # its own timing kept (Ogg would trim the end otherwise)
    audio_bytes = int((stream.bit_rate or 0) * (duration or 0) / 8) or None
    if container is not None:
        muxer, ext, content_type = container
        return Plan(
            "copy",
            f"video: its {codec.upper()} audio track{more}, stream-copied into {ext[1:].upper()} (not re-encoded)",
            duration,
            ext,
            content_type,
            args=("-map", f"0:{stream.number}", "-c:a", "copy"),
            muxer=muxer,
            estimate=audio_bytes,
        )
    if stream.channels <= FLAC_MAX_CHANNELS:
        return Plan(
            "flac",
            f"video: its {codec} audio track{more} decoded into FLAC (no container every model takes holds "
            f"{codec}; FLAC keeps the decoded audio at {24 if stream.bits > 16 else 16} bits)",
            duration,
            *FLAC_OUT,
            args=("-map", f"0:{stream.number}", *_flac_args(None, None, 24 if stream.bits > 16 else 16)),
            muxer="flac",
            rate=stream.rate,
        )
    return Plan("as-is", f"video whose {codec} audio has {stream.channels} channels; sent as it is", duration)
