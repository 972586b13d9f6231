"""Many sources at once, free of UI: expanding the sources, reusing jobs already paid for, a pool of workers."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stt_cli.errors import Interrupted, SttError, UsageError
from stt_cli.fsutil import file_sha256
from stt_cli.jobs import Source, parse_source
from stt_cli.protocol import OptionValue, Status

if TYPE_CHECKING:
    from stt_cli.ledger import JobRecord, Ledger

# What a recursive walk picks up: the audio and video files the service is likely to take.
MEDIA_EXTENSIONS = frozenset(
    {
        ".wav", ".wave", ".mp3", ".m4a", ".mp4", ".aac", ".flac", ".ogg", ".oga", ".opus", ".webm", ".mka",
        ".mkv", ".mov", ".avi", ".wma", ".wmv", ".amr", ".aiff", ".aif", ".caf", ".3gp", ".mpga", ".mpeg",
        ".mpg", ".m4v", ".ts", ".mts", ".spx",
    }
)  # fmt: skip


def read_list(path: str) -> list[str]:
    """Sources from a list file (one a line; blank lines and # comments skipped), `-` for stdin."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the list {path}: {exc}", "give a text file with one source a line") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def expand(raw: Iterable[str], recursive: bool) -> list[Source]:
    """Paths, URLs and `-` as Sources; directories walked for media files when recursive; duplicates once."""
    sources: dict[str, Source] = {}
    for item in raw:
        if recursive and _is_directory(item):
            found = sorted(
                p for p in Path(item).expanduser().rglob("*") if p.suffix.lower() in MEDIA_EXTENSIONS and p.is_file()
            )
            if not found:
                raise UsageError(f"{item} holds no audio or video files", "point at the folder with the recordings")
            for file in found:
                sources.setdefault(str(file.resolve()), parse_source(str(file)))
            continue
        source = parse_source(item)
        key = str(source.path.resolve()) if source.path is not None else source.raw
        sources.setdefault(key, source)  # a source listed twice (stdin included) is transcribed once
    return list(sources.values())


def _is_directory(item: str) -> bool:
    return item != "-" and "://" not in item and "\x00" not in item and Path(item).expanduser().is_dir()


def find_reusable(
    ledger: Ledger, host: str, source: Source, model: str, options: dict[str, OptionValue]
) -> JobRecord | None:
    """A job of the ledger for the same audio (sha256, or URL), model and options, not failed; newest first.

    A file is hashed only when the ledger holds a job of the same size, so new files cost nothing extra.
    """
    if source.kind == "stdin":
        return None
    if source.kind == "url":
        candidates = ledger.candidates(host, model, source=source.raw)
        return next((c for c in candidates if c.source == source.raw and c.options == options), None)
    assert source.path is not None
    candidates = [c for c in ledger.candidates(host, model, size=source.path.stat().st_size) if c.options == options]
    if not candidates:
        return None
    digest = file_sha256(source.path)
    return next((c for c in candidates if c.source_sha256 == digest), None)


def is_pending(record: JobRecord) -> bool:
    return record.status not in (Status.COMPLETED.value, Status.FAILED.value) or record.result is None


@dataclass
class Outcome:
    source: Source
    error: SttError | None = None
    skipped: bool = False
    value: Any = None


@dataclass
class Pool:
    """Runs one task per source on `concurrency` daemon threads; Ctrl-C sets `cancel` and returns at once."""

    concurrency: int
    cancel: threading.Event = field(default_factory=threading.Event)

    def run(self, sources: list[Source], task: Callable[[int, Source], Any]) -> list[Outcome]:
        outcomes = [Outcome(s) for s in sources]
        todo: queue.Queue[int] = queue.Queue()
        for index in range(len(sources)):
            todo.put(index)

        def worker() -> None:
            while not self.cancel.is_set():
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcomes[index].value = task(index, sources[index])
                except SttError as exc:  # one failure never stops the others
                    outcomes[index].error = exc
                except BaseException as exc:
                    outcomes[index].error = SttError(f"unexpected {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, self.concurrency))]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.1)
        except KeyboardInterrupt:
            self.cancel.set()
            for thread in threads:
                thread.join(2.0)  # uploads and waits notice the flag within a chunk or a poll
            raise Interrupted("interrupted") from None
        return outcomes

    def sleep(self, seconds: float) -> None:
        """A sleep that ends early, and raises, when the batch is cancelled."""
        if self.cancel.wait(seconds):
            raise Interrupted("cancelled")

    def check(self) -> None:
        if self.cancel.is_set():
            raise Interrupted("cancelled")
