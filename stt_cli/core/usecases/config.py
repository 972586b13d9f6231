"""`stt config`: every setting with its value and where that value comes from; one setting read; one stored in
the config file (checked first, comments kept, its twin taken out) or removed from it."""

from __future__ import annotations

from typing import Any, NamedTuple

from stt_cli.core.config import load_config
from stt_cli.core.settings import Setting, effective, find_setting, remove, settings_table, store, unknown_keys

# Two spellings of the model a run sends: setting one in the file takes the other out of it.
TWINS = {"model": "model_unchecked", "model_unchecked": "model"}


class Row(NamedTuple):
    setting: Setting
    value: Any
    source: str  # flag-less origin: $VAR, config file, default, nowhere


class Stored(NamedTuple):
    setting: Setting
    value: Any  # as written to the file (a model alias resolved to its id)
    replaced: str | None  # the twin taken out of the file, if it was there
    warnings: list[str]


def listing() -> tuple[list[Row], list[str]]:
    """Every setting's value and where it comes from, and the file's warnings (unknown keys)."""
    config = load_config()
    rows = [Row(setting, *effective(setting.key, config)) for setting in settings_table().values()]
    return rows, unknown_keys(config)


def value_of(key: str) -> Any:
    """The value a command uses for this setting when no flag is given."""
    setting = find_setting(key)
    return effective(setting.key, load_config())[0]


def set_value(key: str, value: str) -> Stored:
    """The value checked and stored; its twin (model / model_unchecked) taken out of the file."""
    setting, typed, warnings = store(key, value)
    twin = TWINS.get(setting.key)
    replaced = None
    if twin is not None and twin in load_config():
        remove(twin)
        replaced = twin
    return Stored(setting, typed, replaced, warnings)


def unset(key: str) -> tuple[Setting, bool, list[str]]:
    """The key taken out of the config file; whether it was there, and warnings."""
    return remove(key)
