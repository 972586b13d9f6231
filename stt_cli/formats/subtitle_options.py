"""The subtitle limits a render is asked for (a dataclass: hypothesis and tests build it field by field)."""

from __future__ import annotations

from dataclasses import dataclass

from stt_cli.core.defaults import (
    MAX_CHARS_PER_SECOND,
    MAX_CUE_DURATION,
    MAX_LINE_WIDTH,
    MAX_LINES,
    MIN_CUE_DURATION,
    PAUSE_SPLIT,
)


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

    def speaker_name(self, speaker: str) -> str:
        return dict(self.speaker_names).get(speaker, f"Speaker {speaker}")
