"""`--dry-run`: what run or submit would send of each source, and for how many seconds of audio, sending nothing.

The decision is the upload's own (core/media/upload.choose, through `sending`), reported as data; the bytes are
counted, not guessed: each conversion is made in stt's cache dir, measured and removed. No key is needed and
no request leaves the machine (nor is the HTTP client loaded).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli.errors import Interrupted

if TYPE_CHECKING:
    from stt_cli.core.media.ffmpeg import Conversion
    from stt_cli.core.plan import Request, SourceOptions
    from stt_cli.core.reporter import Reporter
    from stt_cli.core.sources import Source


class Preview(NamedTuple):
    """One source under --dry-run: its audio's length, its bytes, what would be sent, and how."""

    source: str
    duration: float | None  # s of audio to be billed (None: not known here)
    size: int | None  # the source's bytes (None: a URL)
    sent: int | None  # the bytes of audio that would be uploaded (None: a URL, fetched by the service)
    prep: str  # "as-is" | "copy" | "flac" | "url"
    how: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "duration": None if self.duration is None else round(self.duration, 3),
            "size": self.size,
            "sent_bytes": self.sent,
            "prep": self.prep,
            "how": self.how,
        }


def dry_run(sources: list[Source], request: Request, limits: SourceOptions, reporter: Reporter) -> int:
    """Each source looked at and, where it would be prepared, prepared and measured (--concurrency at once);
    the table or JSON lines at the end, in the order given."""
    from stt_cli.core.media.ffmpeg import new_run, stop_all
    from stt_cli.core.media.policy import wants_channels
    from stt_cli.core.pool import Pool
    from stt_cli.errors import ExitCode

    if len(sources) > 1:
        reporter.note(f"--dry-run: measuring what would be sent of {len(sources)} sources; nothing is sent")
    previews: list[Preview | None] = [None] * len(sources)
    active: set[Conversion] = set()  # the conversions being made: Ctrl-C stops their ffmpeg, removes their files
    multichannel = wants_channels(request.options)

    def task(index: int, source: Source) -> None:
        previews[index] = preview(source, limits.audio_prep, multichannel, active)

    def stop() -> None:
        stop_all()  # the probes too
        for conversion in list(active):
            conversion.close()

    new_run()
    pool = Pool(limits.concurrency if sources[0].kind != "stdin" else 1)
    try:
        outcomes = pool.run(sources, task, stop)
    except Interrupted:
        raise Interrupted("interrupted during --dry-run; nothing was sent") from None
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
    reporter.previewed([item for item in previews if item is not None])
    return ExitCode.OK


@contextlib.contextmanager
def _local_file(source: Source) -> Iterator[tuple[Path, str]]:
    """The file to look at, and the name the upload would give it."""
    from stt_cli.core.sources import spooled_stdin

    if source.kind == "stdin":
        with spooled_stdin() as (path, _digest):
            yield path, "stdin.audio"
        return
    assert source.path is not None
    yield source.path, source.path.name


def preview(source: Source, mode: str, multichannel: bool, active: set[Conversion] | None = None) -> Preview:
    """What would be sent of one source: the upload's own steps (`sending`) taken, their Decision reported and
    what they would make measured (the conversion in `active` while it is made)."""
    from stt_cli.api.uploads import BodyRestart
    from stt_cli.core.media.ffmpeg import Unreadable
    from stt_cli.core.media.upload import sending

    if source.kind == "url":
        return Preview(
            source.label, None, None, None, "url", "a URL: the service fetches it (its length is not known here)"
        )
    notes: list[str] = []  # what a run would say; the plan's `why` says it here
    with _local_file(source) as (path, name), sending(path, name, mode, multichannel, notes.append) as sent:
        size = path.stat().st_size
        plan = sent.plan
        if sent.made is None:
            duration = plan.duration if plan.duration is not None else _length(path)
            return Preview(source.label, duration, size, size, "as-is", plan.why)
        made = sent.made
        if active is not None:
            active.add(made)
        try:
            if sent.live is not None:
                with contextlib.suppress(BodyRestart):  # the header is then corrected in the file
                    for _chunk in sent.live.chunks():
                        pass
            assert made.path is not None
            measured = made.size  # the temp file holds all that would be sent
            length = _length(made.path)  # the length of what is sent, not of the file
        except (Unreadable, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            return Preview(source.label, plan.duration, size, size, "as-is", f"as it is: {why}")
        finally:
            if active is not None:
                active.discard(made)
    return Preview(source.label, length if length is not None else plan.duration, size, measured, plan.action, plan.why)


def _length(path: Path) -> float | None:
    """The seconds of audio ffprobe finds in a file, for the table only (None: no ffprobe, or it cannot say)."""
    from stt_cli.core.media.ffmpeg import Unreadable, find_tools
    from stt_cli.core.media.probe import probe

    tools = find_tools()
    if tools is None:
        return None
    try:
        return probe(path, tools).duration
    except Unreadable:
        return None
