"""SRT and WebVTT from word timings: cue segmentation, balanced line breaks, millisecond timestamps.

Words are cut into segments at hard boundaries (a change of speaker or channel, a long pause). Inside a
segment, cue boundaries are chosen by dynamic programming: every cue must fit its lines and its maximum
duration; among those, cheap breaks (sentence ends, then clause ends, then before a conjunction), few
one-word cues, sentences kept whole and a comfortable reading speed win.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from stt_cli.formats.subtitle_options import SubtitleOptions
from stt_cli.formats.transcript import Transcript, Word

_ARROWS = re.compile(r"--+>")
LEAD_IN_MS = 400  # a cue too short to read may appear this much before its first word, into silence
SENTENCE_ENDS = (".", "?", "!", "…", "。", "？", "！")
CLAUSE_ENDS = (",", ";", ":", "—", "–", "、", "，")
CONJUNCTIONS = frozenset(
    {
        "and", "but", "or", "so", "because", "which", "that", "who", "when", "while",
        "if", "although", "though", "than", "then", "nor", "yet",
    }
)  # fmt: skip

# --- Costs of the cue search (relative weights; only their order and ratios matter) ---------------------
CUE_COST = 10.0  # every cue: prefer fewer, fuller cues
ORPHAN_COST = 40.0  # a one-word cue where a neighbour could take the word
BREAK_COST_SENTENCE = 0.0
BREAK_COST_CLAUSE = 8.0
BREAK_COST_CONJUNCTION = 12.0
BREAK_COST_PLAIN = 22.0
INNER_SENTENCE_COST = 30.0  # a sentence end inside a cue rather than at its end
SPEED_COST = 8.0  # per character a second over the reading-speed limit
SHORT_COST = 35.0  # a cue that cannot stay up for the minimum duration


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None  # the label to show, or None when labels are off or unknown
    turn_start: bool  # the first cue of a speaker's turn


def _split_long(words: Sequence[Word], width: int) -> list[Word]:
    """Whitespace folded. A token wider than a line that holds spaces is split at them into words sharing its
    time span; a single word wider than a line is never cut: it gets a line of its own, the only line
    allowed past the width (a word cut in two reads as two wrong words)."""
    out: list[Word] = []
    for word in words:
        text = " ".join(word.text.split())
        if not text:
            continue
        if len(text) <= width or " " not in text:
            out.append(
                word
                if text == word.text
                else Word(text, word.start, word.end, word.speaker, word.channel, word.confidence)
            )
            continue
        pieces = text.split(" ")
        span = (word.end - word.start) / len(pieces)
        for n, piece in enumerate(pieces):
            out.append(
                Word(
                    piece,
                    word.start + n * span,
                    word.start + (n + 1) * span,
                    word.speaker,
                    word.channel,
                    word.confidence,
                )
            )
    return out


def _break_cost(text: str, next_text: str | None) -> float:
    """The cost of ending a line or a cue after `text`: cheap after punctuation or before a conjunction."""
    if text.endswith(SENTENCE_ENDS):
        return BREAK_COST_SENTENCE
    if text.endswith(CLAUSE_ENDS):
        return BREAK_COST_CLAUSE
    if next_text is not None and next_text.lower() in CONJUNCTIONS:
        return BREAK_COST_CONJUNCTION
    return BREAK_COST_PLAIN


@lru_cache(maxsize=8192)
def wrap(tokens: tuple[str, ...], width: int, max_lines: int) -> tuple[str, ...] | None:
    """The best break of tokens into at most max_lines lines of at most width chars, or None if they cannot fit.

    Lines are balanced (the longest line as short as possible) and broken at natural points when that costs
    little. A cue holds few tokens, so trying every set of break positions is cheap.
    """
    joined = " ".join(tokens)
    if len(joined) <= width:
        return (joined,)
    if max_lines < 2 or len(tokens) < 2:
        return None
    count = len(tokens)
    prefix = [0, *itertools.accumulate(len(t) for t in tokens)]  # a line a..b is prefix[b]-prefix[a]+(b-a-1) wide
    costs = [0.0] + [_break_cost(tokens[b - 1], tokens[b]) / 4 for b in range(1, count)]
    best: tuple[float, tuple[int, ...]] | None = None
    for lines in range(2, min(max_lines, count) + 1):
        for breaks in _break_sets(count, lines):
            bounds = (0, *breaks, count)
            longest = max(prefix[b] - prefix[a] + b - a - 1 for a, b in itertools.pairwise(bounds))
            if longest > width:
                continue
            score = longest + sum(costs[b] for b in breaks) + (lines - 2) * 6
            if best is None or score < best[0]:
                best = (score, breaks)
    if best is None:
        return None
    bounds = (0, *best[1], len(tokens))
    return tuple(" ".join(tokens[a:b]) for a, b in itertools.pairwise(bounds))


def _break_sets(count: int, lines: int) -> Iterator[tuple[int, ...]]:
    """Every way to cut count tokens into the given number of lines (evenly spaced guesses beyond 3 lines)."""
    if lines <= 3 or count <= 12:
        yield from itertools.combinations(range(1, count), lines - 1)
    else:
        for shift in range(-2, 3):
            step = count / lines
            cuts = tuple(min(count - 1, max(1, round(step * i) + shift)) for i in range(1, lines))
            if len(set(cuts)) == len(cuts):
                yield cuts


def _fits_greedy(lengths: Sequence[int], width: int, max_lines: int) -> bool:
    """Whether tokens of these lengths fit in max_lines lines (greedy filling is optimal for this question)."""
    lines = 1
    used = -1
    for length in lengths:
        if length > width:
            return False
        if used + 1 + length <= width:
            used += 1 + length
        else:
            lines += 1
            used = length
            if lines > max_lines:
                return False
    return True


def _reach(lengths: Sequence[int], width: int, max_lines: int) -> list[int]:
    """reach[i]: the smallest j such that tokens j..i-1 fit in max_lines lines.

    Filling lines greedily from the end is optimal, so reach for L lines is reach for one line applied L times.
    """
    count = len(lengths)
    one = [0] * (count + 1)
    j = 0
    total = -1  # characters of tokens j..i-1 joined by spaces
    for i in range(1, count + 1):
        total += lengths[i - 1] + 1
        while total > width and j < i - 1:
            total -= lengths[j] + 1
            j += 1
        one[i] = j if total <= width else i  # a token wider than the line reaches nothing (cut earlier)
    reach = list(range(count + 1))
    for i in range(1, count + 1):
        k = i
        for _ in range(max_lines):
            if k <= 0 or one[k] == k:
                break
            k = one[k]
        reach[i] = k
    return reach


def _segments(words: list[Word], options: SubtitleOptions) -> list[tuple[int, int]]:
    """Hard boundaries: a change of speaker or channel, or a pause longer than pause_split."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(words)):
        previous, word = words[i - 1], words[i]
        if (word.channel, word.speaker) != (
            previous.channel,
            previous.speaker,
        ) or word.start - previous.end > options.pause_split:
            bounds.append((start, i))
            start = i
    if words:
        bounds.append((start, len(words)))
    return bounds


