"""The defaults of waiting and batches, and the bounds of every number setting: one light module (nothing
heavy imported), read by the options, the settings and the use cases. The subtitle knobs sit in
formats/subtitle_options.py."""

from __future__ import annotations

import math
import re

# The commands whose flags the environment and the config file can default (core/settings.py's table says
# which setting feeds which): any other name click asks the default_map about is answered at once.
TRANSCRIBING = ("run", "submit")
RENDERING = ("run", "fetch")
DEFAULTED_COMMANDS = frozenset(TRANSCRIBING + RENDERING)

DEFAULT_CONCURRENCY = 4  # jobs in flight in a batch
AUDIO_PREPS = ("off", "lossless", "compact")  # --audio-prep: what is sent of a local file (core/media.py)
DEFAULT_AUDIO_PREP = "lossless"
DEFAULT_POLL_INTERVAL = 8.0  # s: the longest gap between status polls (core/waiting.poll_delays)
DEFAULT_TIMEOUT = 3600.0  # s; 0 waits for ever


# --- The bounds of each number setting, read by its flag and by its config key: (minimum, maximum) ------
BOUNDS: dict[str, tuple[float, float | None]] = {
    "poll_interval": (0.05, None),
    "timeout": (0.0, None),
    "concurrency": (1, 64),
    "max_line_width": (10, None),
    "max_lines": (1, None),
    "max_cue_duration": (0.5, None),
    "min_cue_duration": (0.0, None),
    "max_cps": (1.0, None),
}


# --- Durations: one syntax for --timeout, --poll-interval, --older-than and their config keys -------------
# A number of seconds (`90`, `0.5`), or numbers each with a unit, largest first, each unit once: `90s`, `5m`,
# `1h30m`, `1.5h`, `2d`, `1w`. Units: w(eeks), d(ays), h(ours), m(inutes), s(econds), any case.
DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
DURATION_EXAMPLES = "90, 90s, 5m, 1h30m"
MAX_DURATION = 36500 * 86400.0  # s, 100 years: longer is a typo, and a sleep past threading.TIMEOUT_MAX overflows


def parse_duration(raw: str | float) -> float:
    """A duration in seconds; ValueError saying why for anything else (negative, not finite, units out of order)."""

    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    else:
        text = str(raw).strip().lower().replace(" ", "")
        if not text:
            raise ValueError("it is empty")
        if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            value = float(text)
        else:
            parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)([a-z]+)", text)
            if not parts or "".join(number + unit for number, unit in parts) != text:
                raise ValueError("it is not a number of seconds or of units (w, d, h, m, s)")
            units = [unit for _, unit in parts]
            unknown = [unit for unit in units if unit not in DURATION_UNITS]
            if unknown:
                raise ValueError(f"{unknown[0]!r} is not a unit (w, d, h, m, s)")
            order = list(DURATION_UNITS)
            if [order.index(unit) for unit in units] != sorted({order.index(unit) for unit in units}):
                raise ValueError("its units must come largest first, each once (1h30m)")
            value = sum(float(number) * DURATION_UNITS[unit] for number, unit in parts)
    if not math.isfinite(value):
        raise ValueError("it is not a finite number")
    if value < 0:
        raise ValueError("it is negative")
    if value > MAX_DURATION:
        raise ValueError("it is longer than 100 years")
    return value


def shown_duration(seconds: float) -> str:
    """Seconds as the duration syntax writes them, shortest first: 3600 -> 1h, 90 -> 1m30s, 0.5 -> 0.5s."""
    if seconds <= 0 or seconds != int(seconds):
        return f"{seconds:g}s"
    left, words = int(seconds), []
    for unit, size in list(DURATION_UNITS.items())[1:]:  # days at most: 14d reads better than 2w
        count, left = divmod(left, size)
        if count:
            words.append(f"{count}{unit}")
    return "".join(words)
