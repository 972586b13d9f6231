"""The emulator's engines: which one answers uploads (`--engine`), and what a local engine heard.

`placeholder` transcribes nothing (a labelled placeholder, as long as the audio); `pocketsphinx` recognises
the words, when the `local` extra is installed (`pip install "stt-cli[local]"`); `auto` picks pocketsphinx
when it can be imported. The recogniser itself runs in worker processes (workers.py, engines/worker.py):
nothing here imports it, so choosing an engine costs no start-up.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass, field
from enum import StrEnum

POCKETSPHINX = "pocketsphinx"
PLACEHOLDER = "placeholder"
INSTALL_LOCAL = 'pip install "stt-cli[local]"'  # from a clone: pip install ".[local]"
ENGLISH = re.compile(r"(?i)(en|eng|english)([-_][a-z0-9]+)*")  # en, en-US, en_us, en-GB, english


class Choice(StrEnum):
    """What `stt emulator --engine` takes."""

    auto = "auto"
    pocketsphinx = POCKETSPHINX
    placeholder = PLACEHOLDER


class EngineMissing(Exception):
    """The engine asked for is not installed: the message names it, INSTALL_LOCAL installs it."""


def installed(name: str) -> bool:
    """Whether the engine's package can be imported here (found, not imported: that is the worker's job)."""
    if name == PLACEHOLDER:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def resolve(choice: str) -> str:
    """The engine an `--engine` choice means here: auto is pocketsphinx where it is installed, else the
    placeholder; pocketsphinx where it is not raises EngineMissing."""
    if choice == Choice.auto:
        return POCKETSPHINX if installed(POCKETSPHINX) else PLACEHOLDER
    if choice == POCKETSPHINX and not installed(POCKETSPHINX):
        raise EngineMissing("pocketsphinx is not installed (it comes with stt's local extra)")
    if choice not in (POCKETSPHINX, PLACEHOLDER):
        raise ValueError(f"unknown engine {choice!r}")
    return choice


def version(name: str) -> str:
    """The installed version of an engine's package ('' when unknown): the results name it."""
    if name == PLACEHOLDER:
        return ""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def is_english(language: object) -> bool:
    """Whether a language hint asks for English (any English: the model is US English, and says so)."""
    return isinstance(language, str) and ENGLISH.fullmatch(language.strip()) is not None


@dataclass(frozen=True)
class HeardWord:
    """A recognised word: its times in seconds from the start of the audio, the recogniser's posterior
    probability (0..1), and whether a pause ends it (where a sentence is taken to end)."""

    word: str
    start: float
    end: float
    confidence: float
    last_in_segment: bool = False


@dataclass(frozen=True)
class Heard:
    """What the engine heard in one upload: one list of words per channel transcribed (one, the mix, unless
    channels were asked for), the engine's name and version, and a one-line note for each thing asked of it
    that it cannot do."""

    engine: str
    version: str
    channels: tuple[tuple[HeardWord, ...], ...]
    notes: tuple[str, ...] = field(default=())


def punctuated(words: tuple[HeardWord, ...]) -> list[str]:
    """Rough punctuation for a recogniser that gives none: a capital at the start of each stretch of speech
    and a full stop where it ends at a pause, and `I` as a word. Nothing else is guessed."""
    shown = []
    opening = True
    for heard in words:
        text = "I" + heard.word[1:] if heard.word == "i" or heard.word.startswith("i'") else heard.word
        if opening:
            text = text[:1].upper() + text[1:]
        if heard.last_in_segment:
            text += "."
        shown.append(text)
        opening = heard.last_in_segment
    return shown


# What a recogniser of words alone cannot do, by the request field that asks for it (every family's names):
# the result answers these as the documents shape them, empty, and says why in one line.
CANNOT = {
    "diarize": "no speaker labels: {engine} does not tell speakers apart",
    "speaker_labels": "no speaker labels: {engine} does not tell speakers apart",
    "speakers_expected": "no speaker labels: {engine} does not tell speakers apart",
    "detect_language": "no language detected: {engine} knows US English only",
    "language_detection": "no language detected: {engine} knows US English only",
    "summarize": "no summary: {engine} only recognises words",
    "summarization": "no summary: {engine} only recognises words",
    "auto_chapters": "no chapters: {engine} only recognises words",
    "topics": "no topics: {engine} only recognises words",
    "detect_topics": "no topics: {engine} only recognises words",
    "iab_categories": "no topics: {engine} only recognises words",
    "intents": "no intents: {engine} only recognises words",
    "sentiment": "no sentiment: {engine} only recognises words",
    "sentiment_analysis": "no sentiment: {engine} only recognises words",
    "detect_entities": "no entities: {engine} only recognises words",
    "entity_detection": "no entities: {engine} only recognises words",
    "auto_highlights": "no highlights: {engine} only recognises words",
    "content_safety": "no content labels: {engine} only recognises words",
    "keywords": "not used: {engine} takes no vocabulary hints",
    "keyterm": "not used: {engine} takes no vocabulary hints",
    "word_boost": "not used: {engine} takes no vocabulary hints",
    "custom_spelling": "not used: {engine} takes no vocabulary hints",
    "prompt": "not used: {engine} takes no vocabulary hints",
    "smart_format": "words as recognised: {engine} formats no numbers or dates",
    "numerals": "words as recognised: {engine} formats no numbers or dates",
    "redact": "nothing redacted: {engine} finds no entities",
    "redact_pii": "nothing redacted: {engine} finds no entities",
}
LANGUAGE_FIELDS = ("language", "language_code")


def _asked(value: object) -> bool:
    return value not in (None, False, "", [], "false", "False")


def plan(engine: str, options: dict[str, object]) -> tuple[tuple[str, ...], bool]:
    """What a job asks of the engine: one note per field it cannot honour (`field: why`), and whether to
    transcribe at all (not for a language other than English: no made-up words)."""
    notes = [f"{name}: {why.format(engine=engine)}" for name, why in CANNOT.items() if _asked(options.get(name))]
    for name in LANGUAGE_FIELDS:
        language = options.get(name)
        if _asked(language) and not is_english(language):
            shown = "".join(c for c in str(language)[:16] if c.isprintable())
            notes.append(f"{name} {shown}: nothing transcribed: {engine} knows US English only")
            return tuple(notes), False
    return tuple(notes), True
