"""An upload's audio as a stream of 16 kHz mono 16-bit PCM for a local engine: decoded by ffmpeg where it is
installed (any format it reads), else from a WAV by the standard library; one channel of it, or the mix.

Nothing is held whole: ffmpeg writes to a pipe read in chunks, a WAV is read a second at a time, and the
stream stops with DecodeFailed past the longest audio the engine takes. What ffmpeg may open is bounded as
stt's own preparation bounds it (core/media/ffmpeg.py): the file as a `file:` URL, local files only, and
only the demuxers of real media, so an upload that is a playlist cannot make it read other files or hosts.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import IO

RATE = 16000
BYTES_PER_SECOND = RATE * 2
PIPE_CHUNK = 64 * 1024
WAV_BLOCK_SECONDS = 1.0  # a WAV without ffmpeg is read this much at a time
SHOWN = 200  # characters of ffmpeg's complaint in a failed job's message
DEMUXERS = (  # as core/media/ffmpeg.py's: real audio and video containers, nothing that lists other files
    "wav,w64,aiff,caf,au,flac,mp3,ogg,matroska,webm,mov,mp4,m4a,aac,ac3,eac3,amr,asf,avi,mpegts,mpeg,wv,ape,"
    "tta,dts,truehd,flv,mpegvideo,mlp,mp2,wsaud,xwma,voc,sox,dsf,iff,rm,nut,ircam,sds,alaw,mulaw"
)


class DecodeFailed(Exception):
    """The audio cannot be given to the engine: the message is the failed job's, for the user to read."""


def too_long(limit: float) -> DecodeFailed:
    return DecodeFailed(
        f"Audio is longer than the local engine takes ({shown_length(limit)}; stt emulator --max-audio)"
    )


def shown_length(seconds: float) -> str:
    """7200 -> `2 h`, 5400 -> `1 h 30 min`, 90 -> `1 min 30 s`, 12.5 -> `12.5 s`."""
    if seconds < 60:
        return f"{seconds:g} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p)


def pcm(path: str, channel: int | None, max_seconds: float, ffmpeg: str | None = None) -> Iterator[bytes]:
    """The audio of `path` as 16 kHz mono s16le chunks: channel `channel` (from 0) alone, or all mixed when
    None. DecodeFailed when it cannot be decoded or is longer than `max_seconds`."""
    program = ffmpeg if ffmpeg is not None else shutil.which("ffmpeg")
    chunks = _by_ffmpeg(program, path, channel, max_seconds) if program else _by_wave(path, channel)
    total = 0
    limit = int(max_seconds * BYTES_PER_SECOND)
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise too_long(max_seconds)
        yield chunk


def _by_ffmpeg(program: str, path: str, channel: int | None, max_seconds: float) -> Iterator[bytes]:
    mix = ["-ac", "1"] if channel is None else ["-af", f"pan=mono|c0=c{channel}"]
    command = [
        program, "-nostdin", "-hide_banner", "-v", "error", "-threads", "1",
        "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS, "-i", f"file:{Path(path).resolve()}",
        "-map", "0:a:0", "-vn", "-sn", "-dn", *mix, "-ar", str(RATE),
        "-t", f"{max_seconds + 1:.3f}",  # a stream that lies about its length still ends
        "-f", "s16le", "-c:a", "pcm_s16le", "pipe:1",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as complaints:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=complaints, preexec_fn=_unlimited
        )
        assert process.stdout is not None
        try:
            while chunk := process.stdout.read(PIPE_CHUNK):
                yield chunk
            code = process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
        if code != 0:
            raise DecodeFailed(f"Audio could not be decoded (ffmpeg: {_complaint(complaints, path)})")


