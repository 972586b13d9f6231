"""The API key file (0600 in a 0700 dir), the key's checks and masking; which key is in use (flag > environment
> key file) is resolved with every other setting, in core/settings.py; `stt auth` is core/usecases/auth.py."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from stt_cli.core.config import config_dir
from stt_cli.core.files import atomic_write_bytes
from stt_cli.errors import AuthError, Fix, Origin, UsageError, command_line, local_failure, path_word

KEY_FILE_NAME = "credentials.json"
MASK_MIN_LENGTH = 16  # below this, showing even the last 4 characters gives too much away


def key_file() -> Path:
    return config_dir() / KEY_FILE_NAME


def mask(key: str) -> str:
    return f"****{key[-4:]}" if len(key) >= MASK_MIN_LENGTH else "****"


def clean_key(raw: str, where: str | None = None) -> str:
    """Trim whitespace and newlines (a pasted or piped key often ends in one); refuse what no key holds.

    A key travels in an HTTP header, which carries printable ASCII only: anything else would make every
    request fail later, so it is refused now, with where it came from (`where`, a setting's source: "flag",
    "$VAR", "key file PATH"; None: typed or piped to `stt auth login`).
    """
    key = raw.strip()
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
        origin = Origin("api_key", where) if where is not None else None
        raise error(
            f"the API key holds {problem}", "check what was pasted or piped, and copy the key again", origin=origin
        )
    return key


def read_stored_key() -> str | None:
    path = key_file()
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuthError(f"the key file {path} cannot be read: {exc.strerror}", fix=Fix.KEY_FILE) from None
    if not stat.S_ISREG(info.st_mode):
        raise AuthError(f"the key file {path} is not a regular file", fix=Fix.KEY_FILE)
    if os.name == "posix":
        if info.st_uid != os.getuid():
            raise AuthError(f"the key file {path} belongs to another user", fix=Fix.KEY_FILE)
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
        raise AuthError(f"the key file {path} is unreadable or corrupt", fix=Fix.KEY_FILE) from None
    return clean_key(key, f"key file {path}") or None


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
