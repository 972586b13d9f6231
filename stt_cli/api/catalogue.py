"""The model catalogue: each model id of the provider's list, its family, the request fields its published
schema declares, its upload field, and what its result carries (stt_cli/api/catalogue.json, made by
scripts/make_catalogue.py from the provider's schemas; read on first use, never at start-up)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "#g1_whisper-large"
# An id the catalogue does not know is sent as it is; its options go under the fields of this model.
FALLBACK_MODEL = DEFAULT_MODEL
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
    return Model(model_id, family, request["fields"], request["upload_field"], entry["schema"])


def request_schema(model_id: str) -> dict[str, Any] | None:
    """The model's request body as a JSON Schema (for validation): its fields, `model`, and the audio's field."""
    entry = model(model_id)
    if entry is None:
        return None
    properties: dict[str, Any] = {"model": {"type": "string", "enum": [model_id]}, "url": {"type": "string"}}
    properties.update({name: _without_summary(schema) for name, schema in entry.fields.items()})
    return {"type": "object", "properties": properties, "required": ["model"]}


def _without_summary(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "summary"}
