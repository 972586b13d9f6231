"""What would be sent of one source, and for how many seconds of audio, sending nothing (the dry run's step).

The decision is the upload's own (core/media/upload.choose, through `sending`), reported as data; the bytes are
counted, not guessed: each conversion is made in stt's cache dir, measured and removed. No key is needed and
no request leaves the machine (nor is the HTTP client loaded).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from stt_cli.api.uploads import BodyRestart
from stt_cli.core.media.ffmpeg import Unreadable, find_tools
from stt_cli.core.media.probe import probe
from stt_cli.core.media.upload import sending
from stt_cli.core.reporter import Preview
from stt_cli.core.sources import spooled_stdin

if TYPE_CHECKING:
    from stt_cli.core.media.ffmpeg import Conversion
    from stt_cli.core.sources import Source


@contextlib.contextmanager
def _local_file(source: Source) -> Iterator[tuple[Path, str]]:
    """The file to look at, and the name the upload would give it."""

    if source.kind == "stdin":
        with spooled_stdin() as (path, _digest):
            yield path, "stdin.audio"
        return
    assert source.path is not None
    yield source.path, source.path.name


def preview(source: Source, mode: str, multichannel: bool, active: set[Conversion] | None = None) -> Preview:
    """What would be sent of one source: the upload's own steps (`sending`) taken, their Decision reported and
    what they would make measured (the conversion in `active` while it is made)."""

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

    tools = find_tools()
    if tools is None:
        return None
    try:
        return probe(path, tools).duration
    except Unreadable:
        return None
