"""The API key file (0600 in a 0700 dir): each stored key bound to the host it was stored for, the key's checks
and masking; which key is in use (flag > environment > the key file's key for the base URL's host) is resolved
with every other setting, in core/settings.py; `stt auth` is core/usecases/auth.py.

A stored key goes only to the host it was stored for (scheme, host and port, as gh binds its tokens): a base URL
set in the environment or the config file for an emulator, a proxy or a typo cannot make stt send it elsewhere.
A key file from before hosts were recorded holds one key, which belongs to the default service.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from stt_cli.core.config import DEFAULT_BASE_URL, config_dir
from stt_cli.core.files import atomic_write_bytes
from stt_cli.core.safeopen import NotRegular, TooLarge, read_regular
from stt_cli.errors import AuthError, Fix, Origin, UsageError, command_line, local_failure, path_word

KEY_FILE_NAME = "credentials.json"
KEY_FILE_LIMIT = 64 * 1024  # bytes: a key file holds a few keys of a hundred bytes; anything larger is no key file
KEY_FILE_VERSION = 2  # version 1 was {"api_key": KEY}, for the default service
MASK_MIN_LENGTH = 16  # below this, showing even the last 4 characters gives too much away
DEFAULT_PORTS = {"http": 80, "https": 443}


def key_file() -> Path:
    return config_dir() / KEY_FILE_NAME


def key_host(base_url: str) -> str:
    """The host a stored key is bound to: a base URL's scheme, host and port, normalised (letter case, a
    trailing dot, the scheme's default port), so https://API.aimlapi.com:443/v1 is https://api.aimlapi.com."""
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if port is None or port == DEFAULT_PORTS.get(scheme) else f":{port}")


DEFAULT_HOST = key_host(DEFAULT_BASE_URL)


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


def read_stored_keys() -> dict[str, str]:
    """Every stored key by the host it is bound to ({} when there is no key file); AuthError for a key file
    that is unsafe (another user's, readable by others), no regular file, or unreadable."""
    path = key_file()
    try:
        data, info = read_regular(path, KEY_FILE_LIMIT)
    except FileNotFoundError:
        return {}
    except NotRegular as exc:
        # A FIFO or a device where the key file goes is bad input (exit 2), named; not a missing key (3).
        raise UsageError(f"the key file {path} is {exc.kind}, not a regular file", fix=Fix.KEY_FILE) from None
    except TooLarge as exc:
        raise UsageError(f"the key file {path} is no key file: {exc.strerror}", fix=Fix.KEY_FILE) from None
    except OSError as exc:
        raise AuthError(f"the key file {path} cannot be read: {exc.strerror}", fix=Fix.KEY_FILE) from None
    if os.name == "posix":  # the descriptor's own owner and mode: the file read is the file checked
        if info.st_uid != os.getuid():
            raise AuthError(f"the key file {path} belongs to another user", fix=Fix.KEY_FILE)
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise AuthError(
                f"the key file {path} can be read by other users",
                f"restrict it: {command_line('chmod', '600', path_word(path))}",
            )
    try:
        stored = _keys_of(json.loads(data.decode("utf-8")))
    except (ValueError, KeyError, TypeError, RecursionError):
        raise AuthError(f"the key file {path} is unreadable or corrupt", fix=Fix.KEY_FILE) from None
    where = f"key file {path}"
    return {host: key for host, raw in stored.items() if (key := clean_key(raw, where))}


def _keys_of(data: object) -> dict[str, str]:
    """The keys of a key file's JSON by host; a file of version 1 holds one key, the default service's."""
    if not isinstance(data, dict):
        raise TypeError
    if "keys" not in data:
        legacy = data["api_key"]
        if not isinstance(legacy, str):
            raise TypeError
        return {DEFAULT_HOST: legacy}
    keys = data["keys"]
    if not isinstance(keys, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
        raise TypeError
    return {key_host(host): key for host, key in keys.items()}


def stored_key_for(base_url: str) -> str | None:
    """The stored key bound to this base URL's host, if any."""
    return read_stored_keys().get(key_host(base_url))


def store_key(key: str, base_url: str = DEFAULT_BASE_URL) -> Path:
    """The key stored for this base URL's host, beside the keys of other hosts (a key file that cannot be read
    or is unsafe is replaced whole)."""
    try:
        keys = read_stored_keys()
    except AuthError:
        keys = {}
    keys[key_host(base_url)] = key
    return _write(keys)


def _write(keys: dict[str, str]) -> Path:
    directory = config_dir()
    path = key_file()
    body = json.dumps({"version": KEY_FILE_VERSION, "keys": keys}, indent=1, sort_keys=True) + "\n"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        atomic_write_bytes(path, body.encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise local_failure(exc, f"store the key in {path}", None) from None
    return path


def remove_keys(base_url: str | None = None) -> tuple[Path | None, list[str]]:
    """The stored keys removed: all of them with the file (`base_url` None), or the one of that base URL's host.
    Returns the file changed or removed (None: nothing was stored there) and the hosts whose keys went."""
    path = key_file()
    if base_url is not None:
        keys = read_stored_keys()
        host = key_host(base_url)
        if host not in keys:
            return None, []
        del keys[host]
        if keys:
            return _write(keys), [host]
        base_url = None  # the last key: the file goes
    try:
        hosts = sorted(read_stored_keys())
    except AuthError:  # an unsafe or broken file is removed all the same
        hosts = []
    try:
        path.unlink()
    except FileNotFoundError:
        return None, []
    except OSError as exc:
        raise local_failure(exc, f"remove {path}") from None
    return path, hosts
