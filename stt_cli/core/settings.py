"""Every setting resolved one way: flag > environment > config file (the key file for the key) > default."""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import shlex
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from stt_cli.core import defaults as s
from stt_cli.core.config import DEFAULT_BASE_URL, config_file, load_config
from stt_cli.core.defaults import DURATION_EXAMPLES, parse_duration, shown_duration
from stt_cli.errors import AuthError, Fix, Origin, UsageError

BASE_URL_ENV_VARS = ("AIML_API_BASE", "AIMLAPI_API_BASE")
DURATION_SETTINGS = frozenset({"poll_interval", "timeout"})  # written as durations: 90, 90s, 5m, 1h30m
KEY_ENV_VARS = ("AIML_API_KEY", "AIMLAPI_API_KEY")


class Resolved(NamedTuple):
    """A setting's value and where it came from: a flag, $VAR, config file PATH, key file PATH, or default."""

    value: Any
    source: str

    @property
    def origin(self) -> str:
        """The source without its path: what `stt config list` shows in its `from` column."""
        for kind in ("config file", "key file"):
            if self.source.startswith(kind):
                return kind
        return self.source


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
    url = str(resolved.value).strip()
    origin = Origin("base_url", resolved.source)
    example = "use e.g. https://api.aimlapi.com/v1"
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        raise UsageError(f"the base URL {url!a} holds a space or control character", example, origin=origin)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError(f"the base URL {url!r} is not a valid URL", example, origin=origin) from None
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"the base URL {url!r} must start with https:// and name a host", example, origin=origin)
    if parts.username is not None or parts.password is not None:
        raise UsageError("the base URL must not carry user credentials", fix=Fix.KEY_ELSEWHERE, origin=origin)
    if parts.query or parts.fragment:
        raise UsageError(
            f"the base URL {url!r} must not have a query or fragment", "remove the part after ? or #", origin=origin
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise UsageError(
            f"refusing plain http:// to {host}: the key would travel unencrypted",
            "use https://, or http:// only for a loopback host such as 127.0.0.1",
            origin=origin,
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
    from stt_cli.api.catalogue import DEFAULT_MODEL  # lazy for start-up: stt status
    from stt_cli.formats import subtitle_options as sub  # lazy for start-up: stt status
    from stt_cli.formats.registry import NAMES as FORMAT_NAMES  # lazy for start-up: stt status

    transcribe, render = s.TRANSCRIBING, s.RENDERING
    return (
        Setting("base_url", str, DEFAULT_BASE_URL, "API base URL"),
        Setting("model", str, DEFAULT_MODEL, "Model id or alias", transcribe),
        Setting("model_unchecked", str, None, "Model id sent as it is, unchecked (instead of model)", transcribe),
        Setting("format", str, "text", "Result format", render, FORMAT_NAMES),
        Setting("audio_prep", str, s.DEFAULT_AUDIO_PREP, "What is sent of a local file", transcribe, s.AUDIO_PREPS),
        Setting(
            "poll_interval",
            float,
            s.DEFAULT_POLL_INTERVAL,
            "Longest gap between polls (a duration: 90, 5m)",
            render,
            (),
            *s.BOUNDS["poll_interval"],
        ),
        Setting(
            "timeout",
            float,
            s.DEFAULT_TIMEOUT,
            "Longest wait for a result (a duration; 0: never)",
            render,
            (),
            *s.BOUNDS["timeout"],
        ),
        Setting(
            "concurrency",
            int,
            s.DEFAULT_CONCURRENCY,
            "Jobs in flight in a batch",
            (*transcribe, "fetch"),
            (),
            *s.BOUNDS["concurrency"],
        ),
        Setting(
            "max_line_width",
            int,
            sub.MAX_LINE_WIDTH,
            "Subtitle line width (chars)",
            render,
            (),
            *s.BOUNDS["max_line_width"],
        ),
        Setting("max_lines", int, sub.MAX_LINES, "Subtitle lines per cue", render, (), *s.BOUNDS["max_lines"]),
        Setting(
            "max_cue_duration",
            float,
            sub.MAX_CUE_DURATION,
            "Longest a cue stays up (s)",
            render,
            (),
            *s.BOUNDS["max_cue_duration"],
        ),
        Setting(
            "min_cue_duration",
            float,
            sub.MIN_CUE_DURATION,
            "Shortest a cue stays up (s)",
            render,
            (),
            *s.BOUNDS["min_cue_duration"],
        ),
        Setting(
            "max_cps",
            float,
            sub.MAX_CHARS_PER_SECOND,
            "Reading speed limit (chars/s)",
            render,
            (),
            *s.BOUNDS["max_cps"],
        ),
    )


def settings_table() -> dict[str, Setting]:
    return {s.key: s for s in _settings()}


def find_setting(raw_key: str) -> Setting:
    """The setting named by `raw_key` (poll-interval and poll_interval both work), or a UsageError with a guess."""
    key = raw_key.strip().replace("-", "_").lower()
    table = settings_table()
    if key in table:
        return table[key]

    guess = difflib.get_close_matches(key, table, n=1)
    hint = f"did you mean {guess[0]}? " if guess else ""
    raise UsageError(f"unknown setting {raw_key!r}", f"{hint}the settings are: {', '.join(table)}")


def parse_setting(setting: Setting, raw: Any, where: str | None) -> Any:
    """A value from the command line (where=None), the environment or the file, checked and typed."""
    example = shlex.quote(str(setting.default)) if setting.default is not None else "VALUE"
    if setting.key in DURATION_SETTINGS and isinstance(setting.default, (int, float)):
        example = shown_duration(setting.default)
    to_fix: dict[str, Any] = {"fix": Fix.SETTING, "key": setting.key, "example": example, "where": where}
    origin = f" (set by {where})" if where else ""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise UsageError(f"{setting.key} = {raw!r} is not a {setting.kind.__name__}{origin}", **to_fix)
    text = str(raw).strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{setting.key}: the value {text!a} is not valid UTF-8{origin}", **to_fix) from None
    what = f"{setting.key} = {text!r}"
    if setting.kind is str:
        if not text:
            raise UsageError(f"{setting.key} is empty{origin}", **to_fix)
        if setting.key == "format":
            return _formats(text, what, origin)
        if setting.choices and text.lower() not in setting.choices:
            raise UsageError(f"{what} is not a choice{origin}", f"use one of: {', '.join(setting.choices)}", **to_fix)
        if setting.key == "base_url":
            validate_base_url(Resolved(text, where or "the command line"))
        return text.lower() if setting.choices else text
    if setting.key in DURATION_SETTINGS and not is_number(text):  # a plain number is checked as any number is
        try:
            value: int | float = parse_duration(raw if isinstance(raw, (int, float)) else text)
        except ValueError as exc:
            written = f"a duration is written e.g. {DURATION_EXAMPLES}"
            raise UsageError(f"{what} is not a duration: {exc}{origin}", written, **to_fix) from None
    else:
        try:
            value = int(text) if setting.kind is int else float(text)
        except ValueError:
            kind = "whole number" if setting.kind is int else "number"
            raise UsageError(f"{what} is not a {kind}{origin}", **to_fix) from None
    if not math.isfinite(value):
        raise UsageError(f"{what} is not a finite number{origin}", **to_fix)
    if setting.minimum is not None and value < setting.minimum:
        raise UsageError(f"{what} is below its minimum, {setting.minimum:g}{origin}", **to_fix)
    if setting.maximum is not None and value > setting.maximum:
        raise UsageError(f"{what} is above its maximum, {setting.maximum:g}{origin}", **to_fix)
    return value


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def resolve(key: str, flag: Any = None, config: dict[str, Any] | None = None) -> Resolved | None:
    """The one resolver: a setting's value and its source, flag > environment > file > default.

    The file is config.toml. The base URL comes back as written (it is checked by validate_base_url where it
    is used, naming its source); every other setting is parsed and bounded by its Setting. `config` is the
    loaded config file, when the caller has it already. The key, which depends on the base URL, is resolve_key's.
    """
    if key == "base_url":
        return _resolve_base_url(flag, config)
    setting = settings_table()[key]
    if flag is not None:
        return Resolved(parse_setting(setting, flag, None), "flag")
    for name in setting.env:
        raw = os.environ.get(name, "")
        if raw.strip():
            return Resolved(parse_setting(setting, raw, f"${name}"), f"${name}")
    if config is None:
        config = load_config()
    if key in config:
        where = f"config file {config_file()}"
        return Resolved(parse_setting(setting, config[key], f"the {where}"), where)
    return Resolved(setting.default, "default")


def _resolve_base_url(flag: str | None, config: dict[str, Any] | None) -> Resolved:
    """The base URL as written, from the flag, the environment, the file or the default; not built from
    the settings table, so `stt status` never loads what only run's settings need."""
    if flag:
        return Resolved(flag, "flag")
    for name in BASE_URL_ENV_VARS:
        raw = os.environ.get(name, "")
        if raw.strip():
            return Resolved(raw.strip(), f"${name}")
    configured = (load_config() if config is None else config).get("base_url")
    if isinstance(configured, str) and configured.strip():
        return Resolved(configured.strip(), f"config file {config_file()}")
    return Resolved(DEFAULT_BASE_URL, "default")


def resolve_key(flag: str | None, base_url: str) -> Resolved | None:
    """The key for this base URL and where it comes from: the flag, else the environment, else the key stored for
    the base URL's host (a key stored for another host is never sent here); None when there is none."""
    from stt_cli.core.credentials import clean_key, key_file, stored_key_for  # lazy for start-up: stt run --help

    if flag is not None:
        key = clean_key(flag, "flag")
        if not key:
            raise UsageError("the key given on the command line is empty", fix=Fix.EMPTY_KEY)
        return Resolved(key, "flag")
    for name in KEY_ENV_VARS:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return Resolved(clean_key(value, f"${name}"), f"${name}")
    stored = stored_key_for(base_url)
    if stored:
        return Resolved(stored, f"key file {key_file()}")
    return None


def effective(key: str, config: dict[str, Any] | None = None) -> tuple[Any, str]:
    """What a command uses when no flag is given, and where it comes from (`stt config get` and `list`);
    a base URL is checked too, so a bad one is named here rather than at the next request."""
    resolved = resolve(key, None, config)
    if resolved is None:  # the key has no default; `stt config` does not show it
        return None, "nowhere"
    if key == "base_url":
        validate_base_url(resolved)
    return resolved.value, resolved.origin


def resolve_base_url(flag: str | None) -> Resolved:
    """The base URL as written and its source (not yet checked: see validate_base_url)."""
    resolved = resolve("base_url", flag)
    assert resolved is not None
    return resolved


def require_key(flag: str | None, base_url: str, base_origin: Origin | None = None) -> Resolved:
    """The key in use for this base URL and where it comes from, or an AuthError saying how to provide one:
    naming the host, when the key file holds keys for other hosts only (`base_origin`: where the URL was set)."""
    resolved = resolve_key(flag, base_url)
    if resolved is not None:
        return resolved
    from stt_cli.core.credentials import key_host, read_stored_keys  # lazy for start-up: stt run --help

    others = sorted(read_stored_keys())
    if others:
        host = key_host(base_url)
        lead = f"no API key for {host}" + (" (set by {origin})" if base_origin is not None else "")
        raise AuthError(
            f"{lead}: the stored key is bound to {', '.join(others)} and is sent nowhere else",
            fix=Fix.KEY_OTHER_HOST,
            origin=base_origin,
            host=host,
            base_url=base_url,
        )
    raise AuthError("no API key found", fix=Fix.KEY_MISSING)


def _formats(text: str, what: str, origin: str) -> str:
    """The format setting: one format, a comma list of them, or all (kept as written, lowered)."""
    from stt_cli.formats.registry import NAMES, split_formats  # lazy for start-up: stt status

    try:
        if split_formats(text):
            return text.lower().replace(" ", "")
    except KeyError:
        pass
    raise UsageError(f"{what} is not a choice{origin}", f"use one of: {', '.join(NAMES)}, a comma list of them, or all")


def unknown_keys(config: dict[str, Any]) -> list[str]:
    """A warning for each key of the config file that is no setting (it is ignored)."""
    known = settings_table()
    return [
        f"the config file {config_file()} has an unknown setting {key!r}; it is ignored"
        for key in config
        if key not in known
    ]


def command_defaults(command: str) -> tuple[dict[str, Any] | None, list[str]]:
    """Defaults for one command's options from the environment and the config file, and the file's warnings.

    None when nothing changes a default. Handed to click as the context's default_map, so a flag on the
    command line still wins over them.
    """
    relevant = [s for s in _settings() if command in s.commands]
    if not relevant:
        return None, []
    if not any(os.environ.get(name, "").strip() for s in relevant for name in s.env) and not config_file().exists():
        return None, []
    config = load_config()
    defaults = {}
    for setting in relevant:
        resolved = resolve(setting.key, None, config)
        if resolved is not None and resolved.source != "default":
            defaults[setting.key] = resolved.value
    return defaults or None, unknown_keys(config)