def _label(word: Word, options: SubtitleOptions, multichannel: bool) -> str | None:
    if not options.speaker_labels:
        return None
    if multichannel:
        base = f"Channel {word.channel}"
        return f"{base} {options.speaker_name(word.speaker)}" if word.speaker is not None else base
    return options.speaker_name(word.speaker) if word.speaker is not None else None


def _plan_segment(words: list[Word], options: SubtitleOptions, label_len: int, next_start: float | None) -> list[int]:
    """Cue boundaries for one segment: the cheapest sequence of cues that all fit (dynamic programming)."""
    count = len(words)
    lengths = [len(w.text) for w in words]
    width, max_lines, max_dur = options.max_line_width, options.max_lines, options.max_cue_duration
    reach = _reach(lengths, width, max_lines)
    # Prefix sums: characters and sentence ends, so each candidate cue costs O(1).
    chars = [0] * (count + 1)
    ends = [0] * (count + 1)
    for i, word in enumerate(words):
        chars[i + 1] = chars[i] + lengths[i]
        ends[i + 1] = ends[i] + word.text.endswith(SENTENCE_ENDS)
    infinity = float("inf")
    best = [infinity] * (count + 1)
    back = [0] * (count + 1)
    best[0] = 0.0
    # The hot loop of every subtitle render: plain locals and conditional expressions, no calls.
    starts = [w.start for w in words]
    max_cps, min_dur = options.max_cps, options.min_cue_duration
    single_word_cost = ORPHAN_COST if count > 1 else 0.0
    for i in range(1, count + 1):
        last_end = words[i - 1].end
        end_cost = 0.0 if i == count else _break_cost(words[i - 1].text, words[i].text)
        display_limit = starts[i] if i < count else (next_start if next_start is not None else last_end + max_dur)
        first = reach[i]
        if label_len:
            # The first cue of a labelled turn carries "Name:" in front: check it with the label in place.
            while first == 0 and not _fits_greedy([label_len, *lengths[:i]], width, max_lines):
                first += 1
        chars_i, ends_i, best_i, back_i = chars[i], ends[i - 1], infinity, 0
        fixed_cost = CUE_COST + end_cost
        for j in range(i - 1, (first if first < i - 1 else i - 1) - 1, -1):
            base = best[j] + fixed_cost
            if base >= best_i:
                continue  # every other term is a penalty (>= 0): this start cannot win (also skips unreachable j)
            start = starts[j]
            duration = last_end - start
            if duration > max_dur and j < i - 1:
                break  # earlier starts only make it longer
            shown = display_limit - start
            if shown < duration:
                shown = duration
            available = max_dur if shown > max_dur else (shown if shown > 0.001 else 0.001)
            cost = base + INNER_SENTENCE_COST * (ends_i - ends[j])
            if j == i - 1:
                cost += single_word_cost
            speed = (chars_i - chars[j] + i - j - 1) / available
            if speed > max_cps:
                cost += SPEED_COST * (speed - max_cps)
            if available < min_dur:
                cost += SHORT_COST
            if cost < best_i:
                best_i, back_i = cost, j
        best[i], back[i] = best_i, back_i
    cuts = []
    i = count
    while i > 0:
        cuts.append(i)
        i = back[i]
    return cuts[::-1]


