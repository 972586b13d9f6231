"""`stt config list|get|set|unset|path`: the defaults kept in config.toml (flag > env > file > default)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, group, sub_command
from stt_cli.core.config import config_dir, config_file, load_config
from stt_cli.core.settings import find_setting, parse_setting, resolve, settings_table, unknown_keys, validate_base_url
from stt_cli.errors import UsageError, local_failure

CONFIG_HELP = """Show or set defaults for the options you always pass (a TOML file).

A flag wins over an environment variable (STT_FORMAT, ...), which wins over
the config file, which wins over the built-in default.

Examples:
  stt config set format srt
  stt config set model '#g1_nova-2-meeting'
  stt config list
"""

app = group("config", CONFIG_HELP, no_args_is_help=True)

KeyArg = Annotated[str, typer.Argument(metavar="KEY", help="A setting, e.g. model (see `stt config list`)")]


def _format(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _effective(key: str, config: dict[str, Any]) -> tuple[Any, str]:
    """What a command uses when no flag is given, and where it comes from (a base URL checked)."""
    resolved = resolve(key, None, config)
    assert resolved is not None
    if key == "base_url":
        validate_base_url(resolved)
    return resolved.value, resolved.origin


@sub_command(app, "list")
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
        value, source = _effective(setting.key, config)
        values[setting.key] = value
        rows.append([setting.key, _format(value), source, " ".join(f"${e}" for e in setting.env)])
    if as_json:
        output.data(json.dumps(values, ensure_ascii=False) + "\n")
        return
    output.table(["key", "value", "from", "env"], rows)


@sub_command(app)
def get(key: KeyArg) -> None:
    """Print the value used when no flag is given (environment, file or default).

    Examples:
      stt config get model
      fmt=$(stt config get format)
    """
    setting = find_setting(key)
    value, _ = _effective(setting.key, load_config())
    output.data(_format(value) + "\n")


@sub_command(app, "set")
def set_value(
    key: KeyArg,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The new default")],
) -> None:
    """Store a default in the config file (checked first; comments are kept).

    Examples:
      stt config set format srt
      stt config set poll-interval 5
    """
    setting = find_setting(key)
    typed = parse_setting(setting, value, None)
    if setting.key == "model":
        from stt_cli.api.catalogue import all_models

        if typed not in all_models():
            output.warn(f"{typed} is not one of the known model ids (stt models); stored anyway")
    _rewrite(setting.key, typed)
    output.info(f"{setting.key} = {_format(typed)} in {config_file()}")
    _warn_shadowed(setting.env)


@sub_command(app)
def unset(key: KeyArg) -> None:
    """Remove a default from the config file: the built-in default applies again.

    Examples:
      stt config unset format
      stt config unset max-line-width
    """
    setting = find_setting(key)
    if setting.key not in load_config():
        output.info(f"{setting.key} is not set in {config_file()}")
        return
    _rewrite(setting.key, None)
    output.info(f"removed {setting.key} from {config_file()}")
    _warn_shadowed(setting.env)


@sub_command(app)
def path() -> None:
    """Print the config file's path (it may not exist yet).

    Examples:
      stt config path
      $EDITOR "$(stt config path)"
    """
    output.data(f"{config_file()}\n")


def _warn_shadowed(names: tuple[str, ...]) -> None:
    shadow = next((name for name in names if os.environ.get(name, "").strip()), None)
    if shadow:
        output.warn(f"${shadow} is set in this environment and takes precedence over the config file")


def _rewrite(key: str, value: str | int | float | None) -> None:
    """Edit one key of the config file atomically, and check the result reads back as meant."""
    import tomllib

    from stt_cli.core.files import atomic_write_bytes
    from stt_cli.core.tomledit import set_key, unset_key

    before = load_config()  # refuses a broken file, with the fix
    target = config_file()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read the config file {target}: {exc}", "fix its permissions or move it aside"
        ) from None
    new_text = unset_key(text, key) if value is None else set_key(text, key, value)
    expected = {k: v for k, v in before.items() if k != key}
    if value is not None:
        expected[key] = value
    try:
        after = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        after = None
    if after != expected:
        raise UsageError(
            f"cannot edit {key} in {target} safely (it is written in a form stt does not rewrite)",
            f"edit the file by hand: {target}",
        )
    try:
        config_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write_bytes(target, new_text.encode("utf-8"))
    except OSError as exc:
        raise local_failure(exc, f"write the config file {target}") from None
