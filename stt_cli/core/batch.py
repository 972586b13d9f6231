"""The one driver of a use case's items (sources or job ids): one alone, its error raised; several on a pool of
workers, each failure reported while the others go on, with one summary, one cancel and one exit code.

run, fetch, submit and --dry-run all go through it; what each does with an item is its `work`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.core.pool import Pool
from stt_cli.core.reporter import BatchReporter, ItemReporter, Reporter, Summary
from stt_cli.errors import ExitCode, Interrupted, SttError

if TYPE_CHECKING:
    from stt_cli.api.client import Progress
    from stt_cli.api.wire import JobState


class Item(NamedTuple):
    """One thing to do: how it is shown, the bytes it uploads (0: none or not known), why it is skipped."""

    label: str
    size: int = 0
    skip: str | None = None


def exit_code(errors: Sequence[SttError]) -> int:
    """0 when all succeeded; else the failures' shared exit code, or 1 when they differ."""
    if not errors:
        return ExitCode.OK
    codes = Counter(int(e.exit_code) for e in errors)
    return next(iter(codes)) if len(codes) == 1 else ExitCode.UNEXPECTED


class Tracked:
    """An item's reporter as the driver sees it too: its job id, whether the job was reused, whether its create
    went out whole, whether it finished (done or failed), whether its work ended at all; its upload stops as soon
    as the batch is cancelled."""

    def __init__(self, inner: ItemReporter, cancelled: Callable[[], None]) -> None:
        self.inner = inner
        self.cancelled = cancelled
        self.job_id = ""
        self.reused = False
        self.sent_whole = False
        self.finished = False
        self.ended = False

    def note(self, message: str) -> None:
        self.inner.note(message)

    @contextmanager
    def uploading(self, total: int | None = None) -> Iterator[Progress | None]:
        with self.inner.uploading(total) as advance:

            def progress(sent: int) -> None:
                self.cancelled()  # raises once the batch is cancelled: the upload ends there
                if advance is not None:
                    advance(sent)

            yield progress

    def sent(self) -> None:
        self.sent_whole = True
        self.inner.sent()

    def created(self, job_id: str, reused_at: float | None) -> None:
        self.job_id = job_id
        self.reused = reused_at is not None
        self.inner.created(job_id, reused_at)

    def fetching(self, job_id: str) -> None:
        self.job_id = job_id
        self.inner.fetching(job_id)

    def waiting(self, job_id: str) -> AbstractContextManager[Callable[[JobState], None]]:
        return self.inner.waiting(job_id)

    def done(self, target: Path | None, unchanged: bool) -> None:
        self.finished = True
        self.inner.done(target, unchanged)


Work = Callable[[int, Tracked], int]  # does item `index`, reporting to its Tracked; the files it wrote
Stopped = Callable[[list[Tracked]], Interrupted]  # what a cancelled batch says, from its items' state


def _nothing() -> None:
    pass


class Batch:
    """The items of one command. `sleep` is the one a wait uses: a batch's ends early when it is cancelled (a
    test gives its own, which a batch calls only while it is not cancelled)."""

    def __init__(
        self, reporter: Reporter, count: int, concurrency: int, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.reporter = reporter
        self.pool = Pool(concurrency) if count > 1 else None
        self._sleep = sleep

    def sleep(self, seconds: float) -> None:
        if self.pool is None:
            self._sleep(seconds)
        elif self._sleep is time.sleep:
            self.pool.sleep(seconds)
        else:
            self.pool.check()
            self._sleep(seconds)

    def one(self, item: Item, work: Work) -> None:
        """A lone item, shown as such; its error goes on up to the boundary."""
        work(0, Tracked(self.reporter.single(item.label, item.size), _nothing))

    def many(
        self,
        items: list[Item],
        work: Work,
        *,
        view: AbstractContextManager[BatchReporter],
        on_cancel: Callable[[], None],
        stopped: Stopped,
    ) -> Summary:
        """Every item not skipped run on the pool, each one's failure reported to the view and the others going
        on; Ctrl-C cancels them all (`on_cancel` ends what is in flight) and raises what `stopped` says."""
        assert self.pool is not None
        pool = self.pool
        summary = Summary(len(items))
        started = time.monotonic()
        tracked: dict[int, Tracked] = {}
        written: list[int] = []  # files each finished item wrote (appended by the workers)
        with view as shown:
            todo = []
            for index, item in enumerate(items):
                if item.skip is not None:
                    shown.skipped(index, item.skip)
                    summary.skipped += 1
                else:
                    todo.append(index)

            def task(position: int, index: int) -> None:
                mine = tracked[index] = Tracked(shown.item(index, items[index].size), pool.check)
                try:
                    written.append(work(index, mine))
                except Interrupted:
                    shown.interrupted(index, mine.job_id)
                    raise
                except SttError as exc:
                    mine.finished = True
                    shown.failed(index, exc, mine.job_id)
                    raise
                finally:
                    mine.ended = True

            try:
                outcomes = pool.run(todo, task, on_cancel=on_cancel)
            except Interrupted:
                raise stopped(list(tracked.values())) from None
        summary.failures = [(items[o.item].label, o.error) for o in outcomes if o.error is not None]
        summary.done = len(outcomes) - len(summary.failures)
        summary.seconds = time.monotonic() - started
        summary.files = sum(written)
        return summary


class OneByOne:
    """A batch shown as its items one after the other (submit, --dry-run): each one's own reporter, each
    failure a line of its own; no live table."""

    def __init__(self, reporter: Reporter, labels: list[str]) -> None:
        self.reporter = reporter
        self.labels = labels

    def __enter__(self) -> OneByOne:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def item(self, index: int, size: int) -> ItemReporter:
        return self.reporter.single(self.labels[index], size)

    def skipped(self, index: int, reason: str) -> None:
        pass

    def failed(self, index: int, error: SttError, job_id: str) -> None:
        self.reporter.failure(error, self.labels[index])

    def interrupted(self, index: int, job_id: str) -> None:
        pass
