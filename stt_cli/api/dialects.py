"""Friendly flags -> the chosen model's own request fields, named and typed as its published schema says.

Each flag lists the fields that carry its meaning in the model families (the project's API notes, "Each family's own
field names and types"); the chosen model's field is the first of them its schema declares. A flag the
model has no field for, or a value its field cannot carry, is refused before anything is sent.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, NamedTuple

from stt_cli.api.catalogue import DEFAULT_MODEL, Model, families, model, resolve
from stt_cli.api.wire import OptionValue
from stt_cli.errors import Fix, UsageError


class Flag(NamedTuple):
    """One transcription option: its key (the command line spells it), its fields, its kind."""

    key: str
    fields: tuple[str, ...]
    kind: str  # flag | text | many | number | integer | choice
    true_string: str | None = None  # the string a flag sends where its field is a string (summarize: v2)
    help: str = ""


FLAGS: tuple[Flag, ...] = (
    Flag("language", ("language", "language_code"), "text", help="Language hint, BCP-47 (en, de-CH, ...)"),
    Flag("detect_language", ("detect_language", "language_detection"), "flag", help="Detect the spoken language"),
    Flag("punctuate", ("punctuate",), "flag", help="Punctuation and capitals"),
    Flag("smart_format", ("smart_format", "format_text"), "flag", help="Format numbers, dates and more for reading"),
    Flag("diarize", ("diarize", "speaker_labels"), "flag", help="Label speakers"),
    Flag("speakers_expected", ("speakers_expected",), "integer", help="How many speakers to look for"),
    Flag("diarize_version", ("diarize_version",), "text", help="Pin a diarizer version"),
    Flag("paragraphs", ("paragraphs",), "flag", help="Split the transcript into paragraphs"),
    Flag("utterances", ("utterances",), "flag", help="Split into utterances"),
    Flag("utt_split", ("utt_split",), "number", help="Pause that splits utterances (default 0.8)"),
    Flag("numerals", ("numerals",), "flag", help="Write numbers as digits"),
    Flag("measurements", ("measurements",), "flag", help="Write measurements as abbreviations"),
    Flag("dictation", ("dictation",), "flag", help="Turn spoken punctuation commands into marks"),
    Flag("profanity_filter", ("profanity_filter", "filter_profanity"), "flag", help="Mask profanity"),
    Flag("filler_words", ("filler_words", "disfluencies"), "flag", help="Keep filler words (uh, um)"),
    Flag("multi_channel", ("multi_channel", "multichannel"), "flag", help="Transcribe each audio channel on its own"),
    Flag(
        "keywords",
        ("keywords", "keyterm", "word_boost"),
        "many",
        help="Boost a term (WORD:BOOST for Whisper and Nova-2)",
    ),
    Flag("prompt", ("prompt",), "text", help="Vocabulary or style hint for the model"),
    Flag("search", ("search",), "many", help="Search the audio for a term"),
    Flag("summarize", ("summarize", "summarization"), "flag", "v2", help="Add a summary"),
    Flag("chapters", ("auto_chapters",), "flag", help="Split into chapters, each with a summary"),
    Flag("topics", ("topics", "iab_categories"), "flag", help="Detect topics"),
    Flag("detect_topics", ("detect_topics",), "flag", help="Detect topics (older models)"),
    Flag("intents", ("intents",), "flag", help="Detect intents"),
    Flag("sentiment", ("sentiment", "sentiment_analysis"), "flag", help="Analyse sentiment"),
    Flag("detect_entities", ("detect_entities", "entity_detection"), "flag", help="Detect entities"),
    Flag("redact_pii", ("redact_pii",), "flag", help="Redact personal information from the transcript"),
    Flag("redact_pii_policy", ("redact_pii_policies",), "many", help="A kind of personal information to redact"),
    Flag("custom_topic", ("custom_topic",), "many", help="A topic to look for"),
    Flag("custom_topic_mode", ("custom_topic_mode",), "choice", help="strict: only your topics; extended: yours too"),
    Flag("custom_intent", ("custom_intent",), "many", help="An intent to look for"),
    Flag(
        "custom_intent_mode", ("custom_intent_mode",), "choice", help="strict: only your intents; extended: yours too"
    ),
    Flag("tag", ("tag",), "many", help="A usage label, echoed in the result's metadata"),
    Flag("extra", ("extra",), "many", help="KEY:VALUE echoed in the result's metadata"),
    Flag("temperature", ("temperature",), "number", help="Sampling temperature of the model"),
)
BY_KEY = {flag.key: flag for flag in FLAGS}
_BOOST = re.compile(r":-?[0-9]+(\.[0-9]+)?$")  # the WORD:BOOST suffix only `keywords` understands


def field_of(entry: Model, flag: Flag) -> str | None:
    """The model's field for a flag: the first of the flag's fields its schema declares."""
    return next((name for name in flag.fields if name in entry.fields), None)


def families_with(flag: Flag) -> list[str]:
    """The families whose models (every one of them) declare a field for the flag."""
    names = []
    for family in families():
        entries = [model(m) for m in family.models]
        if all(e is not None and field_of(e, flag) is not None for e in entries):
            names.append(family.name)
    return names


def models_with(flag: Flag) -> list[str]:
    return [m for f in families() for m in f.models if (e := model(m)) is not None and field_of(e, flag) is not None]


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a field's schema accepts (anyOf flattened)."""
    if "anyOf" in schema:
        return {t for option in schema["anyOf"] for t in _types(option)}
    kind = schema.get("type")
    return {kind} if isinstance(kind, str) else set()


