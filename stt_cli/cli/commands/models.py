"""`stt models [MODEL]`: the model ids of the catalogue, what their results carry, and which flag sets which field."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.api.catalogue import DEFAULT_MODEL, Model, all_models, families, model
from stt_cli.api.dialects import FLAGS, field_of, flag_name
from stt_cli.api.wire import json_text
from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, command
from stt_cli.errors import UsageError

MODELS_HELP = """List the model ids, what their results carry, and the flags each family takes.

With MODEL, show that model's own request fields (from the provider's
published schema), their types, and the stt flag that sets each. "word
timings" is needed for srt and vtt. Any other id is sent as it is, with a
warning.

Examples:
  stt models
  stt models aai/universal
  stt models --json | jq -r 'select(.word_timings) | .model'
"""

ModelArg = Annotated[
    str | None, typer.Argument(metavar="[MODEL]", help="A model id: show its fields", show_default=False)
]


def flags_of(entry: Model) -> list[str]:
    """The transcription flags this model takes, in the order of `stt run --help`."""
    return [flag_name(flag.key) for flag in FLAGS if field_of(entry, flag) is not None]


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
    """One row per request field: its name, type, allowed values and the flag that sets it (or --param)."""
    setters = {field_of(entry, flag): flag_name(flag.key) for flag in FLAGS}
    return [
        {
            "field": name,
            "type": describe_type(schema),
            "schema": {k: v for k, v in schema.items() if k != "summary"},
            "flag": setters.get(name) or f"--param {name}=...",
            "summary": schema.get("summary", ""),
        }
        for name, schema in entry.fields.items()
    ]


def models(
    model_id: ModelArg = None,
    as_json: JsonOpt = False,
) -> None:
    if model_id is not None:
        _one(model_id.strip(), as_json)
        return
    entries = [e for m in all_models() if (e := model(m)) is not None]
    if as_json:
        output.data("".join(json_text(_summary(e)) + "\n" for e in entries))
        return
    output.table(
        ["model", "family", "word timings", "speakers"],
        [
            [
                e.id + (" (default)" if e.id == DEFAULT_MODEL else ""),
                e.family.name,
                "yes" if e.family.word_timings else "no",
                "yes" if e.family.speakers else "no",
            ]
            for e in entries
        ],
    )
    lines = ["", "Flags each family takes (stt models MODEL shows a model's own fields):"]
    for family in families():
        first = model(family.models[0])
        if first is not None:
            lines.append(f"  {family.name}: {' '.join(flags_of(first))}")
    output.data("\n".join(lines) + "\n")


def _summary(entry: Model) -> dict[str, Any]:
    return {
        "model": entry.id,
        "family": entry.family.name,
        "word_timings": entry.family.word_timings,
        "speakers": entry.family.speakers,
        "channels": entry.family.channels,
        "default": entry.id == DEFAULT_MODEL,
        "flags": flags_of(entry),
    }


def _one(model_id: str, as_json: bool) -> None:
    entry = model(model_id)
    if entry is None:
        import difflib

        guess = difflib.get_close_matches(model_id, all_models(), n=1)
        raise UsageError(
            f"{model_id!r} is not in stt's model list",
            f"did you mean {guess[0]}? (stt models lists them)" if guess else "stt models lists them",
        )
    rows = model_rows(entry)
    if as_json:
        body = {
            **_summary(entry),
            "upload_field": entry.upload_field,
            "schema_file": entry.schema_file,
            "fields": [{k: v for k, v in row.items()} for row in rows],
        }
        output.data(json_text(body) + "\n")
        return
    family = entry.family
    carries = family.carries
    output.data(
        f"{entry.id} ({family.name}), from the provider's schema {entry.schema_file}\n"
        f"result: {', '.join(carries) if carries else 'text only (no word timings: no srt or vtt)'}\n"
        f"audio file field: {entry.upload_field}\n\n"
    )
    output.table(
        ["field", "type", "set by", "meaning"], [[r["field"], r["type"], r["flag"], r["summary"]] for r in rows]
    )


models_app = command("models", models, MODELS_HELP, "List the model ids, what they give and the flags each takes")
