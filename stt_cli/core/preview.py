"""`--dry-run`: what run or submit would send of each source, and for how many seconds of audio, sending nothing.

The bytes are counted, not guessed: each preparation is made in stt's cache dir, measured and removed.
No key is needed and no request leaves the machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli.errors import Interrupted

if TYPE_CHECKING:
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
    """Each source probed and, where it would be prepared, prepared and measured (--concurrency at once);
    the table or JSON lines at the end, in the order given."""
    from stt_cli.core.media import wants_channels
    from stt_cli.core.pool import Pool
    from stt_cli.errors import ExitCode

    if len(sources) > 1:
        reporter.note(f"--dry-run: measuring what would be sent of {len(sources)} sources; nothing is sent")
    previews: list[Preview | None] = [None] * len(sources)
    active: set[Any] = set()  # the preparations being made: Ctrl-C stops their ffmpeg and removes their files
    multichannel = wants_channels(request.options)

    def task(index: int, source: Source) -> None:
        previews[index] = preview(source, limits.audio_prep, multichannel, active)

    def stop() -> None:
        from stt_cli.core.media import stop_all

        stop_all()  # the probes too
        for preparation in list(active):
            preparation.close()

    from stt_cli.core.media import new_run

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
def _local_file(source: Source) -> Iterator[Path]:
    from stt_cli.core.sources import spooled_stdin

    if source.kind == "stdin":
        with spooled_stdin() as (path, _digest):
            yield path
        return
    assert source.path is not None
    yield source.path


def preview(source: Source, mode: str, multichannel: bool, active: set[Any] | None = None) -> Preview:
    """What would be sent of one source (its preparation in `active` while it is made)."""
    from stt_cli.api.client import BodyRestart
    from stt_cli.core.config import spool_dir
    from stt_cli.core.media import ENABLE_HINT, Preparation, Unreadable, decide, find_tools, not_smaller, probe
    from stt_cli.errors import UsageError

    if source.kind == "url":
        return Preview(
            source.label, None, None, None, "url", "a URL: the service fetches it (its length is not known here)"
        )
    with _local_file(source) as path:
        size = path.stat().st_size
        tools = find_tools()
        if tools is None:
            how = "as it is: ffmpeg not found, so its length is not known here"
            if mode != "off":
                how += f" ({ENABLE_HINT})"
            return Preview(source.label, None, size, size, "as-is", how)
        try:
            media = probe(path, tools)
        except Unreadable as exc:
            return Preview(source.label, None, size, size, "as-is", f"as it is: ffprobe cannot read it ({exc})")
        plan = decide(media, mode, size, multichannel)
        if not plan.changes:
            return Preview(source.label, plan.duration, size, size, "as-is", plan.why)
        try:
            preparation = Preparation(path, plan, tools, spool_dir()).open()
        except UsageError as exc:  # no room or no rights in the cache dir: the upload would send the file
            return Preview(source.label, plan.duration, size, size, "as-is", f"as it is: {exc.message}")
        with contextlib.closing(preparation):
            if active is not None:
                active.add(preparation)
            try:
                if plan.streams:
                    with contextlib.suppress(BodyRestart):  # the header is then corrected in the file
                        for _chunk in preparation.chunks():
                            pass
                else:
                    preparation.complete()
                assert preparation.path is not None
                sent = preparation.size  # the temp file holds all that would be sent
                if not plan.streams and sent >= size:
                    return Preview(source.label, plan.duration, size, size, "as-is", not_smaller(plan).why)
                made = probe(preparation.path, tools).duration  # the length of what is sent, not of the file
            except (Unreadable, OSError) as exc:
                why = exc.strerror if isinstance(exc, OSError) else str(exc)
                return Preview(source.label, plan.duration, size, size, "as-is", f"as it is: {why}")
            finally:
                if active is not None:
                    active.discard(preparation)
        duration = made if made is not None else plan.duration
        return Preview(source.label, duration, size, sent, plan.action, plan.why)
