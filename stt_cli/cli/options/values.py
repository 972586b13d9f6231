"""What the option groups share: the format and mode choices, finite numbers, ages."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from stt_cli.formats.registry import NAMES as FORMAT_NAMES


class Mode(StrEnum):
    strict = "strict"
    extended = "extended"


class AudioPrep(StrEnum):  # core/defaults.AUDIO_PREPS
    off = "off"
    lossless = "lossless"
    compact = "compact"


def finite(values: dict[str, Any], *names: str) -> None:
    """Refuse NaN and infinity for number options: click's ranges let them through (nan compares false)."""
    import math

    from stt_cli.errors import UsageError

    for name in names:
        value = values.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} {value} is not a finite number", f"give {flag} a number, e.g. {flag} 5")


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(raw: str) -> float:
    """`30d`, `12h`, `90m`, `2w`, `45s` -> seconds (for --older-than)."""
    from stt_cli.errors import UsageError

    text = raw.strip().lower()
    try:
        value = float(text[:-1]) * DURATION_UNITS[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise UsageError(f"--older-than {raw!r} is not an age", "write e.g. 30d, 12h or 90m") from None
    import math

    if not math.isfinite(value):  # nand, infw: float() reads nan and inf
        raise UsageError(f"--older-than {raw!r} is not a finite age", "write e.g. 30d, 12h or 90m")
    if value < 0:
        raise UsageError(f"--older-than {raw!r} is negative", "write e.g. 30d")
    return value


def parse_formats(raw: str) -> tuple[str, ...]:
    """-f as given: one format, a comma list (srt,vtt) or all."""
    from stt_cli.errors import UsageError
    from stt_cli.formats.registry import split_formats

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
