"""The readable report (-f md): what the recording is, then every analysis block that came back, then the
transcript by speaker turn (or by stretch between pauses) with [hh:mm:ss] marks.

Everything from the server is escaped for Markdown, so a word can never become a heading, a link, emphasis
or raw HTML in a viewer.
"""

from __future__ import annotations

import re
from typing import Any

from stt_cli.api.wire import audio_seconds
from stt_cli.formats.analysis import blocks, language
from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.text import render_text
from stt_cli.formats.transcript import Transcript

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")  # what can make emphasis, code, links, HTML, tables
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)")  # a list marker or underline at a line's start


def escape(text: str) -> str:
    """Text shown as it is in any Markdown viewer: what Markdown could act on backslash-escaped."""
    return _LINE_START.sub(r"\1\\\2", _SPECIAL.sub(r"\\\1", text))


def _duration(payload: dict[str, Any]) -> str | None:
    seconds = audio_seconds(payload)
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _model(payload: dict[str, Any]) -> str | None:
    metadata = payload.get("metadata")
    info = metadata.get("model_info") if isinstance(metadata, dict) else None
    if isinstance(info, dict):
        names = [v.get("name") for v in info.values() if isinstance(v, dict) and isinstance(v.get("name"), str)]
        if names:
            return str(names[0])[:100]
    model = payload.get("speech_model")
    return str(model)[:100] if isinstance(model, str) and model else None


def render_markdown(payload: dict[str, Any], transcript: Transcript, options: SubtitleOptions) -> str:
    """The report of a payload, whose normalised transcript the caller has made already."""
    if options.channel is not None:
        transcript = transcript.only(options.channel)
    title = f"Transcript of {escape(options.source)}" if options.source else "Transcript"
    facts = [("Model", _model(payload)), ("Duration", _duration(payload))]
    detected = language(payload)
    if detected is not None:
        sure = f" ({detected.confidence:.2f})" if detected.confidence is not None else ""
        facts.append(("Language", f"{detected.code}{sure}"))
    lines = [f"# {title}", ""]
    lines += [f"- **{name}:** {escape(value)}" for name, value in facts if value]
    for block in blocks(payload):
        lines += ["", f"## {block.title}", ""]
        lines += [f"- {escape(line.lstrip('-*• ').strip() or line)}" for line in block.lines]
    body = render_text(transcript, dict(options.speaker_names), marks=transcript.has_timings)
    lines += ["", "## Transcript", ""]
    for paragraph in body.strip("\n").split("\n"):
        if paragraph.strip():
            lines += [escape(paragraph), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
