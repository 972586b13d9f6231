"""Every output format, declared once: its name, its file extension, whether it needs word timings.

Light on purpose (no renderer imported): the options, the config file, the completion scripts and the
renderers all read this table.
"""

from __future__ import annotations

from typing import NamedTuple


class FormatSpec(NamedTuple):
    name: str
    extension: str
    needs_timings: bool  # subtitles are built from word timings


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec("text", "txt", False),
        FormatSpec("json", "json", False),
        FormatSpec("srt", "srt", True),
        FormatSpec("vtt", "vtt", True),
    )
}
NAMES = tuple(FORMATS)
