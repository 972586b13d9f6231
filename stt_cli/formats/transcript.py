"""Any provider payload -> one normalised Transcript (Deepgram, AssemblyAI and text-only shapes)."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from stt_cli.api.wire import clean_text, sanitize
from stt_cli.errors import ExitCode, SttError


class Word(NamedTuple):  # a tuple: tens of thousands are made per render, and a dataclass costs 5x more
    text: str
    start: float
    end: float
    speaker: str | None = None
    channel: int = 0
    confidence: float | None = None  # 0..1, as the provider gives it


@dataclass(frozen=True)
class Paragraph:
    text: str
    speaker: str | None = None


@dataclass
class Channel:
    index: int
    text: str
    words: list[Word] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    language: str | None = None


@dataclass
class Transcript:
    channels: list[Channel]
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(c.text for c in self.channels if c.text)

    @property
    def words(self) -> list[Word]:
        return [w for c in self.channels for w in c.words]

    @property
    def has_timings(self) -> bool:
        return any(c.words for c in self.channels)

    def only(self, channel: int) -> Transcript:
        """This transcript with one channel of it (the one filter of --channel, for every format)."""
        return Transcript([c for c in self.channels if c.index == channel], self.warnings)


class UnknownShape(SttError):
    """A completed result with no transcript in any shape stt reads: the service's answer is unusable."""

    exit_code = ExitCode.SERVER


def normalise(payload: dict[str, Any]) -> Transcript:
    results = payload.get("results")
    if isinstance(results, dict) and isinstance(results.get("channels"), list):
        return _deepgram(results)
    if _is_verbose_json(payload):
        return _verbose_json(payload)
    if isinstance(payload.get("words"), list) or isinstance(payload.get("utterances"), list):
        return _assemblyai(payload)
    if isinstance(payload.get("text"), str):
        return Transcript([Channel(0, _text(payload["text"]))])

    keys = sorted(sanitize(str(k), 40) for k in payload)
    shown = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "") if keys else "none"
    said = _error_text(payload)
    raise UnknownShape(
        f"the result has no transcript in a shape stt reads (its top-level keys: {shown})"
        + (f"; the service says: {said}" if said else ""),
        None,
    )


def _error_text(payload: dict[str, Any]) -> str | None:

    for key in ("error", "message", "detail", "status"):
        value = payload.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("name")
        if isinstance(value, str) and value.strip():
            return sanitize(value, 300)
    return None


MAX_SECONDS = 1e7  # s (115 days): a time past it is no time in a recording, and would overflow the writers


def _seconds(value: Any, scale: float) -> float | None:
    """A time in seconds, or None when missing, not a number, or not a time a recording can have."""
    kind = type(value)
    if kind is not float and kind is not int and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return None
    try:
        seconds = float(value) / scale
    except OverflowError:  # an int too large for a float
        return None
    return seconds if -MAX_SECONDS < seconds < MAX_SECONDS else None


def _text(value: Any) -> str:
    """Text from the payload, without what a terminal would act on (cleaned before any layout)."""
    return clean_text(value).strip() if isinstance(value, str) else ""


OVERLAP_TOLERANCE = 0.01  # s: providers' own rounding makes touching words overlap by a hair


MAX_WORDS = 1_000_000  # words a result may hold (90 hours of fast speech): more is no recording stt renders


def _clean_words(raw: list[Any], channel: int, scale: float, warnings: list[str]) -> list[Word]:
    """Words with sane times: bad times repaired or the word dropped, order restored; each repair reported once."""
    if len(raw) > MAX_WORDS:
        raise UnknownShape(
            f"the result holds {len(raw):,} words in one channel, more than the {MAX_WORDS:,} of 90 hours of speech",
            None,
        )
    words: list[Word] = []
    issues: Counter[str] = Counter()
    for item in raw:
        if not isinstance(item, dict):
            continue
        raw_text = item.get("punctuated_word") or item.get("word") or item.get("text")
        text = " ".join(_text(raw_text).split())  # one token: no newline or tab inside a word
        if not text:
            continue
        start, end = _seconds(item.get("start"), scale), _seconds(item.get("end"), scale)
        if start is None and end is None:
            issues["without any valid time (dropped)"] += 1
            continue
        if start is None or end is None:
            issues["with a missing or invalid start or end (set equal to the other)"] += 1
            start = end if start is None else start
            end = start if end is None else end
        assert start is not None and end is not None
        if start < 0 or end < 0:
            issues["with negative times (clamped to 0)"] += 1
            start, end = max(0.0, start), max(0.0, end)
        if end < start:
            issues["ending before they start (end set to start)"] += 1
            end = start
        speaker = item.get("speaker")
        confidence = item.get("confidence")
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
            confidence = None  # NaN fails the range too
        words.append(Word(text, start, end, None if speaker is None else _speaker(speaker), channel, confidence))
    ordered = sorted(words, key=lambda w: (w.start, w.end))
    if any(a is not b for a, b in zip(ordered, words, strict=True)):  # identity: no field-by-field compare
        issues["out of order (sorted by start time)"] += 1
    overlaps = sum(1 for a, b in itertools.pairwise(ordered) if b.start < a.end - OVERLAP_TOLERANCE)
    if overlaps:
        issues["overlapping the previous word (cues are kept apart)"] += overlaps
    for issue, count in issues.items():
        what = "words were" if issue.startswith("out of order") else f"{count} word(s)"
        warnings.append(f"channel {channel}: {what} {issue}")
    return ordered


