"""The options of the work itself: the service's transcription fields and how sources are read."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from stt_cli.api.catalogue import DEFAULT_MODEL, families
from stt_cli.api.dialects import FLAGS, Flag, encode, families_with
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
                help="Send this model id as it is, unchecked: for a model newer than stt's list (its options go "
                "under Whisper's field names)",
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
                help="Any API field, sent as it is (repeatable); true/false, numbers and JSON are typed, the rest "
                "sent as text",
            ),
        ],
    ),
)


def parse_param(item: str) -> tuple[str, OptionValue]:
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"--param {item!r} is not KEY=VALUE", "write it as --param name=value")
    value: OptionValue = raw
    if raw in ("true", "false") or raw[:1] in "[{-0123456789":
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        if isinstance(parsed, (bool, int, float, str)):
            value = parsed
        elif isinstance(parsed, list) and all(isinstance(v, (str, int, float, bool)) for v in parsed):
            value = [v if isinstance(v, str) else json.dumps(v) for v in parsed]
        elif isinstance(parsed, (list, dict)):
            value = json.dumps(parsed)
    return key, value


def build_request(values: dict[str, Any]) -> Request:
    """The model, resolved once to the id that goes on the wire (an unknown name refused, naming where it
    came from, before anything is read or sent), its own fields for the flags given, then --param fields as
    they are. Everything downstream (formats, upload field, the ledger's work key) sees that one id."""
    finite(values, "utt_split", "temperature")
    choice = choose(values.pop("model"), values.pop("model_unchecked"))
    model = choice.model
    if not choice.checked:
        from stt_cli.cli import hints  # lazy for start-up: stt run --help

        named = choice.origin.where if choice.origin.level == FILE else f"from {choice.origin.where}"
        hints.unchecked_model(model, named)
    params = values.pop("param") or []
    try:
        options, warnings = encode(model, values)
    except UsageError as exc:
        raise blame(exc, choice.origin) from None
    repeated: set[str] = set()
    for item in params:
        key, parsed = parse_param(item)
        if key == "model":
            raise UsageError("use --model, not --param model=...", "e.g. --model nova-3")
        if key in repeated:  # a field given twice with --param becomes a list, as repeated form fields
            previous = options[key]
            options[key] = [*(previous if isinstance(previous, list) else [str(previous)]), str(parsed)]
        else:
            options[key] = parsed  # --param wins over a flag for the same field
            repeated.add(key)
    return Request(model, options, tuple(warnings))


TRANSCRIPTION_GROUP = Group(Request, TRANSCRIPTION_OPTS, build_request)
