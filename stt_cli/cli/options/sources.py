"""The source options (--max-size, --from-file, --recursive, --audio-prep, --dry-run, and the batch's
--concurrency, --skip-existing, --resubmit): the SourceOptions of run and submit."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.cli.build import Group, Opt
from stt_cli.cli.options.values import AudioPrep
from stt_cli.core.defaults import BOUNDS, DEFAULT_AUDIO_PREP, DEFAULT_CONCURRENCY
from stt_cli.core.options import SourceOptions
from stt_cli.errors import UsageError

# --- Sources --------------------------------------------------------------------------------------------
SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_size(raw: str) -> int:
    """`500M`, `2GB`, `1.5GiB`, `123456` -> bytes."""
    text = raw.strip().lower().replace(" ", "")
    number = text.rstrip("kmgib")
    unit = text[len(number) :]
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in SIZE_UNITS or not 0 < value < 1e18:  # nan, inf and 1e400 are no size
        raise UsageError(f"--max-size {raw!r} is not a size", "write e.g. 500M, 2G or 1.5GiB")
    return int(value * SIZE_UNITS[unit])


def _source_option(
    name: str, kind: Any, flag: str, help_text: str, default: Any, panel: str = "Source", **extra: Any
) -> Opt:
    option = typer.Option(flag, help=help_text, rich_help_panel=panel, show_default=bool(default), **extra)
    return Opt(name, Annotated[kind, option], default)


SOURCE_OPTS = (
    _source_option(
        "max_size", str | None, "--max-size", "Refuse sources larger than this (e.g. 500M, 2G)", None, metavar="SIZE"
    ),
    _source_option(
        "from_file",
        str | None,
        "--from-file",
        "Read more sources from LIST, one a line (- for stdin)",
        None,
        metavar="LIST",
    ),
    _source_option("recursive", bool, "--recursive", "Walk directories for audio and video files", False),
    _source_option(
        "audio_prep",
        AudioPrep,
        "--audio-prep",
        "What is sent of a local file (needs ffmpeg): lossless sends a video's audio track and PCM as FLAC, "
        "the same samples; compact sends 16 kHz mono FLAC; off sends the file as it is",
        AudioPrep(DEFAULT_AUDIO_PREP),
        case_sensitive=False,
    ),
    _source_option(
        "dry_run",
        bool,
        "--dry-run",
        "Show each source's duration, the bytes that would be sent and how; send nothing",
        False,
    ),
    _source_option(
        "concurrency",
        int,
        "--concurrency",
        "Jobs in flight at once",
        DEFAULT_CONCURRENCY,
        "Batch",
        min=BOUNDS["concurrency"][0],
        max=BOUNDS["concurrency"][1],
        metavar="N",
    ),
    _source_option(
        "skip_existing", bool, "--skip-existing", "Skip sources whose output file already exists", False, "Batch"
    ),
    _source_option(
        "resubmit",
        bool,
        "--resubmit",
        "Always create new jobs, even where the ledger has one for the same audio and options",
        False,
        "Batch",
    ),
)


def build_sources(values: dict[str, Any]) -> SourceOptions:
    return SourceOptions(
        max_size=parse_size(values["max_size"]) if values["max_size"] else None,
        from_file=values["from_file"],
        recursive=values["recursive"],
        concurrency=values["concurrency"],
        skip_existing=values["skip_existing"],
        resubmit=values["resubmit"],
        audio_prep=AudioPrep(values["audio_prep"]).value,
        dry_run=values["dry_run"],
    )


SOURCE_GROUP = Group(SourceOptions, SOURCE_OPTS, build_sources)
