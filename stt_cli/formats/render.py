"""One entry point from a payload to the text of the chosen format. Its errors say what is wrong with the
result, not which flag to change: the use case that called it knows the command line and adds the hint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stt_cli.api.wire import json_text
from stt_cli.errors import UsageError
from stt_cli.formats.registry import FORMATS, NAMES
from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.subtitles import render_srt, render_vtt
from stt_cli.formats.text import render_text
from stt_cli.formats.transcript import Transcript, normalise

PRETTY_JSON_LIMIT = 4_000_000  # characters: a result longer than this as compact JSON is written on one line

_SUBTITLES: dict[str, Callable[[Transcript, SubtitleOptions], str]] = {"srt": render_srt, "vtt": render_vtt}


class NoSuchChannel(UsageError):
    """The result has no channel of the number asked for."""

    def __init__(self, channel: int, available: list[int]) -> None:
        have = ", ".join(map(str, available)) or "none"
        super().__init__(f"channel {channel} is not in the result, which has channel(s) {have}")
        self.channel = channel
        self.available = available


class NoTimings(UsageError):
    """Subtitles asked of a result without word timings."""

    def __init__(self, fmt: str) -> None:
        super().__init__(f"this result has no word timings, so it cannot be rendered as {fmt}")
        self.format = fmt


def render(payload: dict[str, Any], fmt: str, subtitles: SubtitleOptions | None = None) -> tuple[str, list[str]]:
    """The rendered document and any warnings about the payload (shown on stderr by the caller)."""
    if fmt == "json":
        compact = json_text(payload)
        if len(compact) > PRETTY_JSON_LIMIT:  # json's indenting encoder is pure Python: 5x slower, 9x the memory
            return compact + "\n", []
        return json_text(payload, indent=2) + "\n", []
    transcript = normalise(payload)
    options = subtitles or SubtitleOptions()
    if options.channel is not None:
        indexes = [c.index for c in transcript.channels]
        if options.channel not in indexes:
            raise NoSuchChannel(options.channel, indexes)
        transcript = transcript.only(options.channel)
    # The text comes from the server: the normaliser has cleaned every piece of it (before any layout),
    # so what reaches stdout or a file carries no escape sequence or control character.
    if fmt == "text":
        return render_text(transcript, dict(options.speaker_names)), transcript.warnings
    if fmt in _SUBTITLES:
        if FORMATS[fmt].needs_timings and not transcript.has_timings and transcript.text:
            raise NoTimings(fmt)
        return _SUBTITLES[fmt](transcript, options), transcript.warnings
    raise UsageError(f"unknown format {fmt!r}; the formats are {', '.join(NAMES)}")
