"""`stt config`: every setting with its value and where that value comes from; one setting read; one stored in
the config file (checked first, comments kept, its twin taken out) or removed from it."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from stt_cli.api.catalogue import resolve as resolve_model
from stt_cli.core.config import config_dir, config_file, load_config, parse_config, read_config_file
from stt_cli.core.files import atomic_write_bytes
from stt_cli.core.settings import (
    DURATION_SETTINGS,
    Setting,
    effective,
    find_setting,
    is_number,
    parse_setting,
    settings_table,
    unknown_keys,
)
from stt_cli.core.tomledit import set_key, unset_key
from stt_cli.errors import UsageError, local_failure

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
    """Every setting's value and where it comes from, and warnings: the file's unknown keys, and each value no
    command could use (listed as its error: the list is where a bad value is looked for)."""
    config = load_config()
    rows, warnings = [], unknown_keys(config)
    for setting in settings_table().values():
        try:
            rows.append(Row(setting, *effective(setting.key, config)))
        except UsageError as exc:
            rows.append(Row(setting, "(not usable)", "error"))
            warnings.append(exc.message)
    return rows, warnings


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


def store(raw_key: str, raw_value: str) -> tuple[Setting, Any, list[str]]:
    """`stt config set`: the value checked and written to the config file; the setting, the typed value and
    warnings (an environment variable that overrides the file).

    A model is stored as the id it stands for (an alias resolved, checked as -m checks it: UnknownModel
    otherwise), so the file holds what goes on the wire; model_unchecked is stored as it is.
    """
    setting = find_setting(raw_key)
    typed = parse_setting(setting, raw_value, None)
    if setting.key in DURATION_SETTINGS and not is_number(raw_value.strip()):
        typed = raw_value.strip().lower()  # `5m` is kept as written (it was checked): the file reads as typed
    if setting.key == "model":
        typed = resolve_model(typed)
    edit_config(setting.key, typed)
    return setting, typed, _shadowed(setting)


def remove(raw_key: str) -> tuple[Setting, bool, list[str]]:
    """`stt config unset`: the key taken out of the config file; whether it was there, and warnings."""
    setting = find_setting(raw_key)
    if setting.key not in load_config():
        return setting, False, []
    edit_config(setting.key, None)
    return setting, True, _shadowed(setting)


def _shadowed(setting: Setting) -> list[str]:
    shadow = next((name for name in setting.env if os.environ.get(name, "").strip()), None)
    if shadow is None:
        return []
    return [f"${shadow} is set in this environment and takes precedence over the config file"]


def edit_config(key: str, value: str | int | float | None) -> None:
    """Edit one key of the config file atomically, and check the result reads back as meant.

    A config file that is a symbolic link (a dotfiles manager's) stays one: its target is rewritten, atomically
    in the target's own directory. The file keeps its mode (a 0600 file stays 0600); a new one gets the umask's.
    """
    found = read_config_file()  # refuses a broken file, with the fix
    before = {} if found is None else parse_config(found.data)
    text = "" if found is None else found.data.decode("utf-8")  # parse_config has refused anything else
    path = config_file()
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
            f"cannot edit {key} in {path} safely (it is written in a form stt does not rewrite)",
            f"edit the file by hand: {path}",
        )
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    mode = None if found is None else stat.S_IMODE(found.info.st_mode)
    try:
        config_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write_bytes(target, new_text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise local_failure(exc, f"write the config file {target}") from None
