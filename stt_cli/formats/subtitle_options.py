"""The subtitle limits a render is asked for, with their broadcast-practice defaults (a dataclass: hypothesis
and tests build it field by field)."""

from __future__ import annotations

from dataclasses import dataclass

# --- The subtitle knobs and their broadcast-practice defaults -------------------------------------------
MAX_LINE_WIDTH = 42
MAX_LINES = 2
MAX_CUE_DURATION = 7.0  # s
MIN_CUE_DURATION = 1.0  # s, where the gap to the next cue allows
MAX_CHARS_PER_SECOND = 17.0
PAUSE_SPLIT = 1.5  # s of silence that always starts a new cue


@dataclass(frozen=True)
class SubtitleOptions:
    max_line_width: int = MAX_LINE_WIDTH
    max_lines: int = MAX_LINES
    max_cue_duration: float = MAX_CUE_DURATION
    min_cue_duration: float = MIN_CUE_DURATION
    max_cps: float = MAX_CHARS_PER_SECOND
    pause_split: float = PAUSE_SPLIT
    speaker_labels: bool = True
    speaker_names: tuple[tuple[str, str], ...] = ()
    channel: int | None = None
    timestamps: bool = False  # text: [hh:mm:ss] before each turn or paragraph
    source: str | None = None  # md: the recording the report is about

    def speaker_name(self, speaker: str) -> str:
        return dict(self.speaker_names).get(speaker, f"Speaker {speaker}")