def _unlimited() -> None:
    """ffmpeg, started by a worker whose memory is capped, gets the cap the worker was given (its hard limit):
    its threads reserve address space they never use."""
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _complaint(stream: IO[bytes], path: str) -> str:
    """ffmpeg's last line of complaint, without the name of the upload's copy (a temp file, no news to the user)."""
    stream.seek(0)
    lines = [line.strip() for line in stream.read(16 * 1024).decode("utf-8", "replace").splitlines() if line.strip()]
    text = lines[-1] if lines else "ffmpeg found no audio in it"
    text = text.replace(f"file:{Path(path).resolve()}: ", "")
    text = "".join(c for c in text if c.isprintable())
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def _by_wave(path: str, channel: int | None) -> Iterator[bytes]:
    """A WAV read by the standard library, a second at a time: 8-, 16-, 24- or 32-bit integer PCM at any
    rate. Anything else needs ffmpeg, and the message says so."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head == b"fLaC":
        raise DecodeFailed("FLAC audio needs ffmpeg, which is not installed where the emulator runs")
    try:
        with wave.open(path, "rb") as reader:
            yield from _wav_frames(reader, channel)
    except (wave.Error, EOFError) as exc:
        raise DecodeFailed(
            f"Audio could not be decoded without ffmpeg ({exc or 'not a WAV file'}): install ffmpeg where the "
            "emulator runs"
        ) from None


def _wav_frames(reader: wave.Wave_read, channel: int | None) -> Iterator[bytes]:
    rate, channels, width = reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
    if rate <= 0 or width not in (1, 2, 3, 4) or channels <= 0:
        raise DecodeFailed(f"Audio could not be decoded: a WAV of {width * 8}-bit samples at {rate} Hz")
    if channel is not None and channel >= channels:
        raise DecodeFailed(f"Audio has no channel {channel + 1}")
    resampler = Resampler(rate)
    block = max(1, int(rate * WAV_BLOCK_SECONDS))
    while data := reader.readframes(block):
        samples = to_int16(data, width)
        yield resampler.feed(pick(samples, channels, channel)).tobytes()
    yield resampler.feed([], final=True).tobytes()


def to_int16(data: bytes, width: int) -> array[int]:
    """Little-endian integer PCM of `width` bytes a sample (8-bit unsigned, the others signed) as 16-bit."""
    if width == 1:
        return array("h", ((byte - 128) << 8 for byte in data))
    if width == 2:
        samples = array("h", data[: len(data) - len(data) % 2])
    else:  # 24 and 32 bits: their two most significant bytes
        count = len(data) // width
        top = bytearray(count * 2)
        top[0::2] = data[width - 2 : count * width : width]
        top[1::2] = data[width - 1 : count * width : width]
        samples = array("h", bytes(top))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def pick(samples: array[int], channels: int, channel: int | None) -> list[int]:
    """One channel of interleaved samples, or their mean."""
    if channels == 1:
        return list(samples)
    if channel is not None:
        return list(samples[channel::channels])
    columns = [samples[c::channels] for c in range(channels)]
    return [sum(frame) // channels for frame in zip(*columns, strict=False)]


class Resampler:
    """A stream of samples at `rate` made 16 kHz: each output sample is the mean of the input samples it
    spans when there are more (a box filter: crude, but no aliasing of loud high tones into speech), or
    interpolated between its two neighbours when there are fewer. Only the tail not yet used is kept."""

    def __init__(self, rate: int) -> None:
        self.step = rate / RATE
        self._buffer: list[int] = []
        self._offset = 0  # the input index of _buffer[0]
        self._made = 0  # output samples made so far: the next one sits at input position _made * step

    def feed(self, samples: list[int], final: bool = False) -> array[int]:
        out = array("h")
        if self.step == 1:
            out.extend(samples)
            return out
        buffer = self._buffer
        buffer.extend(samples)
        end = self._offset + len(buffer)
        step = self.step
        while True:
            position = self._made * step
            low = int(position)
            if step > 1:
                high = int(position + step)
                if high > end:
                    if not final or low >= end:
                        break
                    high = end
                span = buffer[low - self._offset : high - self._offset]
                out.append(sum(span) // len(span))
            else:
                if low + 1 >= end:
                    if not final or low >= end:
                        break
                    out.append(buffer[low - self._offset])
                else:
                    a, b = buffer[low - self._offset], buffer[low + 1 - self._offset]
                    out.append(int(a + (b - a) * (position - low)))
            self._made += 1
        used = int(self._made * step) - self._offset
        if used > 0:
            del buffer[:used]
            self._offset += used
        return out


def remove(path: str) -> None:
    """A decoded upload's copy removed (gone already is fine)."""
    with contextlib.suppress(OSError):
        os.unlink(path)
