"""What was asked of the service beside the words, read from either shape: summary, chapters, topics,
intents, sentiment, entities, search hits and the detected language, each as a short titled block.

Deepgram's shape (Whisper, Nova) keeps them under `results` and in each channel; AssemblyAI's at the top
of its result. Every string comes from the server, so each is cleaned and cut to a bound before it reaches
a terminal or a file; a block that is missing or malformed is left out, never an error.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from stt_cli.api.wire import clean_text
from stt_cli.formats.text import clock

MAX_ITEMS = 50  # entries a block shows (a 3-hour call can carry thousands of sentiment segments)
MAX_TEXT = 300  # characters of one entry


class Block(NamedTuple):
    title: str
    lines: tuple[str, ...]


class Language(NamedTuple):
    code: str
    confidence: float | None


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        return ""
    text = " ".join(clean_text(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _score(value: Any) -> str:
    number = _number(value)
    return f" ({number:.2f})" if number is not None else ""


def _clock(seconds: float | None) -> str:
    """The [hh:mm:ss] mark of an entry, with its space; nothing for a time that is missing or absurd."""

    return "" if seconds is None or not 0 <= seconds < 1e7 else clock(seconds) + " "


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)][:MAX_ITEMS] if isinstance(value, list) else []


def _ranked(pairs: list[tuple[str, float | None]]) -> tuple[str, ...]:
    """Labels once each, with their best score, the best first."""
    best: dict[str, float | None] = {}
    for label, score in pairs:
        if label and (label not in best or (score or 0) > (best[label] or 0)):
            best[label] = score
    ordered = sorted(best.items(), key=lambda item: -(item[1] or 0))[:MAX_ITEMS]
    return tuple(label + _score(score) for label, score in ordered)


def blocks(payload: dict[str, Any]) -> list[Block]:
    """Every analysis block the result carries, in a fixed order."""
    found = _deepgram(payload) if isinstance(payload.get("results"), dict) else _assemblyai(payload)
    kept = [Block(block.title, tuple(line for line in block.lines if line.strip())) for block in found]
    return [block for block in kept if block.lines]


def language(payload: dict[str, Any]) -> Language | None:
    """The language the service detected, and how sure it was (None: not given)."""
    results = payload.get("results")
    if isinstance(results, dict):
        for channel in _dicts(results.get("channels")):
            code = _text(channel.get("detected_language"), 20)
            if code:
                return Language(code, _number(channel.get("language_confidence")))
        return None
    code = _text(payload.get("language_code"), 20)
    return Language(code, _number(payload.get("language_confidence"))) if code else None


def _deepgram(payload: dict[str, Any]) -> list[Block]:
    results: dict[str, Any] = payload["results"]
    channels = _dicts(results.get("channels"))
    alternatives = [alt for channel in channels for alt in _dicts(channel.get("alternatives"))[:1]]
    summary = results.get("summary")
    summaries = [_text(summary.get("short"), 4000)] if isinstance(summary, dict) else []
    summaries += [_text(s.get("summary"), 4000) for alt in alternatives for s in _dicts(alt.get("summaries"))]

    def segments(key: str) -> list[dict[str, Any]]:
        block = results.get(key)
        return _dicts(block.get("segments")) if isinstance(block, dict) else []

    topics = [(_text(t.get("topic"), 80), _number(t.get("confidence_score")))
              for s in segments("topics") for t in _dicts(s.get("topics"))]  # fmt: skip
    intents = [(_text(i.get("intent"), 80), _number(i.get("confidence_score")))
               for s in segments("intents") for i in _dicts(s.get("intents"))]  # fmt: skip
    sentiment: list[str] = []
    sentiments = results.get("sentiments")
    if isinstance(sentiments, dict):
        average = sentiments.get("average")
        if isinstance(average, dict) and _text(average.get("sentiment"), 20):
            sentiment.append(f"overall: {_text(average.get('sentiment'), 20)}{_score(average.get('sentiment_score'))}")
        for segment in segments("sentiments"):
            label = _text(segment.get("sentiment"), 20)
            if label:
                sentiment.append(f"{label}{_score(segment.get('sentiment_score'))}: {_text(segment.get('text'), 120)}")
    entities = [f"{_text(e.get('label'), 40)}: {_text(e.get('value'), 120)}"
                for alt in alternatives for e in _dicts(alt.get("entities"))]  # fmt: skip
    hits = []
    for channel in channels:
        for search in _dicts(channel.get("search")):
            query = _text(search.get("query"), 80)
            found = _dicts(search.get("hits"))
            hits += [f'"{query}" {_clock(_number(h.get("start")))}{_text(h.get("snippet"), 120)}' for h in found]
            if not found:
                hits.append(f'"{query}": no hits')
    return [
        Block("Summary", tuple(s for s in summaries if s)),
        Block("Topics", _ranked(topics)),
        Block("Intents", _ranked(intents)),
        Block("Sentiment", tuple(sentiment[: MAX_ITEMS + 1])),
        Block("Entities", tuple(e for e in entities if not e.startswith(": "))),
        Block("Search hits", tuple(hits[:MAX_ITEMS])),
    ]


def _assemblyai(payload: dict[str, Any]) -> list[Block]:
    def ms(value: Any) -> float | None:
        number = _number(value)
        return None if number is None else number / 1000

    chapters = [f"{_clock(ms(c.get('start')))}{_text(c.get('headline'), 120)}: {_text(c.get('summary'))}"
                for c in _dicts(payload.get("chapters"))]  # fmt: skip
    categories = payload.get("iab_categories_result")
    labels = categories.get("summary") if isinstance(categories, dict) else None
    topics = [(_text(k, 120), _number(v)) for k, v in labels.items()] if isinstance(labels, dict) else []
    sentiment = [f"{_clock(ms(s.get('start')))}{_text(s.get('sentiment'), 20).lower()}{_score(s.get('confidence'))}: "
                 f"{_text(s.get('text'), 120)}" for s in _dicts(payload.get("sentiment_analysis_results"))]  # fmt: skip
    entities = [f"{_text(e.get('entity_type'), 40)}: {_text(e.get('text'), 120)}"
                for e in _dicts(payload.get("entities"))]  # fmt: skip
    return [
        Block("Summary", (_text(payload.get("summary"), 4000),)),
        Block("Chapters", tuple(chapters)),
        Block("Topics", _ranked(topics)),
        Block("Sentiment", tuple(sentiment)),
        Block("Entities", tuple(entities)),
    ]


def render_blocks(found: list[Block]) -> str:
    """The blocks as text after a transcript: a title line, then its entries indented."""
    return "".join(f"\n{block.title}\n" + "".join(f"  {line}\n" for line in block.lines) for block in found)
