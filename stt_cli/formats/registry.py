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
    renderer: str  # "module:function", called with the payload (json), the payload, transcript and options (md),
    # or the transcript and the options
    summary: str = ""  # what a file of it holds, in a line (`stt help formats`)


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            "text",
            "txt",
            False,
            "stt_cli.formats.text:render_document",
            "the transcript; speaker-labelled turns when diarized ({opt:timestamps} adds times)",
        ),
        FormatSpec(
            "json",
            "json",
            False,
            "stt_cli.formats.render:render_json",
            "the provider's result exactly as it came (Deepgram or AssemblyAI shape)",
        ),
        FormatSpec(
            "srt",
            "srt",
            True,
            "stt_cli.formats.subtitles:render_srt",
            "SubRip subtitles: cues in order, 42 characters a line, 2 lines a cue by default",
        ),
        FormatSpec(
            "vtt",
            "vtt",
            True,
            "stt_cli.formats.subtitles:render_vtt",
            "WebVTT subtitles, with <v Speaker> voices when diarized",
        ),
        FormatSpec(
            "tsv",
            "tsv",
            True,
            "stt_cli.formats.tsv:render_tsv",
            "one word a line: start, end, speaker, channel, confidence, word",
        ),
        FormatSpec(
            "md",
            "md",
            False,
            "stt_cli.formats.markdown:render_markdown",
            "a Markdown report: the recording, any analysis, then the transcript by turn",
        ),
    )
}
NAMES = tuple(FORMATS)
ALL = "all"  # -f all: every format
ALIASES = {"txt": "text", "markdown": "md", "webvtt": "vtt"}  # what people type for a format, by its extension


def split_formats(raw: str) -> tuple[str, ...]:
    """`srt,vtt` or `all` as format names, in the order given, each once; KeyError(name) for an unknown one."""
    names: list[str] = []
    for part in raw.split(","):
        name = part.strip().lower()
        if not name:
            continue  # "srt,,vtt" or a trailing comma
        name = ALIASES.get(name, name)
        if name == ALL:
            names.extend(NAMES)
        elif name in FORMATS:
            names.append(name)
        else:
            raise KeyError(part.strip())
    return tuple(dict.fromkeys(names))


def by_extension(suffix: str) -> str | None:
    """The format a file name's extension (`.srt`, any case) stands for, or None."""
    wanted = suffix.lower().removeprefix(".")
    return next((spec.name for spec in FORMATS.values() if spec.extension == wanted), None)


def per_format(output: str, fmt: str, formats: tuple[str, ...]) -> str:
    """-o STEM for one format of several: STEM.<ext> (an extension of one of them already on STEM comes off)."""
    if len(formats) == 1:
        return output
    for name in formats:
        suffix = f".{FORMATS[name].extension}"
        if output.lower().endswith(suffix) and len(output) > len(suffix):
            output = output[: -len(suffix)]
            break
    return f"{output}.{FORMATS[fmt].extension}"
