"""Every output format, declared once: its name, its file extension, whether it needs word timings, and
its renderer.

Light on purpose (a renderer is named, and imported only when a result is rendered): the options, the
config file, the completion scripts, the output file names and formats/render.py all read this table.
"""

from __future__ import annotations

from typing import NamedTuple


class FormatSpec(NamedTuple):
    name: str
    extension: str
    needs_timings: bool  # subtitles are built from word timings
    renderer: str  # "module:function", called with the payload (json) or the transcript and the options


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec("text", "txt", False, "stt_cli.formats.text:render_document"),
        FormatSpec("json", "json", False, "stt_cli.formats.render:render_json"),
        FormatSpec("srt", "srt", True, "stt_cli.formats.subtitles:render_srt"),
        FormatSpec("vtt", "vtt", True, "stt_cli.formats.subtitles:render_vtt"),
    )
}
NAMES = tuple(FORMATS)
