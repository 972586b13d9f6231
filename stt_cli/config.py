"""Where stt keeps its files, and how settings resolve: flag > environment > config file > default."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from stt_cli.errors import UsageError

APP_NAME = "stt-cli"
DEFAULT_BASE_URL = "https://api.aimlapi.com/v1"
BASE_URL_ENV_VARS = ("AIML_API_BASE", "AIMLAPI_API_BASE")
KEY_ENV_VARS = ("AIML_API_KEY", "AIMLAPI_API_KEY")


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def load_config() -> dict[str, Any]:
    """The user's config file as a dict; an absent file is an empty config, a broken one an error."""
    path = config_file()
    try:
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
            f"fix it, or move it aside: mv {path} {path}.bak",
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
