"""The exception tree: every failure the user can meet, each with its exit code and a next step."""

from __future__ import annotations

import errno
import shlex
from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes (the README's exit codes, from the project's contract). Produced only from here."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    AUTH = 3
    REJECTED = 4
    SERVER = 5
    JOB_FAILED = 6
    PENDING = 7
    INTERRUPTED = 130


class SttError(Exception):
    """A failure we expected and can explain: one line of message, one line of what to do next."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(SttError):
    """Bad input: a missing file, a bad option value, an output that exists."""

    exit_code = ExitCode.USAGE


class AuthError(SttError):
    """No key, or the server refused it (401/403)."""

    exit_code = ExitCode.AUTH


class RequestRejected(SttError):
    """The server refused the request with a 4xx other than 401/403."""

    exit_code = ExitCode.REJECTED

    def __init__(self, message: str, hint: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message, hint)
        self.status_code = status_code


class ServerError(SttError):
    """The server or the network failed, after the retries the policy allows."""

    exit_code = ExitCode.SERVER


class JobFailed(SttError):
    """The job reached a failed state on the server."""

    exit_code = ExitCode.JOB_FAILED


class StillPending(SttError):
    """The wait ended (timeout, or --no-wait) while the job was still running."""

    exit_code = ExitCode.PENDING


class Interrupted(SttError):
    """Ctrl-C or SIGTERM: whatever was in flight was abandoned cleanly."""

    exit_code = ExitCode.INTERRUPTED


class OutcomeUnknown(ServerError):
    """The whole create request went out and no answer came: the job may exist on the service."""

    def __init__(self, message: str, hint: str | None, idempotency_key: str) -> None:
        super().__init__(message, hint)
        self.idempotency_key = idempotency_key


def command_line(*words: str) -> str:
    """A command to print for the user to copy: every word shell-quoted."""
    return shlex.join(words)


def path_word(path: object) -> str:
    """A path as a command's argument: one that starts with - is written ./-x, so no command reads an option."""
    text = str(path)
    return f"./{text}" if text.startswith("-") else text


def local_minute(timestamp: float) -> str:
    """A moment as messages and tables show it: the local date and time to the minute."""
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


CHECK_BASE_URL = "check the base URL (--base-url / AIML_API_BASE)"  # an answer no real service would give


def fetch_hint(job_id: str) -> str:
    return f"resume with: {command_line('stt', 'fetch', job_id)}"


# The errors of the local machine rather than of stt: a full disk, a read-only file system, permissions, a
# symlink loop. Each becomes one line naming the file, with exit 2 (bad input or environment), never "a bug".
LOCAL_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "ELOOP", "ENAMETOOLONG", "EIO", "EISDIR", "ENOTDIR",
        "EMFILE", "ENFILE", "ENOENT", "EEXIST", "EXDEV", "EFBIG", "ETXTBSY", "EBUSY", "ENXIO", "ENODEV",
    )
    if hasattr(errno, name)
)  # fmt: skip

_LOCAL_HINTS = {
    getattr(errno, "ENOSPC", -1): "free some space on that disk, or write somewhere else",
    getattr(errno, "EDQUOT", -1): "free some space (the disk quota is used up), or write somewhere else",
    getattr(errno, "EROFS", -1): "that file system is read-only: write somewhere else",
    getattr(errno, "EACCES", -1): "check the permissions of that path",
    getattr(errno, "EPERM", -1): "check the permissions of that path",
    getattr(errno, "ELOOP", -1): "a symbolic link on that path points back at itself: fix or remove it",
}


def local_failure(exc: OSError, doing: str, hint: str | None = None) -> UsageError:
    """`cannot <doing>: <reason>` with what to do, for an OSError of the local machine."""
    reason = exc.strerror or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) not in doing else ""
    return UsageError(f"cannot {doing}{where}: {reason}", hint or _LOCAL_HINTS.get(exc.errno or -1, "check that path"))
