"""`stt auth`: the key stored for a host (checked with that host's service first, unless asked not to), shown
masked with where it comes from and which host each stored key belongs to, checked, or removed."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, NamedTuple

from stt_cli.api.client import ApiClient, JobGone
from stt_cli.core.config import DEFAULT_BASE_URL
from stt_cli.core.credentials import clean_key, key_host, mask, read_stored_keys, remove_keys, store_key
from stt_cli.core.settings import (
    KEY_ENV_VARS,
    Resolved,
    require_key,
    resolve_base_url,
    validate_base_url,
)
from stt_cli.errors import AuthError, Fix, Origin, RequestRejected, ServerError, UsageError

CHECK_ID_PREFIX = "stt-auth-check-"  # the job a check asks about: one that cannot exist


def _shadowing_env() -> str | None:
    """The environment variable that holds a key, if any: it wins over the key file."""

    return next((name for name in KEY_ENV_VARS if os.environ.get(name, "").strip()), None)


def _login_base(base_flag: str | None) -> Resolved:
    """The base URL a key is stored for: the one given, else the default service's (never the environment's
    or the config file's: a base URL exported for an emulator must not receive the real key to check it)."""
    return Resolved(base_flag, "flag") if base_flag else Resolved(DEFAULT_BASE_URL, "default")


class LoggedIn(NamedTuple):
    """What `stt auth login` did: the key (masked), the file, the host it is bound to, what the check learnt,
    and warnings."""

    masked: str
    path: Path
    host: str
    checked: str | None
    warnings: list[str]


def login(raw: str, *, check: bool = True, base_flag: str | None = None) -> LoggedIn:
    """`stt auth login`: the key cleaned, asked of the service (unless `check` is off) and stored for the host of
    the base URL given (default: the service's). A key the service refuses is not stored (AuthError)."""
    base = _login_base(base_flag)
    base_url = validate_base_url(base)
    key = clean_key(raw)
    if not key:
        raise UsageError("no key was given", fix=Fix.KEY_PROMPT)
    checked = None
    if check:
        try:
            checked = check_key(Resolved(key, "the key given"), base)
        except AuthError as exc:  # refused: nothing is stored
            raise AuthError(f"{exc.message}; nothing was stored", fix=Fix.KEY_LOGIN) from None
        except (ServerError, UsageError) as exc:  # the service could not be asked: nothing is stored
            failed = type(exc)(f"the key could not be checked: {exc.message}; nothing was stored", fix=Fix.KEY_OFFLINE)
            raise failed from None
    path = store_key(key, base_url)
    host = key_host(base_url)
    warnings = []
    shadow = _shadowing_env()
    if shadow:
        warnings.append(f"${shadow} is set and takes precedence over the stored key")
    in_use = resolve_base_url(None)
    if not base_flag and in_use.source != "default" and key_host(str(in_use.value)) != host:
        warnings.append(
            f"the base URL in use, {in_use.value} (from {in_use.source}), is another host: it gets a key only from "
            "$AIML_API_KEY or {opt:api_key}, or one stored for it with {opt:base_url}"
        )
    return LoggedIn(mask(key), path, host, checked, warnings)


def logout(base_flag: str | None = None) -> tuple[Path | None, list[str], list[str]]:
    """`stt auth logout`: every stored key removed with the file, or only the one of `base_flag`'s host. The file
    changed or removed (None: no key was stored there), the hosts whose keys went, and warnings."""
    base_url = validate_base_url(Resolved(base_flag, "flag")) if base_flag else None
    removed, hosts = remove_keys(base_url)
    shadow = _shadowing_env()
    return removed, hosts, [f"${shadow} is still set in this environment"] if shadow else []


def stored() -> list[dict[str, str]]:
    """Every stored key, masked, with the host it is bound to."""
    return [{"host": host, "key": mask(key)} for host, key in sorted(read_stored_keys().items())]


def status(flag: str | None, base_flag: str | None = None) -> dict[str, Any]:
    """`stt auth status`: the key in use for the base URL (masked) and the base URL, each with where it comes
    from, and which host each stored key belongs to."""

    base = resolve_base_url(base_flag)
    base_url = validate_base_url(base)
    try:
        resolved = require_key(flag, base_url, Origin("base_url", base.source) if base.source != "default" else None)
    except AuthError as exc:
        if exc.fix is Fix.KEY_MISSING:
            raise AuthError("not logged in: no API key found", fix=Fix.KEY_MISSING) from None
        raise
    return {
        "key": mask(resolved.value),
        "source": resolved.source,
        "base_url": base.value,
        "base_url_source": base.source,
        "stored": stored(),
    }


def check(flag: str | None, base_flag: str | None = None) -> str:
    """`stt auth status --check`: the key in use asked of the service."""

    base = resolve_base_url(base_flag)
    return check_key(require_key(flag, validate_base_url(base)), base)


def check_key(key: Resolved, base: Resolved) -> str:
    """One status query for a job that cannot exist, so the answer says only whether the key got past the
    gate: 404 (or another refusal of the request itself) means accepted; 401 and 403 raise AuthError naming the
    key's origin (exit 3). Returns what was learnt, for the screen."""

    base_url = validate_base_url(base)
    origins = {"key": Origin("api_key", key.source), "base_url": Origin("base_url", base.source)}
    with ApiClient(base_url, key.value, origins=origins) as client:
        try:
            client.get_job(CHECK_ID_PREFIX + uuid.uuid4().hex[:16])
        except JobGone:
            return f"the key was accepted by {base_url} (a status query for a job that cannot exist answered 404)"
        except RequestRejected as exc:  # a 4xx other than 401/403: the request itself, not the key, was refused
            if exc.fix is Fix.BASE_URL:
                raise
            return f"the key was accepted by {base_url} (it refused only the made-up job: {exc.message})"
    raise ServerError(
        f"{base_url} answered with a job for an id that cannot exist", fix=Fix.NOT_THE_SERVICE, base_url=base_url
    )
