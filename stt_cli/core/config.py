"""Where stt keeps its files, and how settings resolve: flag > environment > config file > default."""

from __future__ import annotations

import ipaddress
import math
import os
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from stt_cli.errors import UsageError, command_line, path_word

APP_NAME = "stt-cli"
DEFAULT_BASE_URL = "https://api.aimlapi.com/v1"
BASE_URL_ENV_VARS = ("AIML_API_BASE", "AIMLAPI_API_BASE")
KEY_ENV_VARS = ("AIML_API_KEY", "AIMLAPI_API_KEY")


# stt's own directories, each overridable on every platform (tests, CI caches, a portable setup); otherwise
# platformdirs' user directories for the app (XDG variables honoured on Linux).
DIR_ENV_VARS = {"config": "STT_CONFIG_DIR", "data": "STT_DATA_DIR", "cache": "STT_CACHE_DIR"}


def _directory(kind: str) -> Path:
    override = os.environ.get(DIR_ENV_VARS[kind], "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

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


def config_file() -> Path:
    return config_dir() / "config.toml"


def load_config() -> dict[str, Any]:
    """The user's config file as a dict; an absent file is an empty config, a broken one an error."""
    path = config_file()
    try:
        if not path.is_file() and path.exists():  # a FIFO or a device would hang or stream for ever
            raise UsageError(f"the config file {path} is not a regular file", "move it aside")
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(
            f"cannot read the config file {path}: {exc.strerror}", "fix its permissions or move it aside"
        ) from None
    import tomllib  # only when a config file exists

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"the config file {path} is not valid TOML ({exc})",
            f"fix it, or move it aside: {command_line('mv', path_word(path), path_word(f'{path}.bak'))}",
        ) from None


class Resolved(NamedTuple):
    """A setting's value and where it came from (shown by `stt auth status`, used in error hints)."""

    value: str
    source: str


