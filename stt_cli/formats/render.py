"""One entry point from a payload to the text of the chosen format. Its errors say what is wrong with the
result, not which flag to change: they point at a Fix, which the command line words."""

from __future__ import annotations

import importlib
from typing import Any

from stt_cli.api.wire import json_text
from stt_cli.errors import Fix, UsageError
from stt_cli.formats.analysis import blocks, render_blocks
from stt_cli.formats.registry import FORMATS, NAMES
from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.transcript import normalise

PRETTY_JSON_LIMIT = 4_000_000  # characters: a result longer than this as compact JSON is written on one line


class NoSuchChannel(UsageError):
    """The result has no channel of the number asked for."""

    def __init__(self, channel: int, available: list[int]) -> None:
        have = ", ".join(map(str, available)) or "none"
        super().__init__(
            f"channel {channel} is not in the result, which has channel(s) {have}",
            fix=Fix.CHANNEL,
            channel=channel,
            available=available,
        )
        self.channel = channel
        self.available = available


class NoTimings(UsageError):
    """Subtitles asked of a result without word timings."""

    def __init__(self, fmt: str) -> None:
        super().__init__(f"this result has no word timings, so it cannot be rendered as {fmt}", fix=Fix.TEXT_FORMAT)
        self.format = fmt


def render_json(payload: dict[str, Any]) -> str:
    """The service's result as it came (cleaned of what a terminal would act on), indented when not huge."""
    compact = json_text(payload)
    if len(compact) > PRETTY_JSON_LIMIT:  # json's indenting encoder is pure Python: 5x slower, 9x the memory
        return compact + "\n"
    return json_text(payload, indent=2) + "\n"


def render(payload: dict[str, Any], fmt: str, subtitles: SubtitleOptions | None = None) -> tuple[str, list[str]]:
    """The rendered document and any warnings about the payload (shown on stderr by the caller)."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise UsageError(f"unknown format {fmt!r}; the formats are {', '.join(NAMES)}")
    module, _, name = spec.renderer.partition(":")
    renderer = getattr(importlib.import_module(module), name)
    if fmt == "json":
        return renderer(payload), []
    if fmt == "md":  # the report reads the payload too: the facts and blocks beside the transcript
        transcript = normalise(payload)
        return renderer(payload, transcript, subtitles or SubtitleOptions()), transcript.warnings
    transcript = normalise(payload)
    options = subtitles or SubtitleOptions()
    if options.channel is not None:
        indexes = [c.index for c in transcript.channels]
        if options.channel not in indexes:
            raise NoSuchChannel(options.channel, indexes)
        transcript = transcript.only(options.channel)
    if spec.needs_timings and not transcript.has_timings and transcript.text:
        raise NoTimings(fmt)
    if options.timestamps and fmt == "text" and not transcript.has_timings and transcript.text:
        transcript.warnings.append("this result has no word timings, so its text carries no time marks")
    # The text comes from the server: the normaliser has cleaned every piece of it (before any layout),
    # so what reaches stdout or a file carries no escape sequence or control character.
    document = renderer(transcript, options)
    if fmt == "text":  # what was asked for beside the words, after them, each under its title
        found = blocks(payload)
        if found:
            document = (document or "\n") + render_blocks(found)
    return document, transcript.warnings
