"""`stt auth`: the key stored (checked with the service first, unless asked not to), shown masked with where
it comes from, checked, or removed."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from stt_cli.api.client import ApiClient, JobGone
from stt_cli.core.credentials import clean_key, mask, remove_key, store_key
from stt_cli.core.settings import KEY_ENV_VARS, Resolved, require_key, resolve, resolve_base_url, validate_base_url
from stt_cli.errors import AuthError, Fix, Origin, RequestRejected, ServerError, UsageError

CHECK_ID_PREFIX = "stt-auth-check-"  # the job a check asks about: one that cannot exist


def _shadowing_env() -> str | None:
    """The environment variable that holds a key, if any: it wins over the key file."""

    return next((name for name in KEY_ENV_VARS if os.environ.get(name, "").strip()), None)


def login(raw: str, *, check: bool = True) -> tuple[str, Path, list[str], str | None]:
    """`stt auth login`: the key cleaned, asked of the service (unless `check` is off) and stored; its masked
    form, the file, warnings, and what the check learnt. A key the service refuses is not stored (AuthError)."""
    key = clean_key(raw)
    if not key:
        raise UsageError("no key was given", fix=Fix.KEY_PROMPT)
    checked = None
    if check:
        try:
            checked = check_key(Resolved(key, "the key given"), None)
        except AuthError as exc:  # refused: nothing is stored
            raise AuthError(f"{exc.message}; nothing was stored", fix=Fix.KEY_LOGIN) from None
        except (ServerError, UsageError) as exc:  # the service could not be asked: nothing is stored
            failed = type(exc)(f"the key could not be checked: {exc.message}; nothing was stored", fix=Fix.KEY_OFFLINE)
            raise failed from None
    path = store_key(key)
    shadow = _shadowing_env()
    return mask(key), path, [f"${shadow} is set and takes precedence over the stored key"] if shadow else [], checked


def logout() -> tuple[Path | None, list[str]]:
    """`stt auth logout`: the key file removed (None: there was none), and warnings."""
    removed = remove_key()
    shadow = _shadowing_env()
    return removed, [f"${shadow} is still set in this environment"] if shadow else []


def status(flag: str | None) -> dict[str, str]:
    """`stt auth status`: the key in use (masked) and the base URL, each with where it comes from."""

    resolved = resolve("api_key", flag)
    base = resolve_base_url(None)
    if resolved is None:
        raise AuthError("not logged in: no API key found", fix=Fix.KEY_MISSING)
    return {
        "key": mask(resolved.value),
        "source": resolved.source,
        "base_url": base.value,
        "base_url_source": base.source,
    }


def check(flag: str | None) -> str:
    """`stt auth status --check`: the key in use asked of the service."""

    return check_key(require_key(flag), None)


def check_key(key: Resolved, base_flag: str | None) -> str:
    """One status query for a job that cannot exist, so the answer says only whether the key got past the
    gate: 404 (or another refusal of the request itself) means accepted; 401 and 403 raise AuthError naming the
    key's origin (exit 3). Returns what was learnt, for the screen."""

    base = resolve_base_url(base_flag)
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