def _items(schema: dict[str, Any]) -> dict[str, Any]:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "array":
            items: dict[str, Any] = option.get("items", {})
            return items
    return {}


def _given(key: str, value: Any) -> bool:
    """Whether the command line set a flag (False is set only for --no-punctuate)."""
    return not (value is None or value == [] or (value is False and key != "punctuate"))


def encode(model_id: str, values: dict[str, Any]) -> tuple[dict[str, OptionValue], list[str]]:
    """The request fields for the flags the user set, in the model's names and types, and any warnings.

    `values` maps flag keys to what the command line gave (None, False or [] for a flag not given; False for
    --no-punctuate). Raises UsageError, naming the model and the fix, for a flag it cannot take. An id the
    catalogue lacks (sent unchecked) takes no flag: which of its fields carries a meaning, and in which type,
    is unknown until its schema is published; its fields go as raw fields, unchecked.
    """
    entry = model(model_id)
    given = {key: value for key, value in values.items() if _given(key, value)}
    if entry is None:
        if given:
            raise UsageError(
                f"{{option}} cannot be sent to {model_id}: the model is not in stt's list, so the field that "
                "carries that option there is unknown",
                fix=Fix.UNCHECKED_FIELDS,
                option=next(iter(given)),
                model=model_id,
            )
        return {}, []
    fields: dict[str, OptionValue] = {}
    for key, value in given.items():
        flag = BY_KEY[key]
        name = field_of(entry, flag)
        if name is None:
            raise _unsupported(entry, flag)
        fields[name] = _value(entry, flag, name, value)
    return fields, []


def fields_of(model_id: str, values: dict[str, Any]) -> dict[str, str]:
    """Flag key -> the model's field, for the flags the user set (none for an id the catalogue lacks)."""
    entry = model(model_id)
    if entry is None:
        return {}
    found = {key: field_of(entry, BY_KEY[key]) for key, value in values.items() if _given(key, value)}
    return {key: name for key, name in found.items() if name is not None}


def _unsupported(entry: Model, flag: Flag) -> UsageError:
    takers = families_with(flag) or sorted({m for m in models_with(flag)})
    return UsageError(
        f"{{option}} is not an option of {entry.id} ({entry.family.name})",
        fix=Fix.OPTION_OF_OTHERS,
        option=flag.key,
        takers=takers,
        instead="prompt" if flag.key == "keywords" and "prompt" in entry.fields else None,
    )


def _value(entry: Model, flag: Flag, name: str, value: Any) -> OptionValue:
    """The value as the field's schema types it, or UsageError."""
    schema = entry.fields[name]
    types = _types(schema)
    where = f"{{option}} for {entry.id} (its field {name})"
    about: dict[str, Any] = {"option": flag.key, "model": entry.id}
    if flag.kind == "flag":
        if value and flag.true_string is not None and "string" in types:
            return flag.true_string  # summarize: "v2" where the field takes it, true where only a boolean
        if "boolean" in types:
            return bool(value)
        raise UsageError(f"{where} takes no yes/no value", fix=Fix.MODEL_FIELDS, **about)
    if flag.kind in ("text", "choice"):
        text = str(value.value if hasattr(value, "value") else value)
        _check_enum(where, schema, text, about)
        return text
    if flag.kind == "number":
        number = float(value)
        _check_bounds(where, schema, number, about)
        return number
    if flag.kind == "integer":
        whole = int(value)
        _check_bounds(where, schema, whole, about)
        return whole
    items = [str(v) for v in value]
    if name in ("keyterm", "word_boost"):
        boosted = next((v for v in items if _BOOST.search(v)), None)
        if boosted is not None:
            example = f"{{option}} {shlex.quote(boosted.rsplit(':', 1)[0])}"
            raise UsageError(
                f"{where} takes terms without a boost: {boosted!r}", f"drop the :BOOST, e.g. {example}", **about
            )
    for item in items:
        _check_enum(where, _items(schema) or schema, item, about)
    if "array" in types and ("string" not in types or len(items) > 1):
        return items
    if "string" in types:
        if len(items) > 1:
            raise UsageError(f"{where} takes one value, not {len(items)}", "give {option} once for this model", **about)
        return items[0]
    raise UsageError(f"{where} takes no text", fix=Fix.MODEL_FIELDS, **about)


