"""Any provider payload -> one normalised Transcript (Deepgram, AssemblyAI and text-only shapes)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from stt_cli.errors import SttError


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    speaker: str | None = None
    channel: int = 0


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

    @property
    def has_speakers(self) -> bool:
        return any(w.speaker is not None for c in self.channels for w in c.words) or any(
            p.speaker is not None for c in self.channels for p in c.paragraphs
        )


class UnknownShape(SttError):
    """A payload with no transcript in any shape we know."""


def normalise(payload: dict[str, Any]) -> Transcript:
    results = payload.get("results")
    if isinstance(results, dict) and isinstance(results.get("channels"), list):
        return _deepgram(results)
    if isinstance(payload.get("words"), list) or isinstance(payload.get("utterances"), list):
        return _assemblyai(payload)
    if isinstance(payload.get("text"), str):
        return Transcript([Channel(0, payload["text"].strip())])
    raise UnknownShape("the result has no transcript in a shape stt understands", "see the raw result with -f json")


def _time(value: Any, scale: float, warnings: list[str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    seconds = float(value) / scale
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def _clean_words(raw: list[Any], channel: int, scale: float, warnings: list[str]) -> list[Word]:
    """Words with sane times: missing or bad times borrowed from neighbours, order restored, ends >= starts."""
    words: list[Word] = []
    bad = 0
    for item in raw:
        if not isinstance(item, dict):
            continue
        text = item.get("punctuated_word") or item.get("word") or item.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        start = _time(item.get("start"), scale, warnings)
        end = _time(item.get("end"), scale, warnings)
        if start is None and end is None:
            bad += 1
            continue
        if start is None or end is None or end < start:
            bad += 1
            start = start if start is not None else end
            assert start is not None
            end = max(end if end is not None else start, start)
        speaker = item.get("speaker")
        label = None if speaker is None or isinstance(speaker, bool) else str(speaker)
        words.append(Word(text.strip(), start, end, label, channel))
    ordered = sorted(words, key=lambda w: (w.start, w.end))
    if ordered != words:
        warnings.append(f"channel {channel}: words were out of order; sorted by start time")
    if bad:
        warnings.append(f"channel {channel}: {bad} word(s) had missing or invalid times; repaired or dropped")
    return ordered


def _deepgram(results: dict[str, Any]) -> Transcript:
    warnings: list[str] = []
    channels: list[Channel] = []
    for index, entry in enumerate(results["channels"]):
        if not isinstance(entry, dict):
            continue
        alternatives = entry.get("alternatives") or [{}]
        best = alternatives[0] if isinstance(alternatives[0], dict) else {}
        words = _clean_words(best.get("words") or [], index, 1.0, warnings)
        text = str(best.get("transcript") or "").strip()
        if not text and words:
            text = " ".join(w.text for w in words)
        paragraphs = []
        block = best.get("paragraphs")
        if isinstance(block, dict) and isinstance(block.get("paragraphs"), list):
            for para in block["paragraphs"]:
                if not isinstance(para, dict):
                    continue
                sentences = [s.get("text", "") for s in para.get("sentences") or [] if isinstance(s, dict)]
                speaker = para.get("speaker")
                paragraphs.append(
                    Paragraph(" ".join(s for s in sentences if s).strip(), None if speaker is None else str(speaker))
                )
        language = entry.get("detected_language")
        channels.append(Channel(index, text, words, paragraphs, str(language) if language else None))
    return Transcript(channels, warnings)


def _assemblyai(payload: dict[str, Any]) -> Transcript:
    warnings: list[str] = []
    raw_words = payload.get("words")
    if not isinstance(raw_words, list) or not raw_words:
        raw_words = [w for u in payload.get("utterances") or [] if isinstance(u, dict) for w in u.get("words") or []]
    words = _clean_words(raw_words, 0, 1000.0, warnings)
    text = str(payload.get("text") or "").strip() or " ".join(w.text for w in words)
    return Transcript([Channel(0, text, words, [], payload.get("language_code"))], warnings)