def resolve_base_url(flag: str | None) -> Resolved:
    if flag:
        return Resolved(flag, "--base-url")
    for name in BASE_URL_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return Resolved(value, f"${name}")
    configured = load_config().get("base_url")
    if isinstance(configured, str) and configured.strip():
        return Resolved(configured.strip(), f"config file {config_file()}")
    return Resolved(DEFAULT_BASE_URL, "default")


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1; names are not resolved, so nothing can smuggle a host in."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(resolved: Resolved) -> str:
    """The base URL without a trailing slash, or a UsageError naming what is wrong and where it was set."""
    url = resolved.value.strip()
    where = f"(set by {resolved.source})"
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        raise UsageError(
            f"the base URL {url!a} holds a space or control character {where}", "use e.g. https://api.aimlapi.com/v1"
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError(
            f"the base URL {url!r} is not a valid URL {where}", "use e.g. https://api.aimlapi.com/v1"
        ) from None
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(
            f"the base URL {url!r} must start with https:// and name a host {where}",
            "use e.g. https://api.aimlapi.com/v1",
        )
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"the base URL must not carry user credentials {where}",
            "pass the key with --api-key or AIML_API_KEY",
        )
    if parts.query or parts.fragment:
        raise UsageError(
            f"the base URL {url!r} must not have a query or fragment {where}", "remove the part after ? or #"
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise UsageError(
            f"refusing plain http:// to {host}: the key would travel unencrypted {where}",
            "use https://, or http:// only for a loopback host such as 127.0.0.1",
        )
    return url.rstrip("/")


def host_of(base_url: str) -> str:
    """The host:port a job belongs to: jobs of the emulator and of the service never mix in the ledger."""
    return urlsplit(base_url).netloc.lower()


# --- The settings a user can keep in the config file ----------------------------------------------------
class Setting(NamedTuple):
    """One default a user can set: its key in config.toml, its kind and limits, and the commands it feeds."""

    key: str
    kind: type
    default: Any
    help: str
    commands: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def env(self) -> tuple[str, ...]:
        return BASE_URL_ENV_VARS if self.key == "base_url" else (f"STT_{self.key.upper()}",)


def _settings() -> tuple[Setting, ...]:
    from stt_cli.api.catalogue import DEFAULT_MODEL
    from stt_cli.core import defaults as s
    from stt_cli.formats.registry import NAMES as FORMAT_NAMES

    transcribe, render = ("run", "submit"), ("run", "fetch")
    return (
        Setting("base_url", str, DEFAULT_BASE_URL, "API base URL"),
        Setting("model", str, DEFAULT_MODEL, "Model id (stt models)", transcribe),
        Setting("format", str, "text", "Result format", render, FORMAT_NAMES),
        Setting("poll_interval", float, s.DEFAULT_POLL_INTERVAL, "Longest gap between polls (s)", render, (), 0.05),
        Setting("timeout", float, s.DEFAULT_TIMEOUT, "Longest wait for a result (s; 0: never)", render, (), 0.0),
        Setting("concurrency", int, s.DEFAULT_CONCURRENCY, "Jobs in flight in a batch", transcribe, (), 1, 64),
        Setting("max_line_width", int, s.MAX_LINE_WIDTH, "Subtitle line width (chars)", render, (), 10),
        Setting("max_lines", int, s.MAX_LINES, "Subtitle lines per cue", render, (), 1),
        Setting("max_cue_duration", float, s.MAX_CUE_DURATION, "Longest a cue stays up (s)", render, (), 0.5),
        Setting("min_cue_duration", float, s.MIN_CUE_DURATION, "Shortest a cue stays up (s)", render, (), 0.0),
        Setting("max_cps", float, s.MAX_CHARS_PER_SECOND, "Reading speed limit (chars/s)", render, (), 1.0),
    )


def settings_table() -> dict[str, Setting]:
    return {s.key: s for s in _settings()}


def find_setting(raw_key: str) -> Setting:
    """The setting named by `raw_key` (poll-interval and poll_interval both work), or a UsageError with a guess."""
    key = raw_key.strip().replace("-", "_").lower()
    table = settings_table()
    if key in table:
        return table[key]
    import difflib

    guess = difflib.get_close_matches(key, table, n=1)
    hint = f"did you mean {guess[0]}? " if guess else ""
    raise UsageError(f"unknown setting {raw_key!r}", f"{hint}the settings are: {', '.join(table)}")


def parse_setting(setting: Setting, raw: Any, where: str | None) -> Any:
    """A value from the command line (where=None), the environment or the file, checked and typed."""
    fix = f"e.g. stt config set {setting.key} {setting.default}"
    origin = f" (set by {where})" if where else ""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise UsageError(f"{setting.key} = {raw!r} is not a {setting.kind.__name__}{origin}", fix)
    text = str(raw).strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{setting.key}: the value {text!a} is not valid UTF-8{origin}", fix) from None
    what = f"{setting.key} = {text!r}"
    if setting.kind is str:
        if not text:
            raise UsageError(f"{setting.key} is empty{origin}", fix)
        if setting.choices and text.lower() not in setting.choices:
            raise UsageError(f"{what} is not a choice{origin}", f"use one of: {', '.join(setting.choices)}")
        if setting.key == "base_url":
            validate_base_url(Resolved(text, where or "the command line"))
        return text.lower() if setting.choices else text
    try:
        value: int | float = int(text) if setting.kind is int else float(text)
    except ValueError:
        kind = "whole number" if setting.kind is int else "number"
        raise UsageError(f"{what} is not a {kind}{origin}", fix) from None
    if not math.isfinite(value):
        raise UsageError(f"{what} is not a finite number{origin}", fix)
    if setting.minimum is not None and value < setting.minimum:
        raise UsageError(f"{what} is below its minimum, {setting.minimum:g}{origin}", fix)
    if setting.maximum is not None and value > setting.maximum:
        raise UsageError(f"{what} is above its maximum, {setting.maximum:g}{origin}", fix)
    return value


def warn_unknown_keys(config: dict[str, Any]) -> None:
    from stt_cli.cli import output

    known = settings_table()
    for key in config:
        if key not in known:
            output.warn(f"the config file {config_file()} has an unknown setting {key!r}; it is ignored")


def effective(setting: Setting, config: dict[str, Any]) -> tuple[Any, str]:
    """What a command uses when no flag is given, and where it comes from: environment, then file, then default."""
    for name in setting.env:
        raw = os.environ.get(name, "")
        if raw.strip():
            return parse_setting(setting, raw, f"${name}"), f"${name}"
    if setting.key in config:
        return parse_setting(setting, config[setting.key], f"the config file {config_file()}"), "config file"
    return setting.default, "default"


def command_defaults(command: str) -> dict[str, Any] | None:
    """Defaults for one command's options from the environment and the config file (None: nothing to change).

    Handed to click as the context's default_map, so a flag on the command line still wins.
    """
    relevant = [s for s in _settings() if command in s.commands]
    if not relevant:
        return None
    if not any(os.environ.get(name, "").strip() for s in relevant for name in s.env) and not config_file().exists():
        return None
    config = load_config()
    warn_unknown_keys(config)
    defaults = {}
    for setting in relevant:
        value, source = effective(setting, config)
        if source != "default":
            defaults[setting.key] = value
    return defaults or None


class CommandDefaults:
    """The root context's default_map: each command's defaults, worked out only when that command runs."""

    def get(self, command: str, fallback: Any = None) -> dict[str, Any] | None:
        return command_defaults(command)
