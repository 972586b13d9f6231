"""The pocketsphinx recogniser, as a worker process runs it: 16 kHz mono PCM in, words with times out.

The audio arrives as a stream and is never held whole: a voice activity detector cuts it into stretches of
speech (a little of the quiet before each is kept, so a first word is not clipped), and each stretch, at
most MAX_SEGMENT seconds, is decoded as one utterance (its whole length at once, which normalises it better
than a live decode). Between stretches nothing is kept, so memory stays flat for any length of audio.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from stt_cli.emulator.engines import HeardWord

RATE = 16000  # samples a second, 16-bit mono: what the shipped en-us model was trained on
BYTES_PER_SECOND = RATE * 2
FRAMES_PER_SECOND = 100  # the decoder's frame rate: its word boundaries are in these frames
PRE_ROLL = 0.3  # s of quiet kept before a stretch of speech (the detector decides a little late)
HANG_OVER = 0.5  # s of quiet that ends a stretch
SOFT_SEGMENT = 20.0  # s: past this, a stretch ends at its next quiet frame...
MAX_SEGMENT = 30.0  # s: ...and here whatever the audio does (bounds the decoder's memory)
VARIANT = re.compile(r"\(\d+\)$")  # the dictionary's alternative pronunciations: read(2) is read
QUIET_SPAN = 64  # a frame whose samples span less than this (-54 dBFS) is quiet, whatever the detector says


@dataclass(frozen=True)
class Segment:
    """A stretch of speech: where it starts (s), its PCM, and whether a pause ends it (else it was cut at
    MAX_SEGMENT, mid-speech)."""

    start: float
    pcm: bytes
    paused: bool = True


def frames(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The stream re-cut into frames of `size` bytes (a short last one dropped: under one frame, 30 ms)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        whole = len(pending) - len(pending) % size
        for offset in range(0, whole, size):
            yield bytes(pending[offset : offset + size])
        del pending[:whole]


def segments(chunks: Iterable[bytes], frame_bytes: int, is_speech: Callable[[bytes], bool]) -> Iterator[Segment]:
    """Stretches of speech in a stream of 16 kHz 16-bit PCM, as the detector `is_speech` (one frame of
    `frame_bytes` at a time) finds them: PRE_ROLL before each, HANG_OVER of quiet ends one, none longer
    than MAX_SEGMENT. Quiet between stretches is dropped as it goes."""
    frame_seconds = frame_bytes / BYTES_PER_SECOND
    before: deque[bytes] = deque(maxlen=max(1, round(PRE_ROLL / frame_seconds)))
    current: bytearray | None = None
    start = quiet = 0.0
    at = 0.0  # the start of the frame in hand
    for frame in frames(chunks, frame_bytes):
        speech = is_speech(frame)
        if current is None:
            if speech:
                current = bytearray(b"".join(before))
                start = at - len(before) * frame_seconds
                quiet = 0.0
                current += frame
            else:
                before.append(frame)
        else:
            current += frame
            quiet = 0.0 if speech else quiet + frame_seconds
            length = len(current) / BYTES_PER_SECOND
            if quiet >= HANG_OVER or length >= MAX_SEGMENT or (length >= SOFT_SEGMENT and not speech):
                yield Segment(round(start, 3), bytes(current), paused=not speech)
                current = None
                before.clear()
        at += frame_seconds
    if current is not None:
        yield Segment(round(start, 3), bytes(current))


def audible(frame: bytes) -> bool:
    """Whether a frame of 16-bit PCM holds more than near-digital silence. The detector adapts to what it
    heard before, and after loud tones it has taken plain zeros for speech (and the decoder then found a
    word in them): this check does not adapt."""
    samples = array("h", frame)
    if sys.byteorder == "big":
        samples.byteswap()
    return max(samples) - min(samples) >= QUIET_SPAN


def word_of(token: str) -> str | None:
    """A token of the decoder as a word, or None for its marks: <s>, </s>, <sil>, [NOISE], ++BREATH++."""
    if not token or token[0] in "<[+":
        return None
    return VARIANT.sub("", token)


class Recogniser:
    """One pocketsphinx decoder with its shipped US English model (loaded once: about 0.3 s and 110 MB)."""

    def __init__(self) -> None:
        import pocketsphinx  # lazy: the local extra may be missing, and only a worker process needs it

        pocketsphinx.set_loglevel("FATAL")  # its progress chatter would fill the worker's stderr
        self._decoder: Any = pocketsphinx.Decoder()
        self._detector: Any = lambda: pocketsphinx.Vad(pocketsphinx.Vad.LOOSE, RATE)

    def words(self, chunks: Iterable[bytes]) -> list[HeardWord]:
        """The words of a stream of 16 kHz mono 16-bit PCM, in order. Each stream gets a detector of its own:
        one stream's sounds must not change what the next one's quiet is taken for."""
        detector = self._detector()

        def speech(frame: bytes) -> bool:
            return bool(detector.is_speech(frame)) and audible(frame)

        heard: list[HeardWord] = []
        for segment in segments(chunks, detector.frame_bytes, speech):
            heard.extend(self._decode(segment))
        return heard

    def _decode(self, segment: Segment) -> list[HeardWord]:
        decoder = self._decoder
        decoder.start_utt()
        decoder.process_raw(segment.pcm, full_utt=True)
        decoder.end_utt()
        found = []
        for item in decoder.seg():
            word = word_of(item.word)
            if word is None:
                continue
            start = segment.start + item.start_frame / FRAMES_PER_SECOND
            end = segment.start + (item.end_frame + 1) / FRAMES_PER_SECOND
            confidence = min(1.0, max(0.0, float(item.prob)))  # the word's posterior probability in its lattice
            found.append(HeardWord(word, round(start, 3), round(end, 3), round(confidence, 4)))
        if found and segment.paused:
            last = found[-1]
            found[-1] = HeardWord(last.word, last.start, last.end, last.confidence, last_in_segment=True)
        return found
