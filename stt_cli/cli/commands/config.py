"""`stt config list|get|set|unset|path`: the defaults kept in config.toml (flag > env > file > default)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.api.catalogue import UnknownModel
from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, group, sub_command
from stt_cli.cli.options.model_choice import unknown_stored_model
from stt_cli.core.config import config_file, load_config
from stt_cli.core.settings import effective, find_setting, remove, settings_table, store, unknown_keys

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


# Two spellings of the model a run sends: setting one in the file takes the other out of it.
TWINS = {"model": "model_unchecked", "model_unchecked": "model"}


@sub_command(config_app, "list")
def list_settings(
    as_json: JsonOpt = False,
) -> None:
    """Show every setting, its value and where that value comes from.

    Examples:
      stt config list
      stt config list --json | jq -r .model
    """
    config = load_config()
    for warning in unknown_keys(config):
        output.warn(warning)
    rows = []
    values = {}
    for setting in settings_table().values():
        value, source = effective(setting.key, config)
        values[setting.key] = value
        rows.append([setting.key, _format(value), source, " ".join(f"${e}" for e in setting.env)])
    if as_json:
        output.json_lines([values])
        return
    output.table(["key", "value", "from", "env"], rows)


@sub_command(config_app)
def get(key: KeyArg) -> None:
    """Print the value used when no flag is given (environment, file or default).

    Examples:
      stt config get model
      fmt=$(stt config get format)
    """
    setting = find_setting(key)
    value, _ = effective(setting.key, load_config())
    output.data(_format(value) + "\n")


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
        setting, typed, warnings = store(key, value)
    except UnknownModel as exc:
        raise unknown_stored_model(exc) from None
    alias = f" ({value.strip()} is its alias)" if setting.key == "model" and typed != value.strip() else ""
    output.info(f"{setting.key} = {_format(typed)} in {config_file()}{alias}")
    twin = TWINS.get(setting.key)
    if twin is not None and twin in load_config():
        remove(twin)
        output.info(f"removed {twin} from {config_file()}: {setting.key} replaces it")
    for warning in warnings:
        output.warn(warning)


@sub_command(config_app)
def unset(key: KeyArg) -> None:
    """Remove a default from the config file: the built-in default applies again.

    Examples:
      stt config unset format
      stt config unset max-line-width
    """
    setting, removed, warnings = remove(key)
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
