"""Where stt keeps its files (each directory overridable by an environment variable) and the config file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stt_cli.errors import UsageError, command_line, path_word

if TYPE_CHECKING:
    from stt_cli.core.safeopen import Read

APP_NAME = "stt-cli"
DEFAULT_BASE_URL = "https://api.aimlapi.com/v1"
CONFIG_LIMIT = 1024 * 1024  # bytes: a config file of every setting is under 1 KB


# stt's own directories, each overridable on every platform (tests, CI caches, a portable setup); otherwise
# platformdirs' user directories for the app (XDG variables honoured on Linux).
DIR_ENV_VARS = {"config": "STT_CONFIG_DIR", "data": "STT_DATA_DIR", "cache": "STT_CACHE_DIR"}


def user_path(raw: str) -> Path:
    """A path as the user wrote it, ~ and ~user expanded where they name a home (`~0` for no such user is
    a name like any other, as a shell leaves it)."""
    try:
        return Path(raw).expanduser()
    except RuntimeError:  # "Could not determine home directory"
        return Path(raw)


def _directory(kind: str) -> Path:
    override = os.environ.get(DIR_ENV_VARS[kind], "").strip()
    if override:
        return user_path(override)
    import platformdirs  # lazy for start-up: not loaded where STT_*_DIR names the directory

    finder = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind]
    return Path(finder(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The config file and the key file."""
    return _directory("config")


def data_dir() -> Path:
    """The job ledger."""
    return _directory("data")


def cache_dir() -> Path:
    """What stt may lose: the spool of audio read from stdin."""
    return _directory("cache")


def spool_dir() -> Path:
    """Where audio read from stdin is spooled while it is sent (0700; swept of killed runs' files)."""
    return cache_dir() / "spool"


def config_file() -> Path:
    return config_dir() / "config.toml"


def read_config_file() -> Read | None:
    """The config file's bytes and its own stat (its mode, for an edit to keep), or None when there is none."""
    from stt_cli.core.safeopen import NotRegular, TooLarge, read_regular  # lazy for start-up: only with a config

    path = config_file()
    try:
        return read_regular(path, CONFIG_LIMIT)
    except FileNotFoundError:
        return None
    except NotRegular as exc:  # a FIFO would hang the read, a device stream for ever
        raise UsageError(f"the config file {path} is {exc.kind}, not a regular file", "move it aside") from None
    except TooLarge:
        raise UsageError(
            f"the config file {path} is over {CONFIG_LIMIT:,} bytes: no config file of stt's", "move it aside"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read the config file {path}: {exc.strerror}", "fix its permissions or move it aside"
        ) from None


def load_config() -> dict[str, Any]:
    """The user's config file as a dict; an absent file is an empty config, a broken one an error."""
    found = read_config_file()
    return {} if found is None else parse_config(found.data)


def parse_config(raw: bytes) -> dict[str, Any]:
    """The config file's bytes read as TOML, or a UsageError naming the file and how to move it aside."""
    import tomllib  # only when a config file exists

    path = config_file()
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"the config file {path} is not valid TOML ({exc})",
            f"fix it, or move it aside: {command_line('mv', path_word(path), path_word(f'{path}.bak'))}",
        ) from None
