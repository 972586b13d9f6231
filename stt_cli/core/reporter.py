"""The small typed protocol through which the use cases tell whoever watches what is happening.

The terminal views (stt_cli/cli/views.py) implement it with spinners, bars and a live table; a test can
implement it with a list. The use cases never print and never import the terminal layer: everything they
want shown, or written to stdout, goes through a Reporter (the wait loop and the status query, which
have nothing to show but warnings, take just its `warn`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from stt_cli.errors import SttError

if TYPE_CHECKING:
    from stt_cli.api.charge import Charge
    from stt_cli.api.client import Progress
    from stt_cli.api.wire import JobState
    from stt_cli.core.costs import Totals
    from stt_cli.core.pricelist import Quote


class ItemReporter(Protocol):
    """One source or job on its way: its upload, its job id, its wait, where its result went."""

    def note(self, message: str) -> None:
        """A remark about this item (a job reused, another stt creating the same job, ...)."""

    def uploading(self, total: int | None = None) -> AbstractContextManager[Progress | None]:
        """Around an upload of `total` bytes (None: not known before the end, as for audio prepared while it
        is sent); yields a callback taking the bytes sent so far, or None."""
        ...

    def sent(self) -> None:
        """The whole create has gone out: from here on a job may exist whatever happens."""

    def created(self, job_id: str, reused_at: float | None) -> None:
        """The item's job is known: created now (reused_at None) or reused from the ledger."""

    def fetching(self, job_id: str) -> None:
        """The item is a job given by its id (stt fetch): it is being asked about now."""

    def waiting(self, job_id: str) -> AbstractContextManager[Callable[[JobState], None]]:
        """Around the wait for a job; yields the callback each status answer is given to."""
        ...

    def done(self, target: Path | None, unchanged: bool) -> None:
        """The result is written to target (None: stdout); unchanged when the file already held it."""


class BatchReporter(Protocol):
    """Many items at once: each one's reporter, and what became of those that did not finish."""

    def item(self, index: int, size: int) -> ItemReporter: ...

    def skipped(self, index: int, reason: str) -> None: ...

    def failed(self, index: int, error: SttError, job_id: str) -> None:
        """An item failed; job_id is its job's id, or "" when it has none."""

    def interrupted(self, index: int, job_id: str) -> None:
        """The batch was cancelled while this item was in flight; job_id as for failed."""


class Preview(NamedTuple):
    """One source under --dry-run: its audio's length, its bytes, what would be sent, and how."""

    source: str
    duration: float | None  # s of audio to be billed (None: not known here)
    size: int | None  # the source's bytes (None: a URL)
    sent: int | None  # the bytes of audio that would be uploaded (None: a URL, fetched by the service)
    prep: str  # "as-is" | "copy" | "flac" | "url"
    how: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "duration": None if self.duration is None else round(self.duration, 3),
            "size": self.size,
            "sent_bytes": self.sent,
            "prep": self.prep,
            "how": self.how,
        }


class Submitted(NamedTuple):
    """A job `stt submit` created or reused: what it prints, one a line."""

    generation_id: str
    source: str
    model: str
    reused: bool

    def as_dict(self) -> dict[str, Any]:
        return {"generation_id": self.generation_id, "source": self.source, "model": self.model, "reused": self.reused}


@dataclass
class Summary:
    """How a batch ended: counts, the time it took, and each failure with its source's label."""

    total: int
    done: int = 0
    skipped: int = 0
    seconds: float = 0.0
    files: int = 0  # files written (a source gives one a format)
    failures: list[tuple[str, SttError]] = field(default_factory=list)
    totals: Totals | None = None  # the audio and cost of the jobs that finished, as the service gave them


RECORD_SCHEMA = 1  # the version of the object `stt run --json` and `stt fetch --json` print per source


def record(
    source: str,
    model: str | None,
    *,
    generation_id: str | None = None,
    status: str,
    duration: float | None = None,
    outputs: dict[str, str] | None = None,
    reused: bool = False,
    error: SttError | None = None,
    charge: Charge | None = None,
) -> dict[str, Any]:
    """One source's (or job's) outcome as `--json` prints it: docs/output-formats.md documents every key. Its
    `error` is the failure itself, which the command line words (a message and a hint in its own terms) when it
    prints it; `credits` and `usd` are the job's cost as the service gave it (null: it said nothing)."""
    usd = charge.usd if charge is not None else None
    return {
        "schema": RECORD_SCHEMA,
        "generation_id": generation_id,
        "source": source,
        "model": model,
        "status": status,
        "duration": duration,
        "outputs": outputs or {},
        "reused": reused,
        "credits": charge.credits if charge is not None else None,
        "usd": float(usd) if usd is not None else None,
        "exit_code": int(error.exit_code) if error is not None else 0,
        "error": error,
    }


class Reporter(Protocol):
    """What a use case tells its caller: warnings, notes, data for stdout, and each item's progress."""

    records: bool  # the caller prints a record of each item on stdout (--json): no result may go there

    def warn(self, message: str) -> None: ...

    def note(self, message: str, *, always: bool = False) -> None:
        """A progress or summary line; `always` for the ones a quiet run still shows."""

    def data(self, text: str) -> None:
        """A result for stdout."""

    def failure(self, error: SttError, label: str) -> None:
        """One item of several failed and the others go on (stt submit)."""

    def skipped(self, label: str, reason: str) -> None:
        """A lone source skipped because its output exists and skipping was asked for."""

    def single(self, label: str, size: int) -> ItemReporter:
        """The reporter of a lone source or job (size: bytes to upload, 0 for none)."""
        ...

    def batch(self, labels: list[str]) -> AbstractContextManager[BatchReporter]:
        """Around a batch of several items, labelled in order."""
        ...

    def submitted(self, job: Submitted) -> None:
        """A job of `stt submit`, as soon as it is known."""

    def finished(self, summary: Summary) -> None:
        """A batch is over."""

    def outcome(self, record: dict[str, Any]) -> None:
        """One item is over (see record()): printed as a JSON line when `records` is set."""

    def previewed(self, previews: list[Preview], price: Quote | None = None) -> None:
        """--dry-run: what would be sent of each source (a table, or JSON lines), and what a second of the
        model's audio costs by the service's model list in the cache (None: not asked)."""
