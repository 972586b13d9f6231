"""What a command asks of a use case, as plain data: the request, the sources' limits, the output and the wait
(built from the flags by cli/options/)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from stt_cli.api.wire import OptionValue
from stt_cli.formats.subtitle_options import SubtitleOptions


class Request(NamedTuple):
    """The model and the request fields the user set: in the model's own names and JSON types."""

    model: str
    options: dict[str, OptionValue]
    warnings: tuple[str, ...] = ()


class SourceOptions(NamedTuple):
    max_size: int | None
    from_file: str | None
    recursive: bool
    concurrency: int
    skip_existing: bool
    resubmit: bool
    audio_prep: str = "lossless"  # off | lossless | compact: what is made of a local file before it is sent
    dry_run: bool = False  # show what would be sent, send nothing


# --- Output ----------------------------------------------------------------------------------------------
class OutputOptions(NamedTuple):
    formats: tuple[str, ...]  # one or several (-f srt,vtt): one file each
    output: str | None
    output_dir: Path | None
    force: bool
    subtitles: SubtitleOptions


# --- Waiting ---------------------------------------------------------------------------------------------
class WaitOptions(NamedTuple):
    poll_interval: float
    timeout: float
