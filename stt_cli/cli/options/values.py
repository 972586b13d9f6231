"""What the option groups share: the format and mode choices, finite numbers, ages."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from stt_cli.core.defaults import DURATION_EXAMPLES, parse_duration, shown_duration
from stt_cli.errors import UsageError
from stt_cli.formats.registry import NAMES as FORMAT_NAMES
from stt_cli.formats.registry import split_formats


class Mode(StrEnum):
    strict = "strict"
    extended = "extended"


class AudioPrep(StrEnum):  # core/defaults.AUDIO_PREPS
    off = "off"
    lossless = "lossless"
    compact = "compact"


def finite(values: dict[str, Any], *names: str) -> None:
    """Refuse NaN and infinity for number options: click's ranges let them through (nan compares false)."""

    for name in names:
        value = values.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} {value} is not a finite number", f"give {flag} a number, e.g. {flag} 5")


def duration(flag: str, raw: str | float, minimum: float = 0.0) -> float:
    """A duration option's value in seconds (the one syntax: 90, 90s, 5m, 1h30m), or exit 2 naming the flag."""

    try:
        value = parse_duration(raw)
    except ValueError as exc:
        raise UsageError(f"{flag} {raw!r} is not a duration: {exc}", f"write e.g. {DURATION_EXAMPLES}") from None
    if value < minimum:
        shortest = shown_duration(minimum)
        raise UsageError(f"{flag} {raw!r} is shorter than {shortest}", f"give {shortest} or more ({DURATION_EXAMPLES})")
    return value


def parse_formats(raw: str) -> tuple[str, ...]:
    """-f as given: one format, a comma list (srt,vtt) or all."""

    try:
        formats = split_formats(raw)
    except KeyError as exc:
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        raise UsageError(
            f"-f {shown!r}: {str(exc.args[0])[:40]!r} is not one of {', '.join(FORMAT_NAMES)}",
            "name one, a comma list of them (-f srt,vtt), or all",
        ) from None
    if not formats:
        raise UsageError(f"-f {raw!r} names no format", "write e.g. -f srt, -f srt,vtt or -f all")
    return formats
