"""SRT and WebVTT from word timings: cue segmentation, balanced line breaks, millisecond timestamps."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from stt_cli.transcript import Transcript, Word

# --- The subtitle knobs and their broadcast-practice defaults -------------------------------------------
MAX_LINE_WIDTH = 42
MAX_LINES = 2
MAX_CUE_DURATION = 7.0  # s
MIN_CUE_DURATION = 1.0  # s, where the gap to the next cue allows
MAX_CHARS_PER_SECOND = 17.0
PAUSE_SPLIT = 1.0  # s of silence that always starts a new cue
SENTENCE_MIN_WORDS = 3  # a sentence end closes the cue once it holds this many words
SENTENCE_ENDS = (".", "?", "!", "…", "。", "？", "！")
CLAUSE_ENDS = (",", ";", ":", "—", "–", "、", "，")
CONJUNCTIONS = frozenset(
    [
        "and",
        "but",
        "or",
        "so",
        "because",
        "which",
        "that",
        "who",
        "when",
        "while",
        "if",
        "although",
        "though",
        "than",
        "then",
        "nor",
        "yet",
    ]
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

    def speaker_name(self, speaker: str) -> str:
        names = dict(self.speaker_names)
        return names.get(speaker, f"Speaker {speaker}")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None  # the name to show, or None when labels are off or unknown
    turn_start: bool  # the first cue of a speaker's turn


def _split_long(words: list[Word], width: int) -> list[Word]:
    """A word wider than a line is cut into line-sized pieces that share its time span."""
    out: list[Word] = []
    for word in words:
        text = " ".join(word.text.split())
        if not text:
            continue
        if len(text) <= width:
            out.append(word if text == word.text else Word(text, word.start, word.end, word.speaker, word.channel))
            continue
        pieces = [text[i : i + width] for i in range(0, len(text), width)]
        span = (word.end - word.start) / len(pieces)
        for n, piece in enumerate(pieces):
            out.append(Word(piece, word.start + n * span, word.start + (n + 1) * span, word.speaker, word.channel))
    return out


def _break_cost(tokens: tuple[str, ...], index: int) -> int:
    """The cost of a line break after tokens[index]: cheap after punctuation or before a conjunction."""
    if tokens[index].endswith(SENTENCE_ENDS):
        return 0
    if tokens[index].endswith(CLAUSE_ENDS):
        return 2
    if index + 1 < len(tokens) and tokens[index + 1].lower() in CONJUNCTIONS:
        return 4
    return 10


@lru_cache(maxsize=8192)
def wrap(tokens: tuple[str, ...], width: int, max_lines: int) -> tuple[str, ...] | None:
    """The best break of tokens into at most max_lines lines of at most width chars, or None if they cannot fit.

    Lines are balanced (the longest line as short as possible) and broken at natural points when that costs
    little. A cue holds few tokens, so trying every set of break positions is cheap; cached for cue building.
    """
    joined = " ".join(tokens)
    if len(joined) <= width:
        return (joined,)
    if max_lines < 2 or len(tokens) < 2:
        return None
    lengths = [len(t) for t in tokens]
    best: tuple[float, tuple[int, ...]] | None = None
    for lines in range(2, min(max_lines, len(tokens)) + 1):
        for breaks in _break_sets(len(tokens), lines):
            bounds = (0, *breaks, len(tokens))
            longest = max(sum(lengths[a:b]) + (b - a - 1) for a, b in itertools.pairwise(bounds))
            if longest > width:
                continue
            score = longest + sum(_break_cost(tokens, b - 1) for b in breaks) * 0.8 + (lines - 2) * 6
            if best is None or score < best[0]:
                best = (score, breaks)
    if best is None:
        return None
    bounds = (0, *best[1], len(tokens))
    return tuple(" ".join(tokens[a:b]) for a, b in itertools.pairwise(bounds))


def _break_sets(count: int, lines: int) -> Iterator[tuple[int, ...]]:
    """Every way to cut count tokens into the given number of non-empty lines (greedy beyond 3 lines)."""
    if lines <= 3 or count <= 12:
        yield from itertools.combinations(range(1, count), lines - 1)
    else:
        step = count / lines
        yield tuple(round(step * i) for i in range(1, lines))


def _label(word: Word, options: SubtitleOptions, multichannel: bool) -> str | None:
    if not options.speaker_labels:
        return None
    if multichannel:
        base = f"Channel {word.channel}"
        return f"{base} {options.speaker_name(word.speaker)}" if word.speaker is not None else base
    return options.speaker_name(word.speaker) if word.speaker is not None else None


def build_cues(transcript: Transcript, options: SubtitleOptions, prefix_labels: bool) -> list[Cue]:
    """Group words into cues (speaker change, pause, sentence end, size and duration limits), then time them."""
    multichannel = len({w.channel for w in transcript.words}) > 1
    words = sorted(_split_long(transcript.words, options.max_line_width), key=lambda w: (w.start, w.channel))
    groups: list[tuple[str | None, bool, list[Word]]] = []
    current: list[Word] = []
    current_label: str | None = None
    previous_label: str | None = None

    def fits(candidate: list[Word], label: str | None, turn_start: bool) -> bool:
        tokens = tuple(w.text for w in candidate)
        if prefix_labels and label and turn_start:
            tokens = (f"{label}:", *tokens)
        return wrap(tokens, options.max_line_width, options.max_lines) is not None

    def close() -> None:
        nonlocal current, previous_label
        if current:
            groups.append((current_label, current_label != previous_label or not groups, current))
            previous_label = current_label
        current = []

    for word in words:
        label = _label(word, options, multichannel)
        speaker_key = (word.channel, word.speaker)
        if current:
            last = current[-1]
            turn_start = current_label != previous_label or not groups
            if (
                (last.channel, last.speaker) != speaker_key
                or word.start - last.end > options.pause_split
                or word.end - current[0].start > options.max_cue_duration
                or (last.text.endswith(SENTENCE_ENDS) and len(current) >= SENTENCE_MIN_WORDS)
                or not fits([*current, word], current_label, turn_start)
            ):
                close()
        if not current:
            current_label = label
        current.append(word)
    close()
    return _timed(groups, options, prefix_labels)


def _timed(
    groups: list[tuple[str | None, bool, list[Word]]], options: SubtitleOptions, prefix_labels: bool
) -> list[Cue]:
    """Millisecond times, rounded once: extended for reading speed and minimum length, never overlapping."""
    cues: list[Cue] = []
    starts = [round(g[2][0].start * 1000) for g in groups]
    previous_end = 0
    for index, (label, turn_start, words) in enumerate(groups):
        tokens = tuple(w.text for w in words)
        if prefix_labels and label and turn_start:
            tokens = (f"{label}:", *tokens)
        lines = wrap(tokens, options.max_line_width, options.max_lines) or (" ".join(tokens),)
        start = max(starts[index], previous_end)
        end = max(round(max(w.end for w in words) * 1000), start)
        chars = sum(len(line) for line in lines)
        wanted = max(options.min_cue_duration * 1000, chars / options.max_cps * 1000)
        limit = starts[index + 1] if index + 1 < len(groups) else None
        target = start + min(wanted, options.max_cue_duration * 1000)
        if end < target:
            end = round(target if limit is None else max(end, min(target, limit)))
        if end <= start:
            end = start + 1
        cues.append(Cue(start, end, lines, label, turn_start))
        previous_end = end
    return cues


def timestamp(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def render_srt(transcript: Transcript, options: SubtitleOptions) -> str:
    blocks = []
    for number, cue in enumerate(build_cues(transcript, options, prefix_labels=True), start=1):
        text = "\n".join(line.replace("-->", "->") for line in cue.lines)
        blocks.append(f"{number}\n{timestamp(cue.start_ms, ',')} --> {timestamp(cue.end_ms, ',')}\n{text}\n")
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(transcript: Transcript, options: SubtitleOptions) -> str:
    blocks = ["WEBVTT\n"]
    for cue in build_cues(transcript, options, prefix_labels=False):
        text = "\n".join(_vtt_escape(line) for line in cue.lines)
        if cue.speaker:
            text = f"<v {_vtt_escape(cue.speaker)}>{text}"
        blocks.append(f"{timestamp(cue.start_ms, '.')} --> {timestamp(cue.end_ms, '.')}\n{text}\n")
    return "\n".join(blocks)
