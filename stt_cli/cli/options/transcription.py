"""The options of the work itself: the service's transcription fields and how sources are read."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.api.catalogue import DEFAULT_MODEL, families
from stt_cli.api.catalogue import model as catalogue_model
from stt_cli.api.dialects import FLAGS, Flag, encode, families_with, fields_of
from stt_cli.api.wire import OptionValue
from stt_cli.cli.build import Group, Opt
from stt_cli.cli.help import TRANSCRIPTION
from stt_cli.cli.options.model_choice import FILE, blame, choose
from stt_cli.cli.options.values import Mode, finite
from stt_cli.cli.spelling import option_flag as flag_name
from stt_cli.core.options import Request
from stt_cli.errors import UsageError

# --- Transcription --------------------------------------------------------------------------------------
METAVARS = {
    "language": "LANG",
    "diarize_version": "VERSION",
    "keywords": "WORD[:BOOST]",
    "search": "TERM",
    "custom_topic": "TOPIC",
    "custom_intent": "INTENT",
    "tag": "TAG",
    "extra": "KEY:VALUE",
    "utt_split": "SECONDS",
    "speakers_expected": "N",
    "prompt": "TEXT",
    "temperature": "T",
    "redact_pii_policy": "POLICY",
}
KINDS: dict[str, Any] = {
    "flag": bool | None,
    "text": str | None,
    "many": list[str] | None,
    "number": float | None,
    "integer": int | None,
    "choice": Mode | None,
}


def _flag_option(flag: Flag) -> Opt:
    """A transcription option named after its meaning (detect_language -> --detect-language); unset = None.

    Its help names the model families that take it, when not all of them do (read from the catalogue).
    """
    name = flag_name(flag.key)
    takers = families_with(flag)
    help_text = flag.help + (" (repeatable)" if flag.kind == "many" else "")
    every = [f.name for f in families()]
    if len(takers) < len(every):
        others = [name for name in every if name not in takers]
        help_text += f" [{', '.join(takers)}]" if len(takers) <= len(others) else f" [not {', '.join(others)}]"
    extra: dict[str, Any] = {}
    if flag.key in METAVARS:
        extra["metavar"] = METAVARS[flag.key]
    if flag.kind == "number":
        extra["min"] = 0.0
    if flag.kind == "integer":
        extra["min"] = 1
    if flag.kind == "choice":
        extra["case_sensitive"] = False
    declared = f"{name}/--no-{name[2:]}" if flag.key == "punctuate" else name
    option = typer.Option(declared, help=help_text, rich_help_panel=TRANSCRIPTION, show_default=False, **extra)
    return Opt(flag.key, Annotated[KINDS[flag.kind], option])


TRANSCRIPTION_OPTS = (
    Opt(
        "model",
        Annotated[
            str,
            typer.Option(
                "--model",
                "-m",
                metavar="MODEL",
                help="Model id or alias: whisper-large, nova-2, nova-3, universal, ... (`stt models` lists them "
                "and what each takes; an alias is sent as its id)",
                rich_help_panel=TRANSCRIPTION,
            ),
        ],
        DEFAULT_MODEL,
    ),
    Opt(
        "model_unchecked",
        Annotated[
            str | None,
            typer.Option(
                "--model-unchecked",
                metavar="ID",
                help="Send this model id as it is, unchecked: for a model newer than stt's list (its fields with "
                "--param only, unchecked)",
                rich_help_panel=TRANSCRIPTION,
                show_default=False,
            ),
        ],
    ),
    *(_flag_option(flag) for flag in FLAGS),
    Opt(
        "param",
        Annotated[
            list[str] | None,
            typer.Option(
                "--param",
                metavar="KEY=VALUE",
                rich_help_panel=TRANSCRIPTION,
                show_default=False,
                help="Any API field of the model (repeatable: a list); typed as its schema says: JSON (numbers, "
                "true/false, [lists], {objects}) where the field takes it, else text",
            ),
        ],
    ),
    Opt(
        "param_json",
        Annotated[
            list[str] | None,
            typer.Option(
                "--param-json",
                metavar="KEY=JSON",
                rich_help_panel=TRANSCRIPTION,
                show_default=False,
                help="Any API field as this JSON value, whatever its schema says (repeatable: a list)",
            ),
        ],
    ),
)


def parse_param(item: str, flag: str = "--param") -> tuple[str, str]:
    """KEY=VALUE split at its first `=` (the value as typed, typed later by the model's schema)."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"{flag} {item!r} is not KEY=VALUE", f"write it as {flag} name=value")
    if key == "model":
        raise UsageError(f"use --model, not {flag} model=...", "e.g. --model nova-3")
    return key, raw


def _raw_fields(values: dict[str, Any], model: str) -> tuple[dict[str, OptionValue], list[str]]:
    """The --param and --param-json fields, in the model's JSON types (api/params.py), and the keys given."""
    from stt_cli.api.params import NotJson, read_json, typed_all  # lazy for start-up: stt run --help
    from stt_cli.cli import hints  # lazy for start-up: stt run --help

    entry = catalogue_model(model)
    typed: dict[str, list[str]] = {}
    for item in values.pop("param") or []:
        key, raw = parse_param(item)
        typed.setdefault(key, []).append(raw)
    explicit: dict[str, list[OptionValue]] = {}
    for item in values.pop("param_json") or []:
        key, raw = parse_param(item, "--param-json")
        try:
            explicit.setdefault(key, []).append(read_json(raw))
        except NotJson as exc:
            raise hints.bad_json(key, raw, str(exc)) from None
        if key in typed:
            raise hints.param_twice(key)
    fields: dict[str, OptionValue] = {
        key: typed_all(raws, entry.fields.get(key) if entry is not None else None) for key, raws in typed.items()
    }
    fields.update({key: given[0] if len(given) == 1 else list(given) for key, given in explicit.items()})
    return fields, [*typed, *explicit]


def build_request(values: dict[str, Any]) -> Request:
    """The model, resolved once to the id that goes on the wire (an unknown name refused, naming where it
    came from, before anything is read or sent), its own fields for the flags given, then --param fields
    typed by its schema; combinations its documents rule out refused, deprecated ones warned of. Everything
    downstream (formats, upload field, the ledger's work key) sees that one id."""
    from stt_cli.api.combinations import check  # lazy for start-up: stt run --help
    from stt_cli.cli import hints  # lazy for start-up: stt run --help

    finite(values, "utt_split", "temperature")
    choice = choose(values.pop("model"), values.pop("model_unchecked"))
    model = choice.model
    if not choice.checked:
        named = choice.origin.where if choice.origin.level == FILE else f"from {choice.origin.where}"
        hints.unchecked_model(model, named)
    raw, raw_keys = _raw_fields(values, model)
    try:
        options, warnings = encode(model, values)
        setters: dict[str, str | None] = {field: key for key, field in fields_of(model, values).items()}
        options.update(raw)  # --param wins over a flag for the same field
        setters.update(dict.fromkeys(raw_keys))
        clashes = check(model, options)
        refused = [clash for clash in clashes if clash.refused]
        if refused:
            raise hints.clash_error(refused[0], setters)
    except UsageError as exc:
        raise blame(exc, choice.origin) from None
    notes = [hints.clash_warning(clash, setters) for clash in clashes]
    if not choice.checked and raw_keys:
        notes.append(hints.unchecked_fields(model, raw_keys))
    return Request(model, options, (*warnings, *notes))


TRANSCRIPTION_GROUP = Group(Request, TRANSCRIPTION_OPTS, build_request)
