"""`stt models [MODEL]`: the model ids of the catalogue, what their results carry, and which flag sets which field."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.api.catalogue import DEFAULT_MODEL, all_models, families, model
from stt_cli.api.dialects import describe, find_model, flags_of, model_rows, summary
from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, command

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


def models(
    model_id: ModelArg = None,
    as_json: JsonOpt = False,
) -> None:
    if model_id is not None:
        _one(model_id.strip(), as_json)
        return
    entries = [e for m in all_models() if (e := model(m)) is not None]
    if as_json:
        output.json_lines(summary(e) for e in entries)
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


def _one(model_id: str, as_json: bool) -> None:
    entry = find_model(model_id)
    rows = model_rows(entry)
    if as_json:
        output.json_lines([describe(entry)])
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
