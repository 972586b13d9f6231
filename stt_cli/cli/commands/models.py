"""`stt models [MODEL]`: the model ids of the catalogue and their aliases, what their results carry, and which flag
sets which field; `--refresh` fetches the service's model list and its prices into the cache (the dry run's)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.api.catalogue import DEFAULT_MODEL, Model, UnknownModel, all_models, families, model
from stt_cli.api.dialects import describe, find_model, flags_of, model_rows, summary
from stt_cli.cli import output
from stt_cli.cli.amounts import dollars
from stt_cli.cli.build import JsonOpt, command, use
from stt_cli.cli.options.connection import CONNECTION_GROUP
from stt_cli.cli.options.model_choice import did_you_mean
from stt_cli.cli.spelling import option_flag
from stt_cli.core.session import Connector
from stt_cli.errors import UsageError

MODELS_HELP = """List model ids and aliases, what their results carry, and each family's flags.

-m takes an id or an alias (whisper-large, nova-2, universal: no # to quote);
an alias is sent as its id. With MODEL, show that model's own request fields
(from the provider's published schema), their types, and the stt flag that
sets each. "word timings" is needed for srt and vtt. An id stt does not know
is refused before anything is sent; --model-unchecked ID sends it as it is,
its fields given with --param only.

--refresh fetches the service's model list with its prices (GET /models,
no key needed) into stt's cache folder, then lists each model's price a
second of audio. --dry-run prices a run from that copy, saying how old it
is; nothing else reads it, and nothing fetches it but --refresh.

Examples:
  stt models universal
  stt models --refresh
  stt models --json | jq -r 'select(.word_timings) | .model'
"""

ModelArg = Annotated[
    str | None, typer.Argument(metavar="[MODEL]", help="A model id or alias: show its fields", show_default=False)
]


@use(CONNECTION_GROUP)
def models(
    conn: Connector,
    model_id: ModelArg = None,
    as_json: JsonOpt = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Fetch the service's model list and prices, then list the prices")
    ] = False,
) -> None:
    if refresh:
        _refresh(conn, model_id, as_json)
        return
    if model_id is not None:
        _one(model_id.strip(), as_json)
        return
    entries = [e for m in all_models() if (e := model(m)) is not None]
    if as_json:
        output.json_lines(_spelled(summary(e)) for e in entries)
        return
    # Speakers are not a column: they come with --diarize, which the flags below show per family (and --json
    # has them); without that column the table fits 80 columns with the aliases beside the ids.
    output.table(
        ["model", "aliases", "family", "word timings"],
        [
            [
                e.id + (" (default)" if e.id == DEFAULT_MODEL else ""),
                ", ".join(e.aliases),
                e.family.name,
                "yes" if e.family.word_timings else "no",
            ]
            for e in entries
        ],
    )
    lines = [
        "",
        "-m takes an id or an alias; an alias is sent as its id.",
        "--model-unchecked ID sends an id stt does not know, as it is (its fields with --param only).",
        "",
        "Flags each family takes (stt models MODEL shows a model's own fields):",
    ]
    for family in families():
        first = model(family.models[0])
        if first is not None:
            lines.append(f"  {family.name}: {' '.join(map(option_flag, flags_of(first)))}")
    output.data("\n".join(lines) + "\n")


def _found(name: str) -> Model:
    try:
        return find_model(name)
    except UnknownModel as exc:
        raise UsageError(
            f"unknown model {exc.name!r}{did_you_mean(exc)}", "`stt models` lists the ids and their aliases"
        ) from None


def _one(name: str, as_json: bool) -> None:
    entry = _found(name)
    rows = [_setter(row) for row in model_rows(entry)]
    if as_json:
        described = describe(entry)
        output.json_lines([_spelled({**described, "fields": [_setter(row) for row in described["fields"]]})])
        return
    family = entry.family
    carries = family.carries
    aliases = f"aliases: {', '.join(entry.aliases)} (sent as {entry.id})\n" if entry.aliases else ""
    output.data(
        f"{entry.id} ({family.name}), from the provider's schema {entry.schema_file}\n"
        f"{aliases}"
        f"result: {', '.join(carries) if carries else 'text only (no word timings: no srt or vtt)'}\n"
        f"audio file field: {entry.upload_field}\n\n"
    )
    output.table(
        ["field", "type", "set by", "meaning"], [[r["field"], r["type"], r["flag"], r["summary"]] for r in rows]
    )


def _refresh(conn: Connector, name: str | None, as_json: bool) -> None:
    """The service's list fetched into the cache, then the price a second of each model (or of MODEL)."""
    from stt_cli.core.usecases.models import price_of, refresh  # lazy for start-up: stt models

    client = conn.keyless_client()
    with client:
        done = refresh(client)
    host = client.base_url
    how = "unchanged since it was last fetched" if done.unchanged else f"{done.models} models"
    output.info(f"the model list of {host}: {how}, {done.priced} with a price a second; kept in {done.path}")
    wanted = [_found(name.strip()).id] if name is not None else list(all_models())
    quotes = [price_of(model_id, host) for model_id in wanted]
    if as_json:
        output.json_lines({"model": q.model, **q.as_dict(), "pricing": q.why_none or "per second"} for q in quotes)
        return
    output.table(
        ["model", "price a second", "as listed"],
        [
            [q.model, dollars(q.usd_per_second) if q.usd_per_second is not None else "-", q.why_none or "per second"]
            for q in quotes
        ],
    )


def _spelled(entry: dict[str, Any]) -> dict[str, Any]:
    """A model's summary with its options as the command line spells them."""
    return {**entry, "flags": [option_flag(key) for key in entry["flags"]]}


def _setter(row: dict[str, Any]) -> dict[str, Any]:
    """A field's row with what sets it as the command line spells it: its option, or --param FIELD=..."""
    return {**row, "flag": option_flag(row["flag"]) if row["flag"] else f"--param {row['field']}=..."}


models_app = command("models", models, MODELS_HELP, "List the model ids, what they give and the flags each takes")
