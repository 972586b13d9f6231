"""Which model a command sends, and where that choice came from: the catalogue's id for --model, $STT_MODEL
or the config file's `model` (an alias resolved once, here), or an id sent as it is from their unchecked twins;
every error about it names its origin and the command that fixes it."""

from __future__ import annotations

import json
import shlex
from typing import NamedTuple

from stt_cli.api.catalogue import DEFAULT_MODEL, UnknownModel, resolve
from stt_cli.cli import click_api
from stt_cli.core.settings import resolve as resolve_setting
from stt_cli.errors import UsageError

# How strong a setting's source is: flag > environment > config file > default.
FLAG, ENV, FILE, DEFAULT = 3, 2, 1, 0
FLAGS = {"model": "--model", "model_unchecked": "--model-unchecked"}
MODEL_FLAG_NAMES = ("--model", "-m", "--model-unchecked")


class Origin(NamedTuple):
    """Where a model setting came from: its strength, its key, and the words that name it in a message."""

    level: int
    key: str  # model | model_unchecked
    where: str  # --model | $STT_MODEL | model = "nova3" in /home/me/.config/stt-cli/config.toml | the default
    path: str = ""  # the config file, for FILE


class Choice(NamedTuple):
    model: str  # what goes on the wire: the catalogue's id, or an unchecked id as it was given
    origin: Origin
    checked: bool


def empty_value_hint(flag: str) -> str:
    """Why a model flag got no value: most often `--model #g1_...` unquoted, where the shell took the rest
    of the line for a comment."""
    if flag == "--model-unchecked":
        return "an unquoted #... is a comment to the shell: quote the id, e.g. --model-unchecked '#g1_new-model'"
    return (
        f"an unquoted #... is a comment to the shell: quote it ({flag} '#g1_nova-2-general') or give its alias "
        f"without # ({flag} nova-2-general); stt models lists them"
    )


def choose(model: str | None, unchecked: str | None) -> Choice:
    """The model of a run, from the values of --model and --model-unchecked (which the environment and the
    config file may have filled in): the stronger source wins; the same source giving both is an error."""
    checked_origin = _origin("model", model)
    if unchecked is not None:
        unchecked_origin = _origin("model_unchecked", unchecked)
        if unchecked_origin.level == checked_origin.level:
            raise _both(checked_origin, unchecked_origin)
        if unchecked_origin.level > checked_origin.level:
            return Choice(_given(unchecked, unchecked_origin), unchecked_origin, checked=False)
    text = DEFAULT_MODEL if model is None and checked_origin.level == DEFAULT else _given(model, checked_origin)
    try:
        return Choice(resolve(text), checked_origin, checked=True)
    except UnknownModel as exc:
        raise unknown_model(exc, checked_origin) from None


def _origin(key: str, value: str | None) -> Origin:
    """Where the option's value came from, asked of click (outside click, a value is the flag's, None none)."""
    sources = click_api.ParameterSource
    ctx = click_api.get_current_context(silent=True)
    source = ctx.get_parameter_source(key) if ctx is not None else None
    if source is None:
        source = sources.DEFAULT if value is None else sources.COMMANDLINE
    if source == sources.COMMANDLINE:
        return Origin(FLAG, key, FLAGS[key])
    if source == sources.DEFAULT_MAP:
        resolved = resolve_setting(key)
        if resolved is not None and resolved.source.startswith("$"):
            return Origin(ENV, key, resolved.source)
        path = resolved.source.removeprefix("config file ") if resolved is not None else "the config file"
        return Origin(FILE, key, f"{key} = {json.dumps(value, ensure_ascii=False)} in {path}", path)
    return Origin(DEFAULT, key, "the default")


def _given(value: str | None, origin: Origin) -> str:
    text = (value or "").strip()
    if not text:  # only a flag can be empty here: the environment's empty values are skipped, the file's refused
        flag = FLAGS[origin.key]
        raise UsageError(f"{flag} was given an empty value", empty_value_hint(flag))
    return text


def did_you_mean(exc: UnknownModel) -> str:
    """The nearest names, each as it can be pasted into a shell ('#g1_whisper-large' quoted)."""
    return f"; did you mean {', '.join(map(shlex.quote, exc.suggestions))}?" if exc.suggestions else ""


def unknown_model(exc: UnknownModel, origin: Origin) -> UsageError:
    """The one line for a name the catalogue does not know: where it came from, the nearest names, the fix."""
    name = shlex.quote(exc.name)
    named = origin.where if origin.level == FILE else f"from {origin.where}"
    message = f"unknown model {exc.name!r} ({named}){did_you_mean(exc)}"
    best = shlex.quote(exc.suggestions[0]) if exc.suggestions else "ID"
    if origin.level == ENV:
        variable = origin.where.removeprefix("$")
        hint = (
            f"set {variable} to a name of `stt models`, or unset it; {variable}_UNCHECKED={name} sends an id stt "
            "does not know as it is"
        )
    elif origin.level == FILE:
        hint = (
            f"fix it with `stt config set model {best}` or `stt config unset model`; "
            f"`stt config set model-unchecked {name}` keeps an id stt does not know, sent as it is"
        )
    else:
        hint = f"`stt models` lists them; --model-unchecked {name} sends an id stt does not know as it is"
    return UsageError(message, hint)


def unknown_stored_model(exc: UnknownModel) -> UsageError:
    """`stt config set model NAME` for a name the catalogue does not know: nothing is written."""
    return UsageError(
        f"unknown model {exc.name!r}{did_you_mean(exc)}",
        f"`stt models` lists them; `stt config set model-unchecked {shlex.quote(exc.name)}` keeps an id stt does "
        "not know, sent as it is",
    )


def _both(checked: Origin, unchecked: Origin) -> UsageError:
    if checked.level == FLAG:
        return UsageError("--model and --model-unchecked were both given", "give one of them")
    if checked.level == ENV:
        return UsageError(f"{checked.where} and {unchecked.where} are both set", "unset one of them")
    return UsageError(
        f"model and model_unchecked are both set in {checked.path}",
        "keep one: `stt config unset model` or `stt config unset model-unchecked`",
    )


def blame(exc: UsageError, origin: Origin) -> UsageError:
    """A model's refusal of a flag, naming where the model came from when no flag on this line chose it."""
    if origin.level not in (ENV, FILE):
        return exc
    return UsageError(
        f"{exc.message}; the model comes from {origin.where}", exc.hint, fix=exc.fix, origin=exc.origin, **exc.facts
    )
