"""The model catalogue: each model id of the provider's list, its aliases, its family, the request fields its
published schema declares, its upload field, and what its result carries (stt_cli/api/catalogue.json, made by
scripts/make_catalogue.py from the provider's schemas; read on first use, never at start-up)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from stt_cli.errors import UsageError

DEFAULT_MODEL = "#g1_whisper-large"
DEFAULT_UPLOAD_FIELD = "audio"  # the page's examples; see scripts/make_catalogue.py for gpt-4o's `file`


@dataclass(frozen=True)
class Family:
    name: str
    models: tuple[str, ...]
    shape: str  # deepgram | assemblyai | text
    word_timings: bool
    speakers: bool
    channels: bool

    @property
    def carries(self) -> list[str]:
        """What its results hold beyond text: word timings, speakers, channels."""
        return [
            w
            for w, on in (("word timings", self.word_timings), ("speakers", self.speakers), ("channels", self.channels))
            if on
        ]


@dataclass(frozen=True)
class Model:
    id: str
    family: Family
    fields: dict[str, dict[str, Any]]  # field name -> its JSON schema (types, enums, bounds, summary)
    upload_field: str  # the multipart field of the audio file
    schema_file: str  # the provider's schema it was built from
    aliases: tuple[str, ...] = ()  # the names that stand for this id (sent as the id)


class UnknownModel(UsageError):
    """A model name that is neither an id of the catalogue nor an alias, with the nearest names as data
    (the command line words the message and the fix, naming where the name came from)."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        guess = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown model {name!r}{guess}")
        self.name = name
        self.suggestions = suggestions


@functools.cache
def _catalogue() -> dict[str, Any]:
    # Beside this module (importlib.resources would cost 15 ms of start-up to find the same file).
    text = Path(__file__).with_name("catalogue.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def families() -> tuple[Family, ...]:
    return tuple(
        Family(
            name=entry["name"],
            models=tuple(entry["ids"]),
            shape=entry["result"]["shape"],
            word_timings=entry["result"]["word_timings"],
            speakers=entry["result"]["speakers"],
            channels=entry["result"]["channels"],
        )
        for entry in _catalogue()["families"]
    )


def all_models() -> tuple[str, ...]:
    return tuple(m for f in families() for m in f.models)


def family_of(model_id: str) -> Family | None:
    return next((f for f in families() if model_id in f.models), None)


@functools.cache
def model(model_id: str) -> Model | None:
    """The catalogue's entry for an id, or None for an id the provider's list does not hold."""
    entry = _catalogue()["models"].get(model_id)
    family = family_of(model_id)
    if entry is None or family is None:
        return None
    request = _catalogue()["schemas"][entry["schema"]]
    return Model(model_id, family, request["fields"], request["upload_field"], entry["schema"], tuple(entry["aliases"]))


@functools.cache
def _names() -> dict[str, str]:
    """Every id and alias -> its id."""
    table = {}
    for model_id, entry in _catalogue()["models"].items():
        table[model_id] = model_id
        table.update(dict.fromkeys(entry["aliases"], model_id))
    return table


def model_names() -> dict[str, str]:
    """Every id and alias -> its id, exactly as spelled (canonical() is the forgiving lookup)."""
    return dict(_names())


@functools.cache
def _folded() -> dict[str, str | None]:
    """Every id and alias in lower case -> its id; None where two ids would share it (no guess then)."""
    folded: dict[str, str | None] = {}
    for name, model_id in _names().items():
        key = name.casefold()
        folded[key] = model_id if folded.get(key, model_id) == model_id else None
    return folded


def names() -> tuple[str, ...]:
    """Every name -m takes: the ids, then the aliases, in the catalogue's order."""
    return (*all_models(), *(name for name, model_id in _names().items() if name != model_id))


def canonical(name: str) -> str | None:
    """The id a name stands for: an id, an alias, or either in another case where that is unambiguous."""
    name = name.strip()
    return _names().get(name) or _folded().get(name.casefold())


def resolve(name: str) -> str:
    """The id a name stands for, or UnknownModel with the nearest names."""
    found = canonical(name)
    if found is None:
        raise UnknownModel(name.strip(), nearest(name))
    return found


def nearest(name: str, n: int = 3) -> list[str]:
    """Up to n names near `name`, best first, one per id (the nearest of its names), none far behind the best.

    Case and punctuation aside (nova3 is near nova-3); a name inside what was typed, or holding it, counts as
    near (deepgram/nova-3: nova-3; gpt4o: gpt-4o-transcribe).
    """

    wanted = _squashed(name)
    scored: dict[str, tuple[float, str]] = {}
    for candidate, model_id in _names().items():
        other = _squashed(candidate)
        score = SequenceMatcher(None, wanted, other).ratio()
        if score < 0.6 and not (len(wanted) >= 3 and wanted in other) and not (len(other) >= 4 and other in wanted):
            continue
        if score > scored.get(model_id, (-1.0, ""))[0]:
            scored[model_id] = (score, candidate)
    ranked = sorted(scored.values(), key=lambda pair: -pair[0])
    # Far behind the best, a name is noise: nova3 gets nova-3 and nova-2, not nova-3-general as well.
    return [candidate for score, candidate in ranked[:n] if score >= ranked[0][0] - 0.2]


def _squashed(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())
