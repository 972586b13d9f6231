"""The API key file (0600 in a 0700 dir), the key's checks and masking, and `stt auth`'s use cases; which
key is in use (flag > environment > key file) is resolved with every other setting, in core/settings.py."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from stt_cli.core.config import config_dir
from stt_cli.core.files import atomic_write_bytes
from stt_cli.errors import AuthError, UsageError, command_line, local_failure, path_word

KEY_FILE_NAME = "credentials.json"
MASK_MIN_LENGTH = 16  # below this, showing even the last 4 characters gives too much away


def key_file() -> Path:
    return config_dir() / KEY_FILE_NAME


def mask(key: str) -> str:
    return f"****{key[-4:]}" if len(key) >= MASK_MIN_LENGTH else "****"


def clean_key(raw: str, where: str | None = None) -> str:
    """Trim whitespace and newlines (a pasted or piped key often ends in one); refuse what no key holds.

    A key travels in an HTTP header, which carries printable ASCII only: anything else would make every
    request fail later, so it is refused now, with where it came from (`where`; None: typed or a flag).
    """
    key = raw.strip()
    origin = f" (from {where})" if where else ""
    problem = None
    for position, ch in enumerate(key, start=1):
        if ch.isspace() or not ch.isprintable():
            problem = f"a space or control character at position {position}"
            break
        if not ch.isascii():
            problem = f"a non-ASCII character ({ch!a}) at position {position}; API keys are plain ASCII"
            break
    if problem is not None:
        error = UsageError if where is None else AuthError
        raise error(f"the API key{origin} holds {problem}", "check what was pasted or piped, and copy the key again")
    return key


def read_stored_key() -> str | None:
    path = key_file()
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuthError(
            f"the key file {path} cannot be read: {exc.strerror}",
            "fix or remove it (stt auth logout), then stt auth login",
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise AuthError(
            f"the key file {path} is not a regular file", "remove it (stt auth logout), then stt auth login"
        )
    if os.name == "posix":
        if info.st_uid != os.getuid():
            raise AuthError(
                f"the key file {path} belongs to another user",
                "remove it (stt auth logout) and log in again",
            )
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise AuthError(
                f"the key file {path} can be read by other users",
                f"restrict it: {command_line('chmod', '600', path_word(path))}",
            )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        key = data["api_key"]
        if not isinstance(key, str):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        raise AuthError(
            f"the key file {path} is unreadable or corrupt", "run `stt auth logout`, then `stt auth login`"
        ) from None
    return clean_key(key, f"the key file {path}") or None


def store_key(key: str) -> Path:
    directory = config_dir()
    path = key_file()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        atomic_write_bytes(path, json.dumps({"api_key": key}).encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise local_failure(exc, f"store the key in {path}", None) from None
    return path


def remove_key() -> Path | None:
    path = key_file()
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise local_failure(exc, f"remove {path}") from None
    return path


def _shadowing_env() -> str | None:
    """The environment variable that holds a key, if any: it wins over the key file."""
    from stt_cli.core.settings import KEY_ENV_VARS

    return next((name for name in KEY_ENV_VARS if os.environ.get(name, "").strip()), None)


def login(raw: str) -> tuple[str, Path, list[str]]:
    """`stt auth login`: the key cleaned and stored; its masked form, the file, and warnings."""
    key = clean_key(raw)
    if not key:
        raise UsageError("no key was given", 'type it at the prompt, or pipe it: printf %s "$KEY" | stt auth login')
    path = store_key(key)
    shadow = _shadowing_env()
    return mask(key), path, [f"${shadow} is set and takes precedence over the stored key"] if shadow else []


def logout() -> tuple[Path | None, list[str]]:
    """`stt auth logout`: the key file removed (None: there was none), and warnings."""
    removed = remove_key()
    shadow = _shadowing_env()
    return removed, [f"${shadow} is still set in this environment"] if shadow else []


def status(flag: str | None) -> dict[str, str]:
    """`stt auth status`: the key in use (masked) and the base URL, each with where it comes from."""
    from stt_cli.core.settings import resolve, resolve_base_url

    resolved = resolve("api_key", flag)
    base = resolve_base_url(None)
    if resolved is None:
        raise AuthError("not logged in: no API key found", "run `stt auth login` or set AIML_API_KEY")
    return {
        "key": mask(resolved.value),
        "source": resolved.source,
        "base_url": base.value,
        "base_url_source": base.source,
    }


CHECK_ID_PREFIX = "stt-auth-check-"  # the job `stt auth status --check` asks about: one that cannot exist


def check(flag: str | None) -> str:
    """`stt auth status --check`: one status query for a job that cannot exist, so the answer says only
    whether the key got past the gate: 404 (or another refusal of the request itself) means accepted,
    401 and 403 raise AuthError (exit 3). Returns what was learnt, for the screen."""
    import uuid

    from stt_cli.api.client import ApiClient, JobGone
    from stt_cli.core.settings import require_key, resolve_base_url, validate_base_url
    from stt_cli.errors import RequestRejected, ServerError

    key = require_key(flag)
    base_url = validate_base_url(resolve_base_url(None))
    client = ApiClient(base_url, key.value)
    try:
        client.get_job(CHECK_ID_PREFIX + uuid.uuid4().hex[:16])
    except JobGone:
        return f"the key was accepted by {base_url} (a status query for a job that cannot exist answered 404)"
    except RequestRejected as exc:  # a 4xx other than 401/403: the request itself, not the key, was refused
        return f"the key was accepted by {base_url} (it refused only the made-up job: {exc.message})"
    finally:
        client.close()
    raise ServerError(
        f"{base_url} answered with a job for an id that cannot exist",
        "check the base URL (--base-url / AIML_API_BASE): this does not answer like the service",
    )
