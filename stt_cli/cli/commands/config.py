"""`stt config list|get|set|unset|path`: the defaults kept in config.toml (flag > env > file > default)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.api.catalogue import UnknownModel
from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, group, sub_command
from stt_cli.cli.options.model_choice import unknown_stored_model
from stt_cli.core.config import config_file
from stt_cli.core.usecases import config

CONFIG_HELP = """Show or set defaults for the options you always pass (a TOML file).

A flag wins over an environment variable (STT_FORMAT, ...), which wins over
the config file, which wins over the built-in default.

Examples:
  stt config set format srt
  stt config set model nova-2-meeting
  stt config list
"""

config_app = group("config", CONFIG_HELP, no_args_is_help=True)

KeyArg = Annotated[str, typer.Argument(metavar="KEY", help="A setting, e.g. model (see `stt config list`)")]


def _format(value: Any) -> str:
    if value is None:  # a setting with no default (model_unchecked) that is set nowhere
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


@sub_command(config_app, "list")
def list_settings(
    as_json: JsonOpt = False,
) -> None:
    """Show every setting, its value and where that value comes from.

    Examples:
      stt config list
      stt config list --json | jq -r .model
    """
    rows, warnings = config.listing()
    for warning in warnings:
        output.warn(warning)
    if as_json:
        output.json_lines([{row.setting.key: row.value for row in rows}])
        return
    output.table(
        ["key", "value", "from", "env"],
        [[row.setting.key, _format(row.value), row.source, " ".join(f"${e}" for e in row.setting.env)] for row in rows],
    )


@sub_command(config_app)
def get(key: KeyArg) -> None:
    """Print the value used when no flag is given (environment, file or default).

    Examples:
      stt config get model
      fmt=$(stt config get format)
    """
    output.data(_format(config.value_of(key)) + "\n")


@sub_command(config_app, "set", context_settings={"ignore_unknown_options": True})  # a VALUE may start with -
def set_value(
    key: KeyArg,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The new default")],
) -> None:
    """Store a default in the config file (checked first; comments are kept).

    A model alias is stored as the id it stands for; model-unchecked keeps an
    id stt does not know, sent as it is (and replaces model, and the reverse).

    Examples:
      stt config set format srt
      stt config set poll-interval 5
      stt config set model whisper-large
    """
    try:
        stored = config.set_value(key, value)
    except UnknownModel as exc:
        raise unknown_stored_model(exc) from None
    key_name, typed = stored.setting.key, stored.value
    alias = f" ({value.strip()} is its alias)" if key_name == "model" and typed != value.strip() else ""
    output.info(f"{key_name} = {_format(typed)} in {config_file()}{alias}")
    if stored.replaced is not None:
        output.info(f"removed {stored.replaced} from {config_file()}: {key_name} replaces it")
    for warning in stored.warnings:
        output.warn(warning)


@sub_command(config_app)
def unset(key: KeyArg) -> None:
    """Remove a default from the config file: the built-in default applies again.

    Examples:
      stt config unset format
      stt config unset max-line-width
    """
    setting, removed, warnings = config.unset(key)
    output.info(
        f"removed {setting.key} from {config_file()}" if removed else f"{setting.key} is not set in {config_file()}"
    )
    for warning in warnings:
        output.warn(warning)


@sub_command(config_app)
def path() -> None:
    """Print the config file's path (it may not exist yet).

    Examples:
      stt config path
      $EDITOR "$(stt config path)"
    """
    output.data(f"{config_file()}\n")
