"""The exception tree: every failure the user can meet, as data: what failed, its exit code, the facts a next
step needs, which setting was at fault and where it came from.

The layers below the terminal (api/, core/, formats/) say what failed in words that name no command and no flag;
the next step they point at is a `Fix`, worded by the one table of stt_cli/cli/hints.py, where a renamed command
or flag is changed once.
"""

from __future__ import annotations

import errno
import shlex
import time
from enum import IntEnum, StrEnum
from typing import Any, NamedTuple


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


class Fix(StrEnum):
    """The next steps a failure can point at; cli/hints.py words each one (a command to run, a flag to pass)."""

    RESUME = "resume"  # the job goes on: fetch it later, to the same files (job_id)
    FETCH_AGAIN = "fetch-again"  # the service said it is done but sent nothing, or stopped reading: ask again (job_id)
    KEPT_AS = "kept-as"  # the result is kept; it can be fetched in another format (job_id, format)
    WRITE_ELSEWHERE = "write-elsewhere"  # an output differs: --force, or fetch it to another path (job_id, path)
    WRITE_AGAIN = "write-again"  # an output could not be written: free space, then fetch it there (job_id, path)
    FORCE = "force"  # an output exists
    NAME_A_FILE = "name-a-file"  # an output file that is a directory
    SHORTER_NAME = "shorter-name"  # an output name too long for its file system
    OUTPUT_BOTH = "output-both"  # an output file and an output directory both given
    OUTPUT_ENDS_IN_SLASH = "output-ends-in-slash"  # an output file named like a directory (output)
    OTHER_OUTPUT_DIR = "other-output-dir"  # the output directory is something else
    STEM_IS_DIRECTORY = "stem-is-directory"  # the stem for several formats names a directory (output, count)
    STEM_IS_STREAM = "stem-is-stream"  # the stem for several formats is a device or stream (output, count)
    STEM_IS_FOLDER = "stem-is-folder"  # the stem for several formats is an existing directory (output)
    OUTPUT_DIR = "output-dir"  # several sources or jobs cannot go to one file or to stdout
    STEM_OR_DIR = "stem-or-dir"  # several formats of one source cannot go to stdout
    FILES_FOR_RECORDS = "files-for-records"  # --json prints records on stdout: the results go to files
    CHANNEL = "channel"  # the result has no such channel (channel, available)
    TEXT_FORMAT = "text-format"  # a format needs word timings this model or result lacks
    RECURSIVE = "recursive"  # a directory given as a source
    MAX_SIZE = "max-size"  # a source is over the size limit
    PIPE_AUDIO = "pipe-audio"  # stdin is a terminal or empty: pipe the audio in
    PIPE_IDS = "pipe-ids"  # no job ids on stdin
    PICK_ONE = "pick-one"  # two options that exclude each other
    SOURCES = "sources"  # no sources given
    RENAME_SOURCE = "rename-source"  # a file name that is not UTF-8: rename it, or pipe it in
    JOB_ID = "job-id"  # an id that is no job id: copy one that stt printed
    JOB_PREFIX = "job-prefix"  # a prefix too short or ambiguous: type more of it
    JOB_GONE = "job-gone"  # the service does not know the job (expired after an hour)
    NO_JOB_YET = "no-job-yet"  # the ledger has no job for this service
    FORGET_JOB = "forget-job"  # a damaged row of the ledger: forget it (job_id)
    NETWORK = "network"  # the network or the base URL
    NOT_THE_SERVICE = "not-the-service"  # an answer the service would never give: check the base URL
    BASE_URL = "base-url"  # the base URL has no such endpoint (a 404 on the API's own paths)
    KEY_MISSING = "key-missing"  # no key anywhere
    KEY_OTHER_HOST = "key-other-host"  # the key file holds keys for other hosts only (host, base_url)
    EMPTY_KEY = "empty-key"  # the key given on the command line is empty
    KEY_ELSEWHERE = "key-elsewhere"  # credentials in the base URL: the key goes elsewhere
    KEY_REFUSED = "key-refused"  # the key was refused (401)
    KEY_DENIED = "key-denied"  # access denied (403): credits or permissions
    KEY_FILE = "key-file"  # the key file is corrupt, unreadable or unsafe: log out, log in
    KEY_PROMPT = "key-prompt"  # no key was typed or piped in
    KEY_LOGIN = "key-login"  # the key being stored was refused by the service
    KEY_OFFLINE = "key-offline"  # the key being stored could not be checked (no network, no service)
    REJECTED = "rejected"  # another 4xx: the model and its options
    OPTION_OF_OTHERS = "option-of-others"  # an option this model does not take (option, takers, instead)
    MODEL_FIELDS = "model-fields"  # an option's value does not fit the model's field: see its fields (model)
    UNCHECKED_FIELDS = "unchecked-fields"  # an option for a model stt's list lacks: send its own field raw (model)
    BUSY = "busy"  # rate limits that outlasted the retries
    LATER = "later"  # the service failed: try again later
    SETTING = "setting"  # a setting's value is bad: set it right (setting)


class Origin(NamedTuple):
    """Where a setting's value came from: its key and its source as the settings resolver names it (a flag,
    `$VAR`, `config file PATH`, `key file PATH`, or `default`)."""

    key: str
    source: str


class SttError(Exception):
    """A failure we expected and can explain: one line of message, one line of what to do next.

    `hint` is advice in plain words (no command, no flag); `fix` a next step cli/hints.py words, from `facts`;
    `origin` where the setting at fault came from.
    """

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        fix: Fix | None = None,
        origin: Origin | None = None,
        **facts: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fix = fix
        self.origin = origin
        self.facts = facts


class UsageError(SttError):
    """Bad input: a missing file, a bad option value, an output that exists."""

    exit_code = ExitCode.USAGE


class AuthError(SttError):
    """No key, or the server refused it (401/403)."""

    exit_code = ExitCode.AUTH


class RequestRejected(SttError):
    """The server refused the request with a 4xx other than 401/403."""

    exit_code = ExitCode.REJECTED

    def __init__(self, message: str, hint: str | None = None, status_code: int | None = None, **details: Any) -> None:
        super().__init__(message, hint, **details)
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

    def __init__(self, message: str, hint: str | None, idempotency_key: str, **details: Any) -> None:
        super().__init__(message, hint, **details)
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

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


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
