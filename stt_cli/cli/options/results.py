"""The output options: format, destination, and the subtitle limits."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Annotated, Any

import typer

from stt_cli.api.wire import sanitize
from stt_cli.cli.build import Group, Opt, typed
from stt_cli.cli.help import OUTPUT
from stt_cli.cli.options.values import finite, parse_formats
from stt_cli.core.defaults import BOUNDS
from stt_cli.core.options import OutputOptions
from stt_cli.errors import UsageError
from stt_cli.formats.registry import FORMATS, by_extension
from stt_cli.formats.registry import NAMES as FORMAT_NAMES
from stt_cli.formats.subtitle_options import (
    MAX_CHARS_PER_SECOND,
    MAX_CUE_DURATION,
    MAX_LINE_WIDTH,
    MAX_LINES,
    MIN_CUE_DURATION,
    SubtitleOptions,
)


def parse_speaker_names(raw: str | None) -> tuple[tuple[str, str], ...]:
    """`0=Alice,1=Bob` -> (("0", "Alice"), ("1", "Bob")); speakers are keyed as the payload names them."""
    if not raw:
        return ()
    pairs = []
    for item in raw.split(","):
        key, sep, name = item.partition("=")
        if not sep or not key.strip() or not name.strip():
            raise UsageError(f"--speaker-names {raw!r} is not a list of ID=NAME", "write e.g. 0=Alice,1=Bob")
        pairs.append((key.strip(), sanitize(name, 60)))
    return tuple(pairs)


def output_formats(raw: str, output: str | None, given: bool) -> tuple[str, ...]:
    """The formats to write: -f's; with `-o NAME.EXT` and no -f on the command line, the extension's (a format
    from the config file or the environment gives way to the file's name). A typed -f that disagrees with the
    extension, or an extension no format has, is refused before anything is read or sent."""

    from stt_cli.core.files import is_stdout  # lazy for start-up: stt run --help

    formats = parse_formats(raw)
    if output is None or is_stdout(output) or len(formats) > 1:
        return formats  # stdout, or -o STEM for several formats (STEM.srt, STEM.vtt)
    name = PurePath(output).name
    suffix = PurePath(output).suffix or (name if name.startswith(".") and name.count(".") == 1 else "")
    named = by_extension(suffix) if suffix else None  # `-o .srt`: a name that is all extension is that format
    if given:
        if named is not None and named != formats[0]:
            raise UsageError(
                f"-f {formats[0]} does not match the output file {output}, whose extension {suffix} is {named}'s",
                f"leave -f out to write {named}, or name the file "
                f"{PurePath(output).with_suffix('.' + FORMATS[formats[0]].extension)}",
            )
        return formats
    if not suffix:
        return formats  # -o transcript: the default format
    if named is None:
        known = ", ".join(f".{spec.extension}" for spec in FORMATS.values())
        raise UsageError(
            f"cannot tell the format of {output} from its extension {suffix}: the known ones are {known}",
            f"name the format with -f ({', '.join(FORMAT_NAMES)}), or use one of those extensions",
        )
    return (named,)


def build_output(values: dict[str, Any]) -> OutputOptions:
    finite(values, "max_cue_duration", "min_cue_duration", "max_cps")
    if values["min_cue_duration"] > values["max_cue_duration"]:
        raise UsageError("--min-cue-duration is longer than --max-cue-duration", "lower one or raise the other")
    subtitles = SubtitleOptions(
        max_line_width=values["max_line_width"],
        max_lines=values["max_lines"],
        max_cue_duration=values["max_cue_duration"],
        min_cue_duration=values["min_cue_duration"],
        max_cps=values["max_cps"],
        speaker_labels=values["speaker_labels"],
        speaker_names=parse_speaker_names(values["speaker_names"]),
        channel=values["channel"],
        timestamps=values["timestamps"],
    )
    formats = output_formats(values["format"], values["output"], typed("format"))
    return OutputOptions(formats, values["output"], values["output_dir"], values["force"], subtitles)


def _output_option(name: str, kind: Any, flag: str, help_text: str, default: Any, **extra: Any) -> Opt:
    option = typer.Option(flag, help=help_text, rich_help_panel=OUTPUT, show_default=default is not None, **extra)
    return Opt(name, Annotated[kind, option], default)


OUTPUT_OPTS = (
    Opt(
        "format",
        Annotated[
            str,
            typer.Option(
                "--format",
                "-f",
                metavar="FORMATS",
                rich_help_panel=OUTPUT,
                help=f"Result format: {'|'.join(FORMAT_NAMES)}, a comma list (srt,vtt) or all",
            ),
        ],
        "text",
    ),
    Opt(
        "output",
        Annotated[
            str | None,
            typer.Option(
                "--output",
                "-o",
                metavar="PATH",
                rich_help_panel=OUTPUT,
                help="Write the result to PATH (- for stdout); without -f, its extension (.srt, ...) picks the format",
                show_default=False,
            ),
        ],
    ),
    Opt(
        "output_dir",
        Annotated[
            Path | None,
            typer.Option(
                "--output-dir",
                metavar="DIR",
                rich_help_panel=OUTPUT,
                help="Write each result to DIR/<name>.<ext> (DIR made if missing)",
                file_okay=False,
                show_default=False,
            ),
        ],
    ),
    Opt(
        "force",
        Annotated[bool, typer.Option("--force", rich_help_panel=OUTPUT, help="Overwrite existing output files")],
        False,
    ),
    Opt(
        "max_line_width",
        Annotated[
            int,
            typer.Option(
                "--max-line-width",
                min=BOUNDS["max_line_width"][0],
                metavar="CHARS",
                rich_help_panel=OUTPUT,
                help="Subtitle line width",
            ),
        ],
        MAX_LINE_WIDTH,
    ),
    Opt(
        "max_lines",
        Annotated[
            int,
            typer.Option(
                "--max-lines",
                min=BOUNDS["max_lines"][0],
                metavar="N",
                rich_help_panel=OUTPUT,
                help="Subtitle lines per cue",
            ),
        ],
        MAX_LINES,
    ),
    Opt(
        "timestamps",
        Annotated[
            bool,
            typer.Option(
                "--timestamps",
                rich_help_panel=OUTPUT,
                help="Text: [hh:mm:ss] before each turn or paragraph",
            ),
        ],
        False,
    ),
    Opt(
        "speaker_labels",
        Annotated[
            bool,
            typer.Option(
                "--speaker-labels/--no-speaker-labels",
                rich_help_panel=OUTPUT,
                help="Label speakers in subtitles",
            ),
        ],
        True,
    ),
    _output_option(
        "max_cue_duration",
        float,
        "--max-cue-duration",
        "Longest a subtitle cue stays up",
        MAX_CUE_DURATION,
        min=BOUNDS["max_cue_duration"][0],
        metavar="SECONDS",
    ),
    _output_option(
        "min_cue_duration",
        float,
        "--min-cue-duration",
        "Shortest a cue stays up, gaps allowing",
        MIN_CUE_DURATION,
        min=BOUNDS["min_cue_duration"][0],
        metavar="SECONDS",
    ),
    _output_option(
        "max_cps",
        float,
        "--max-cps",
        "Reading speed to keep under, in characters a second",
        MAX_CHARS_PER_SECOND,
        min=BOUNDS["max_cps"][0],
        metavar="CPS",
    ),
    _output_option(
        "speaker_names",
        str | None,
        "--speaker-names",
        "Names for speakers, e.g. 0=Alice,1=Bob",
        None,
        metavar="ID=NAME,...",
    ),
    _output_option(
        "channel", int | None, "--channel", "Only this audio channel (default: all, labelled)", None, min=0, metavar="N"
    ),
)
OUTPUT_GROUP = Group(OutputOptions, OUTPUT_OPTS, build_output, carried=tuple(o.name for o in OUTPUT_OPTS))
