"""How `stt emulator --detach` and `--stop` tell that a port holds this user's own emulator where the system
does not say who owns a socket: a secret only this user can read, which the emulator proves it knows.

The secret is 32 random bytes in a 0600 file of stt's private cache folder (0700), made by the first
emulator that starts and read by every later one. It never goes on the wire: the client sends a fresh
random challenge (POST /_emulator/prove) and the emulator answers HMAC-SHA256(secret, challenge, port),
where port is the one the connection reached it on. A squatter on the port cannot compute that; nor can it
get it from the user's real emulator on another port (that one puts its own port in the answer), and an
old answer is no use for a new challenge.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from stt_cli.emulator.folders import private_folder

FILE = "owner-secret"
SECRET_CHARS = 64  # 32 bytes, in hex
CHALLENGE = 32  # bytes
LABEL = b"stt-emulator-proof/1\0"


class Unusable(Exception):
    """The secret file is not one this user alone could have written (a link, another user's, readable by others,
    not a regular file, of the wrong length)."""


def challenge() -> str:
    return secrets.token_hex(CHALLENGE)


def answer(secret: bytes, challenge: str, port: int) -> str:
    """The proof for `challenge` (hex) on `port`; ValueError when the challenge is not CHALLENGE bytes of hex."""
    raw = bytes.fromhex(challenge)
    if len(raw) != CHALLENGE:
        raise ValueError(f"a challenge is {CHALLENGE} bytes")
    return hmac.new(secret, LABEL + port.to_bytes(2, "big") + raw, hashlib.sha256).hexdigest()


def holds(secret: bytes, challenge: str, port: int, proof: object) -> bool:
    """Whether `proof` is the answer to `challenge` on `port`."""
    return isinstance(proof, str) and hmac.compare_digest(proof.encode(), answer(secret, challenge, port).encode())


def existing(folder: Path) -> bytes | None:
    """The secret, when a sound one is there (the client's side: it never makes one)."""
    try:
        return _read(folder / FILE)
    except (OSError, Unusable):
        return None


def ensure(folder: Path) -> bytes:
    """The secret, made when missing (the emulator's side). folders.UnsafeFolder, Unusable or OSError when it
    cannot be had safely."""
    private_folder(folder)
    path = folder / FILE
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    temp = folder / f".{FILE}-{secrets.token_hex(8)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(SECRET_CHARS // 2))
        with contextlib.suppress(FileExistsError):  # another emulator made it meanwhile: that one holds
            os.link(temp, path)  # complete or not there at all, never half written
    finally:
        temp.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Unusable(f"{path} is not a regular file")
        if hasattr(os, "geteuid") and (info.st_uid != os.geteuid() or info.st_mode & 0o077):
            raise Unusable(f"{path} is another user's, or others may read it")
        text = file.read(SECRET_CHARS + 1)
    try:
        secret = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Unusable(f"{path} does not hold a secret") from None
    if len(secret) != SECRET_CHARS // 2:
        raise Unusable(f"{path} does not hold a secret")
    return secret
