"""The defaults of waiting and batches, and the bounds of every number setting: one light module (nothing
heavy imported), read by the options, the settings and the use cases. The subtitle knobs sit in
formats/subtitle_options.py."""

from __future__ import annotations

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