def build_cues(transcript: Transcript, options: SubtitleOptions, prefix_labels: bool) -> list[Cue]:
    """Group words into cues, then time them (see the module docstring)."""
    source = transcript.words  # --channel has picked its channel already (Transcript.only, in render)
    multichannel = len({w.channel for w in source}) > 1
    words = sorted(_split_long(source, options.max_line_width), key=lambda w: (w.start, w.channel, w.end))
    groups: list[tuple[str | None, bool, list[Word]]] = []
    segments = _segments(words, options)
    previous_label: object = object()
    for n, (lo, hi) in enumerate(segments):
        label = _label(words[lo], options, multichannel)
        turn_start = label != previous_label
        previous_label = label
        label_len = len(label) + 1 if (prefix_labels and label and turn_start) else 0
        if label_len > options.max_line_width:
            label_len = 0  # a label wider than a line is left out of the text (see _timed)
        next_start = words[segments[n + 1][0]].start if n + 1 < len(segments) else None
        segment = words[lo:hi]
        start = 0
        for cut in _plan_segment(segment, options, label_len, next_start):
            groups.append((label, turn_start and start == 0, segment[start:cut]))
            start = cut
    return _timed(groups, options, prefix_labels)


def _timed(
    groups: list[tuple[str | None, bool, list[Word]]], options: SubtitleOptions, prefix_labels: bool
) -> list[Cue]:
    """Millisecond times, rounded once: lengthened for reading speed and minimum length, never overlapping."""
    cues: list[Cue] = []
    starts = [round(g[2][0].start * 1000) for g in groups]
    max_ms = round(options.max_cue_duration * 1000)
    previous_end = 0
    for index, (label, turn_start, words) in enumerate(groups):
        tokens = tuple(w.text for w in words)
        lines = None
        if prefix_labels and label and turn_start:
            lines = wrap((f"{label}:", *tokens), options.max_line_width, options.max_lines)
        if lines is None and len(tokens) == 1 and len(tokens[0]) > options.max_line_width:
            # A word wider than a line is a cue of its own: alone on its line, under its label if there is room.
            labelled = prefix_labels and label and turn_start and options.max_lines >= 2
            lines = (f"{label}:", tokens[0]) if labelled and len(f"{label}:") <= options.max_line_width else tokens
        if lines is None:
            lines = wrap(tokens, options.max_line_width, options.max_lines) or (" ".join(tokens),)
        start = max(starts[index], previous_end)
        end = max(round(max(w.end for w in words) * 1000), start)
        chars = sum(len(line) for line in lines)
        wanted = min(max_ms, math.ceil(max(options.min_cue_duration * 1000, chars / options.max_cps * 1000)))
        limit = starts[index + 1] if index + 1 < len(groups) else None
        if end - start < wanted:
            end = start + wanted if limit is None else max(end, min(start + wanted, limit))
        if end - start < wanted:
            # Still too short to read: appear a little early, into the silence before the words.
            start -= min(wanted - (end - start), start - previous_end, LEAD_IN_MS)
        end = min(end, start + max_ms)
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
        text = "\n".join(_ARROWS.sub("->", line) for line in cue.lines)  # a cue line never reads as a timing
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
