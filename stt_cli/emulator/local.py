"""The emulator's local engine as the server uses it: what a job asks of it (decided when the job is made),
and its upload handed to the worker pool.

A job the engine takes is decoded in the background and finishes when its words are known; one it cannot
take fails at once with a message saying why (audio longer than --max-audio, an upload too big to keep for
decoding, every worker's queue full); one in a language other than English completes with no words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stt_cli.emulator.decoding import remove, shown_length, too_long
from stt_cli.emulator.engines import PLACEHOLDER, Heard, plan, version
from stt_cli.emulator.results import AudioInfo, DurationSource
from stt_cli.emulator.workers import Channels, Pool, Task, default_size

DEFAULT_MAX_AUDIO = 2 * 3600.0  # s of audio a job may have
MAX_CHANNELS = 8  # channels transcribed one by one when asked for; more are left out, and a note says so
MAX_COPY = 2 * 1024**3  # bytes of an upload kept on disk (the temp folder) until it is decoded
MEASURED = (DurationSource.WAV, DurationSource.FLAC, DurationSource.FFPROBE)  # lengths that are no guess


@dataclass(frozen=True)
class Admission:
    """What becomes of a new job's upload: decoded (`channels`: 0 for the mix), answered at once with no
    words (`heard`), or failed (`failure`)."""

    notes: tuple[str, ...]
    channels: int = 0
    heard: Heard | None = None
    failure: str | None = None


class LocalEngine:
    """The engine named by `stt emulator --engine` (resolved: pocketsphinx or placeholder) and its pool."""

    def __init__(self, name: str, workers: int | None = None, max_audio: float = DEFAULT_MAX_AUDIO) -> None:
        self.name = name
        self.version = version(name)
        self.max_audio = max_audio
        self.pool = Pool(workers or default_size()) if name != PLACEHOLDER else None

    @property
    def transcribes(self) -> bool:
        return self.pool is not None

    def describe(self) -> str:
        """One line for the emulator's start-up."""
        if self.pool is None:
            return "answers your audio with a labelled placeholder (the local extra transcribes it)"
        return (
            f"transcribes your audio with {self.name} {self.version} (rough; US English only): "
            f"{self.pool.size} at once, {shown_length(self.max_audio)} of audio at most"
        )

    def admit(self, options: dict[str, Any], info: AudioInfo, copy: str | None) -> Admission:
        """What a new job's upload (its copy on disk at `copy`, if one could be kept) gets."""
        notes, english = plan(self.name, options)
        wanted = _flag(options, "multi_channel") or _flag(options, "multichannel")
        channels = min(info.channels, MAX_CHANNELS) if wanted and info.channels > 1 else 0
        if wanted and info.channels > MAX_CHANNELS:
            notes += (f"channels: the first {MAX_CHANNELS} of {info.channels} transcribed",)
        if not english:
            empty: Channels = ((),) * max(1, channels)
            return Admission(notes, channels, heard=Heard(self.name, self.version, empty, notes))
        if info.duration_source in MEASURED and info.duration > self.max_audio:
            return Admission(notes, failure=str(too_long(self.max_audio)))
        if copy is None:
            return Admission(
                notes,
                failure=f"Audio larger than the local engine keeps to decode ({MAX_COPY // 1024**3} GiB), "
                "or the emulator could not keep a copy of it in its temp folder",
            )
        return Admission(notes, channels)

    def submit(
        self,
        copy: str,
        owned: bool,
        admission: Admission,
        started: Callable[[], None],
        finished: Callable[[Heard | None, str | None], None],
    ) -> Task | None:
        """Hand the upload's copy to the pool: `started` when a worker takes it, `finished` with what it
        heard or why it failed. None when the pool takes no more (the copy is then removed if `owned`)."""
        assert self.pool is not None

        def done(words: Channels | None, failure: str | None) -> None:
            heard = Heard(self.name, self.version, words, admission.notes) if words is not None else None
            finished(heard, failure)

        task = Task(copy, admission.channels, self.max_audio, started, done, owned)
        if self.pool.submit(task):
            return task
        if owned:
            remove(copy)
        return None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _flag(options: dict[str, Any], name: str) -> bool:
    value = options.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")
