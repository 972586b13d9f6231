"""The exception tree: every failure the user can meet, each with its exit code and a next step."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes (README, CONTRACT.md). Produced only from here."""

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
