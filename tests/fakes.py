"""Fakes the use cases run against without a server: a reporter that records what a use case tells it, an
in-memory service behind the client's interface, and a connector that opens a session on them and a real ledger.

For tests of the use cases' own logic (tests/unit/core/usecases/); anything that crosses the wire is tested
against a real server on loopback (tests/cli, tests/e2e).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from stt_cli.api.client import JobGone
from stt_cli.api.wire import JobState, normalise_status
from stt_cli.core.ledger import Ledger
from stt_cli.core.reporter import Submitted, Summary
from stt_cli.core.session import Session
from stt_cli.errors import SttError

HOST = "fake.service:443"


@dataclass
class ItemLog:
    """What one item's reporter was told, in order."""

    label: str
    events: list[tuple[str, Any]] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.events.append(("note", message))

    @contextmanager
    def uploading(self, total: int | None = None) -> Iterator[Callable[[int], None]]:
        self.events.append(("uploading", total))
        yield lambda sent: None

    def sent(self) -> None:
        self.events.append(("sent", None))

    def created(self, job_id: str, reused_at: float | None) -> None:
        self.events.append(("created" if reused_at is None else "reused", job_id))

    def fetching(self, job_id: str) -> None:
        self.events.append(("fetching", job_id))

    @contextmanager
    def waiting(self, job_id: str) -> Iterator[Callable[[JobState], None]]:
        self.events.append(("waiting", job_id))
        yield lambda state: self.events.append(("status", state.status.shown))

    def done(self, target: Path | None, unchanged: bool) -> None:
        self.events.append(("done", target))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


class FakeReporter:
    """The use cases' Reporter, recording: warnings, notes, stdout data, records, items, the summary."""

    def __init__(self, records: bool = False) -> None:
        self.records = records
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.stdout: list[str] = []
        self.outcomes: list[dict[str, Any]] = []
        self.items: list[ItemLog] = []
        self.failures: list[tuple[str, SttError]] = []
        self.submitted_jobs: list[Submitted] = []
        self.skips: list[tuple[str, str]] = []
        self.summary: Summary | None = None
        self.previews: list[Any] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def note(self, message: str, *, always: bool = False) -> None:
        self.notes.append(message)

    def data(self, text: str) -> None:
        self.stdout.append(text)

    def failure(self, error: SttError, label: str) -> None:
        self.failures.append((label, error))

    def skipped(self, label: str, reason: str) -> None:
        self.skips.append((label, reason))

    def single(self, label: str, size: int) -> ItemLog:
        self.items.append(ItemLog(label))
        return self.items[-1]

    @contextmanager
    def batch(self, labels: list[str]) -> Iterator[FakeBatch]:
        yield FakeBatch(self, labels)

    def submitted(self, job: Submitted) -> None:
        self.submitted_jobs.append(job)

    def finished(self, summary: Summary) -> None:
        self.summary = summary

    def outcome(self, record: dict[str, Any]) -> None:
        self.outcomes.append(record)

    def previewed(self, previews: list[Any], price: Any = None) -> None:
        self.previews.extend(previews)


class FakeBatch:
    def __init__(self, reporter: FakeReporter, labels: list[str]) -> None:
        self.reporter = reporter
        self.labels = labels
        self.state: dict[int, str] = {}

    def item(self, index: int, size: int) -> ItemLog:
        return self.reporter.single(self.labels[index], size)

    def skipped(self, index: int, reason: str) -> None:
        self.state[index] = "skipped"

    def failed(self, index: int, error: SttError, job_id: str) -> None:
        self.state[index] = "failed"
        self.reporter.failures.append((self.labels[index], error))

    def interrupted(self, index: int, job_id: str) -> None:
        self.state[index] = "interrupted"


class Created(NamedTuple):
    """What a create answers, as the client's own Created says it."""

    generation_id: str
    sha256: str | None = None
    size: int | None = None
    as_is: bool = True
    charge: Any = None  # what the answer's headers said of the job's cost (api/cost.Charge)


@dataclass
class FakeJob:
    statuses: list[str]  # what each poll answers, the last repeated
    payload: dict[str, Any]
    gone: bool = False


def transcript(text: str = "hello there") -> dict[str, Any]:
    """A Deepgram-shaped result with word timings."""
    words = [
        {"word": word, "punctuated_word": word, "start": 0.5 * n, "end": 0.5 * n + 0.4, "confidence": 0.9}
        for n, word in enumerate(text.split())
    ]
    return {
        "metadata": {"duration": 0.5 * len(words)},
        "results": {"channels": [{"alternatives": [{"transcript": text, "confidence": 0.9, "words": words}]}]},
    }


class FakeService:
    """The client's interface over an in-memory service: creates make jobs that answer polls from a script."""

    def __init__(self, base_url: str = f"https://{HOST}/v1") -> None:
        self.base_url = base_url
        self.jobs: dict[str, FakeJob] = {}
        self.creates: list[dict[str, Any]] = []
        self.polls: list[str] = []
        self.next_statuses = ["queued", "completed"]
        self.next_text = "hello there"
        self._ids = (f"job-{n:04d}" for n in itertools.count(1))

    def add(self, job_id: str, statuses: list[str], payload: dict[str, Any] | None = None) -> None:
        self.jobs[job_id] = FakeJob(list(statuses), payload or transcript())

    def _create(self, request: dict[str, Any]) -> Created:
        job_id = next(self._ids)
        self.creates.append(request)
        self.add(job_id, self.next_statuses, transcript(self.next_text))
        return Created(job_id)

    def create_from_url(self, body: dict[str, Any], idempotency_key: str, on_sent: Any = None) -> Created:
        if on_sent is not None:
            on_sent()
        return self._create({"kind": "url", "key": idempotency_key, **body})

    def create_from_file(
        self, upload: Any, fields: Any, idempotency_key: str, progress: Any = None, on_sent: Any = None
    ) -> Created:
        if on_sent is not None:
            on_sent()
        return self._create({"kind": "file", "key": idempotency_key, "filename": upload.filename, "fields": fields})

    def get_job(self, job_id: str, *, until: float | None = None) -> JobState:
        self.polls.append(job_id)
        job = self.jobs.get(job_id)
        if job is None or job.gone:
            raise JobGone(f"job {job_id} was not found (HTTP 404)", status_code=404)
        word = job.statuses.pop(0) if len(job.statuses) > 1 else job.statuses[0]
        status = normalise_status(word)
        return JobState(job_id, status, word, job.payload if word == "completed" else None)

    def debug(self, message: str) -> None:
        pass

    @staticmethod
    def abort() -> None:
        pass

    def close(self) -> None:
        pass


class FakeConnector:
    """Opens a session on a FakeService and the (test-isolated) ledger; `need_key=False` as the real one takes."""

    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.opened = 0

    def base_url(self) -> str:
        return self.service.base_url

    @contextmanager
    def __call__(self, need_key: bool = True) -> Iterator[Session]:
        self.opened += 1
        with Ledger() as ledger:
            yield Session(ledger, HOST, lambda: self.service)  # type: ignore[arg-type,return-value]


class Sleeps:
    """A sleep that records and returns at once."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