_SPEAKERS: dict[Any, str | None] = {}
MAX_SPEAKER_LENGTH = 40


def _speaker(value: Any) -> str | None:
    """A speaker label as the payload names it (0, 1, "A"), made one short, clean line: it goes into subtitles."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        known = _SPEAKERS.get(value)
        if known is None and value not in _SPEAKERS:
            known = sanitize(str(value), MAX_SPEAKER_LENGTH) or None
            if len(_SPEAKERS) < 1024:
                _SPEAKERS[value] = known
        return known
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _deepgram(results: dict[str, Any]) -> Transcript:
    warnings: list[str] = []
    channels: list[Channel] = []
    for index, entry in enumerate(_list(results.get("channels"))):
        entry = _dict(entry)
        best = _dict((_list(entry.get("alternatives")) or [{}])[0])
        words = _clean_words(_list(best.get("words")), index, 1.0, warnings)
        text = _text(best.get("transcript"))
        if not text and words:
            text = " ".join(w.text for w in words)
        paragraphs = []
        for para in _list(_dict(best.get("paragraphs")).get("paragraphs")):
            para = _dict(para)
            sentences = [_text(_dict(s).get("text")) for s in _list(para.get("sentences"))]
            body = " ".join(s for s in sentences if s).strip()
            speaker = para.get("speaker")
            paragraphs.append(Paragraph(body, None if speaker is None else _speaker(speaker)))
        channels.append(Channel(index, text, words, paragraphs, _language(entry.get("detected_language"))))
    return Transcript(channels, warnings)


def _assemblyai(payload: dict[str, Any]) -> Transcript:
    warnings: list[str] = []
    raw_words = _list(payload.get("words"))
    if not raw_words:
        raw_words = [w for u in _list(payload.get("utterances")) for w in _list(_dict(u).get("words"))]
    words = _clean_words(raw_words, 0, 1000.0, warnings)
    text = _text(payload.get("text")) or " ".join(w.text for w in words)
    return Transcript([Channel(0, text, words, [], _language(payload.get("language_code")))], warnings)


def _language(value: Any) -> str | None:

    return sanitize(value, 20) or None if isinstance(value, str) else None


def _is_verbose_json(payload: dict[str, Any]) -> bool:
    """OpenAI's verbose_json: segments (with or without words), or top-level words spelled `word`, in seconds
    (AssemblyAI's words are spelled `text`, in milliseconds)."""
    if isinstance(payload.get("segments"), list):
        return True
    words = payload.get("words")
    return isinstance(words, list) and bool(words) and isinstance(words[0], dict) and "word" in words[0]


def _verbose_json(payload: dict[str, Any]) -> Transcript:
    """Words from segments[].words[] or words[]; a segment without words spreads its own text over its span,
    word by word in proportion to their length, so subtitles keep to the segment's timing."""
    warnings: list[str] = []
    raw = _list(payload.get("words"))
    segments = [_dict(s) for s in _list(payload.get("segments"))]
    if not raw:  # each segment's own words, or its text spread over its span
        raw = [w for seg in segments for w in (_list(seg.get("words")) or _segment_words(seg))]
    words = _clean_words(raw, 0, 1.0, warnings)
    text = _text(payload.get("text")) or " ".join(_text(seg.get("text")) for seg in segments).strip()
    if not text:
        text = " ".join(w.text for w in words)
    return Transcript([Channel(0, text, words, [], _language(payload.get("language")))], warnings)


def _segment_words(segment: dict[str, Any]) -> list[dict[str, Any]]:
    start, end = _seconds(segment.get("start"), 1.0), _seconds(segment.get("end"), 1.0)
    tokens = _text(segment.get("text")).split()
    if not tokens or start is None or end is None or end < start:
        return []
    total = sum(len(t) + 1 for t in tokens)
    out, at = [], start
    for token in tokens:
        span = (end - start) * (len(token) + 1) / total
        out.append({"word": token, "start": round(at, 3), "end": round(at + span, 3)})
        at += span
    return out
