"""The options of the work itself: the service's transcription fields and how sources are read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import typer

from stt_cli.errors import UsageError
from stt_cli.models import DEFAULT_MODEL
from stt_cli.options import TRANSCRIPTION, Group, Mode, Opt, finite
from stt_cli.protocol import OptionValue
from stt_cli.settings import DEFAULT_CONCURRENCY


# --- Transcription --------------------------------------------------------------------------------------
def _api_option(field: str, kind: Any, help_text: str, **extra: Any) -> Opt:
    """A transcription option named after its API field (detect_language -> --detect-language), unset = None."""
    flag = "--" + field.replace("_", "-")
    option = typer.Option(flag, help=help_text, rich_help_panel=TRANSCRIPTION, show_default=False, **extra)
    return Opt(field, Annotated[kind, option])


def _flag(field: str, help_text: str) -> Opt:
    return _api_option(field, bool | None, help_text)


def _text(field: str, help_text: str, metavar: str = "TEXT") -> Opt:
    return _api_option(field, str | None, help_text, metavar=metavar)


def _many(field: str, help_text: str, metavar: str = "TEXT") -> Opt:
    return _api_option(field, list[str] | None, help_text + " (repeatable)", metavar=metavar)


def _mode(field: str, help_text: str) -> Opt:
    return _api_option(field, Mode | None, help_text, case_sensitive=False)


TRANSCRIPTION_OPTS = (
    Opt(
        "model",
        Annotated[
            str,
            typer.Option(
                "--model",
                "-m",
                metavar="MODEL",
                help="Model id (`stt models` lists them)",
                rich_help_panel=TRANSCRIPTION,
            ),
        ],
        DEFAULT_MODEL,
    ),
    _text("language", "Language hint, BCP-47 (en, de-CH, ...)", "LANG"),
    _flag("detect_language", "Detect the spoken language"),
    Opt(
        "punctuate",
        Annotated[
            bool | None,
            typer.Option(
                "--punctuate/--no-punctuate",
                help="Punctuation and capitals",
                rich_help_panel=TRANSCRIPTION,
                show_default=False,
            ),
        ],
    ),
    _flag("smart_format", "Format numbers, dates and more for reading"),
    _flag("diarize", "Label speakers"),
    _text("diarize_version", "Pin a diarizer version", "VERSION"),
    _flag("paragraphs", "Split the transcript into paragraphs"),
    _flag("utterances", "Split into utterances"),
    Opt(
        "utt_split",
        Annotated[
            float | None,
            typer.Option(
                "--utt-split",
                min=0.0,
                metavar="SECONDS",
                help="Pause that splits utterances (default 0.8)",
                rich_help_panel=TRANSCRIPTION,
                show_default=False,
            ),
        ],
    ),
    _flag("numerals", "Write numbers as digits"),
    _flag("measurements", "Write measurements as abbreviations"),
    _flag("dictation", "Turn spoken punctuation commands into marks"),
    _flag("profanity_filter", "Mask profanity"),
    _flag("filler_words", "Keep filler words (uh, um)"),
    _flag("multi_channel", "Transcribe each audio channel on its own"),
    _many("keywords", "Boost or suppress a term, WORD:BOOST", "WORD:BOOST"),
    _many("search", "Search the audio for a term", "TERM"),
    _flag("summarize", "Add a summary (v2)"),
    _flag("topics", "Detect topics"),
    _flag("detect_topics", "Detect topics (older models)"),
    _flag("intents", "Detect intents"),
    _flag("sentiment", "Analyse sentiment"),
    _flag("detect_entities", "Detect entities"),
    _many("custom_topic", "A topic to look for", "TOPIC"),
    _mode("custom_topic_mode", "strict: only your topics; extended: yours and the model's"),
    _many("custom_intent", "An intent to look for", "INTENT"),
    _mode("custom_intent_mode", "strict: only your intents; extended: yours and the model's"),
    _many("tag", "A usage label, echoed in the result's metadata", "TAG"),
    _many("extra", "KEY:VALUE echoed in the result's metadata", "KEY:VALUE"),
    Opt(
        "param",
        Annotated[
            list[str] | None,
            typer.Option(
                "--param",
                metavar="KEY=VALUE",
                rich_help_panel=TRANSCRIPTION,
                show_default=False,
                help="Any other API field (repeatable); true/false, numbers and JSON are typed, the rest sent as text",
            ),
        ],
    ),
)


@dataclass(frozen=True)
class Request:
    """The model and the API fields the user set, in their JSON types."""

    model: str
    options: dict[str, OptionValue]


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
    finite(values, "utt_split")
    model = str(values.pop("model") or "").strip()
    if not model:
        raise UsageError("--model was given an empty value", "pass a model id, e.g. --model #g1_whisper-large")
    params = values.pop("param") or []
    options: dict[str, OptionValue] = {}
    for name, value in values.items():
        if value is None or value == []:
            continue
        if isinstance(value, Enum):
            value = value.value
        if name == "summarize":
            if value:
                options[name] = "v2"
            continue
        if isinstance(value, bool) and not value and name != "punctuate":
            continue
        if isinstance(value, list) and name in ("search", "extra") and len(value) == 1:
            value = value[0]
        options[name] = value
    repeated: set[str] = set()
    for item in params:
        key, parsed = parse_param(item)
        if key == "model":
            raise UsageError("use --model, not --param model=...", "e.g. --model nova-3")
        if key in repeated:  # a field given twice with --param becomes a list, as repeated form fields
            previous = options[key]
            options[key] = [*(previous if isinstance(previous, list) else [str(previous)]), str(parsed)]
        else:
            options[key] = parsed  # --param wins over a first-class flag for the same field
            repeated.add(key)
    return Request(model, options)


TRANSCRIPTION_GROUP = Group("request", TRANSCRIPTION_OPTS, build_request)


# --- Sources --------------------------------------------------------------------------------------------
SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_size(raw: str) -> int:
    """`500M`, `2GB`, `1.5GiB`, `123456` -> bytes."""
    text = raw.strip().lower().replace(" ", "")
    number = text.rstrip("kmgib")
    unit = text[len(number) :]
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in SIZE_UNITS or not 0 < value < 1e18:  # nan, inf and 1e400 are no size
        raise UsageError(f"--max-size {raw!r} is not a size", "write e.g. 500M, 2G or 1.5GiB")
    return int(value * SIZE_UNITS[unit])


@dataclass(frozen=True)
class SourceOptions:
    max_size: int | None
    from_file: str | None
    recursive: bool
    concurrency: int
    skip_existing: bool
    resubmit: bool


def _source_option(
    name: str, kind: Any, flag: str, help_text: str, default: Any, panel: str = "Source", **extra: Any
) -> Opt:
    option = typer.Option(flag, help=help_text, rich_help_panel=panel, show_default=bool(default), **extra)
    return Opt(name, Annotated[kind, option], default)


SOURCE_OPTS = (
    _source_option(
        "max_size", str | None, "--max-size", "Refuse sources larger than this (e.g. 500M, 2G)", None, metavar="SIZE"
    ),
    _source_option(
        "from_file",
        str | None,
        "--from-file",
        "Read more sources from LIST, one a line (- for stdin)",
        None,
        metavar="LIST",
    ),
    _source_option("recursive", bool, "--recursive", "Walk directories for audio and video files", False),
    _source_option(
        "concurrency",
        int,
        "--concurrency",
        "Jobs in flight at once",
        DEFAULT_CONCURRENCY,
        "Batch",
        min=1,
        max=64,
        metavar="N",
    ),
    _source_option(
        "skip_existing", bool, "--skip-existing", "Skip sources whose output file already exists", False, "Batch"
    ),
    _source_option(
        "resubmit",
        bool,
        "--resubmit",
        "Always create new jobs, even where the ledger has one for the same audio and options",
        False,
        "Batch",
    ),
)


def build_sources(values: dict[str, Any]) -> SourceOptions:
    return SourceOptions(
        max_size=parse_size(values["max_size"]) if values["max_size"] else None,
        from_file=values["from_file"],
        recursive=values["recursive"],
        concurrency=values["concurrency"],
        skip_existing=values["skip_existing"],
        resubmit=values["resubmit"],
    )


SOURCE_GROUP = Group("limits", SOURCE_OPTS, build_sources)