def _check_enum(where: str, schema: dict[str, Any], value: str, about: dict[str, Any]) -> None:
    allowed = schema.get("enum")
    if allowed and value not in allowed:
        shown = ", ".join(map(str, allowed[:12])) + (", ..." if len(allowed) > 12 else "")
        raise UsageError(f"{where}: {value!r} is not one of its values", f"use one of: {shown}", **about)


def _check_bounds(where: str, schema: dict[str, Any], value: float, about: dict[str, Any]) -> None:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and value < low:
        raise UsageError(f"{where}: {value:g} is below its minimum, {low:g}", f"give at least {low:g}", **about)
    if high is not None and value > high:
        raise UsageError(f"{where}: {value:g} is above its maximum, {high:g}", f"give at most {high:g}", **about)


def flags_of(entry: Model) -> list[str]:
    """The keys of the transcription options this model takes, in the order of `stt run --help`."""
    return [flag.key for flag in FLAGS if field_of(entry, flag) is not None]


def describe_type(schema: dict[str, Any]) -> str:
    """A field's JSON type in a few words: string, boolean, number 0..1, one of a|b, string or list of string."""
    if "anyOf" in schema:
        return " or ".join(dict.fromkeys(describe_type(option) for option in schema["anyOf"] if option.get("type")))
    kind = schema.get("type", "any")
    if "enum" in schema:
        values = [str(v) for v in schema["enum"]]
        return "one of " + "|".join(values[:6]) + ("|..." if len(values) > 6 else "")
    if kind == "array":
        return "list of " + describe_type(schema.get("items", {}))
    if kind in ("number", "integer") and ("minimum" in schema or "maximum" in schema):
        low, high = schema.get("minimum", ""), schema.get("maximum", "")
        return f"{kind} {low}..{high}"
    return str(kind)


def model_rows(entry: Model) -> list[dict[str, Any]]:
    """One row per request field: its name, type, allowed values and the key of the option that sets it (None:
    only a raw field can)."""
    setters = {field_of(entry, flag): flag.key for flag in FLAGS}
    return [
        {
            "field": name,
            "type": describe_type(schema),
            "schema": {k: v for k, v in schema.items() if k != "summary"},
            "flag": setters.get(name),
            "summary": schema.get("summary", "") + _limits(schema),
        }
        for name, schema in entry.fields.items()
    ]


def _limits(schema: dict[str, Any]) -> str:
    """What the schema says of a field beyond its type: the models it is for, that it is deprecated."""
    notes = [f"{', '.join(map(str, schema['only_for']))} only"] if schema.get("only_for") else []
    notes += ["deprecated"] if schema.get("deprecated") is True else []
    return f" ({'; '.join(notes)})" if notes else ""


def summary(entry: Model) -> dict[str, Any]:
    """A model in a line of `stt models --json`: its family, what its result carries, the flags it takes."""

    return {
        "model": entry.id,
        "aliases": list(entry.aliases),
        "family": entry.family.name,
        "word_timings": entry.family.word_timings,
        "speakers": entry.family.speakers,
        "channels": entry.family.channels,
        "default": entry.id == DEFAULT_MODEL,
        "flags": flags_of(entry),
    }


def describe(entry: Model) -> dict[str, Any]:
    """What `stt models MODEL --json` prints: the summary, the upload field, the schema file, every field."""
    return {
        **summary(entry),
        "upload_field": entry.upload_field,
        "schema_file": entry.schema_file,
        "fields": model_rows(entry),
    }


def find_model(name: str) -> Model:
    """The catalogue's entry for a model id or alias, or UnknownModel with the nearest names."""
    entry = model(resolve(name))
    assert entry is not None
    return entry
