"""`stt fetch`: each job's result, the ledger's or waited for, written like run writes it.

No id is the newest job of the ledger; `-` reads ids from stdin, one a line. Several ids are a batch: each to
--output-dir (default: here) named after its source, on a pool, each failure reported, the exit code shared as
for run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.api.client import JobGone
from stt_cli.api.wire import audio_seconds
from stt_cli.core.batch import Batch, Item, Tracked, exit_code
from stt_cli.core.costs import Tally
from stt_cli.core.delivery import (
    Delivered,
    Delivery,
    Targets,
    check_stem_of,
    files_only,
    refuse_stdout_under_records,
    with_record,
)
from stt_cli.core.files import is_stdout
from stt_cli.core.lookup import resolve_job_id
from stt_cli.core.sources import read_list
from stt_cli.core.targets import Named, fetch_target, named_after_record, plan_targets
from stt_cli.errors import ExitCode, Fix, Interrupted, UsageError
from stt_cli.formats.registry import FORMATS

if TYPE_CHECKING:
    from stt_cli.core.options import OutputOptions, WaitOptions
    from stt_cli.core.reporter import Reporter
    from stt_cli.core.usecases.transcribe import Connect


def job_ids(raw: list[str]) -> list[str]:
    """The ids as given, `-` replaced by stdin's lines (blank lines and # comments skipped), each once."""

    ids: list[str] = []
    for item in raw:
        if item == "-":
            read = read_list("-")
            if not read:
                raise UsageError("no job ids on stdin", fix=Fix.PIPE_IDS)
            ids.extend(read)
        else:
            ids.append(item)
    return list(dict.fromkeys(job.strip() for job in ids))


class Known(NamedTuple):
    """What the ledger knows of a job to fetch: its source (its id for a job from elsewhere), its model, and
    whether its result is kept."""

    source: str
    model: str | None
    kept: bool


class Fetching:
    """One fetch's jobs: where each one's result goes, and each one's result (kept, or waited for) written."""

    def __init__(self, delivery: Delivery, *, no_wait: bool, refresh: bool) -> None:
        self.delivery = delivery
        self.no_wait = no_wait
        self.refresh = refresh
        self._known: dict[str, Known] = {}  # what the ledger said of each job when it was first looked up

    def plan(self, jobs: list[str]) -> list[Targets]:
        """Where each job's results go, checked before anything is asked: -o PATH or stdout for one job; with
        --output-dir, files named after each job's source as run names them (a job the ledger does not know:
        after its id)."""

        out, ledger = self.delivery.out, self.delivery.sess.ledger
        if out.output_dir is None:
            return [files_only({fmt: fetch_target(ledger, job, out, fmt) for fmt in out.formats}) for job in jobs]
        self.delivery.make_output_dir()
        sources = [self.known(job).source for job in jobs]
        named = [
            named_after_record(source) if source != job else Named(job, job)
            for source, job in zip(sources, jobs, strict=True)
        ]
        by_format = {
            fmt: plan_targets(
                named,
                FORMATS[fmt].extension,
                output=None,
                output_dir=out.output_dir,
                force=out.force,
                skip_existing=False,
                ledger=ledger,
                reusable=lambda index: jobs[index],
            )
            for fmt in out.formats
        }
        return [{fmt: by_format[fmt][index].path for fmt in out.formats} for index in range(len(jobs))]

    def known(self, job: str) -> Known:
        """A job's source, model and whether its result is kept, as the ledger said when first asked (a job
        submitted elsewhere: its id, no model, nothing kept); looked up once a run, the result not held."""
        if job not in self._known:
            sess = self.delivery.sess
            record = sess.ledger.get(job, sess.host)
            self._known[job] = (
                Known(record.source, record.model, record.result is not None)
                if record is not None
                else Known(job, None, False)
            )
        return self._known[job]

    def fetch(self, job: str, targets: Targets, item: Tracked) -> Delivered:
        """One job's result written to its targets."""

        sess = self.delivery.sess
        item.fetching(job)
        kept = sess.ledger.get(job, sess.host)
        if kept is not None and kept.result is not None and not self.refresh:
            payload = kept.result
            item.reused = True  # served from the ledger: nothing was asked of the service
        else:
            try:
                payload = self.delivery.wait(job, item, no_wait=self.no_wait)
            except JobGone as gone:
                if kept is None or kept.result is None:
                    raise
                self.delivery.reporter.warn(f"{gone.message}; showing the result the ledger kept")
                payload = kept.result
        source = self.known(job).source
        files = self.delivery.deliver(job, targets, payload, item, source)
        return Delivered(job, audio_seconds(payload), files, self.delivery.charge(job))


def fetch(
    raw_ids: list[str],
    out: OutputOptions,
    waiting: WaitOptions,
    *,
    no_wait: bool,
    refresh: bool,
    concurrency: int,
    connect: Connect,
    reporter: Reporter,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`stt fetch`: each job's result written; the exit code. `sleep` is the waits' (a test's own)."""

    ids = job_ids(raw_ids)
    if len(ids) > 1 and out.output is not None:
        what = "stdout" if is_stdout(out.output) else "one output file"
        raise UsageError(
            f"{what} takes a single job but {len(ids)} ids were given",
            fix=Fix.OUTPUT_DIR,
            count=len(ids),
            stdout=is_stdout(out.output),
            jobs=True,
        )
    if len(ids) > 1 and out.output_dir is None:
        out = out._replace(output_dir=Path("."))
    check_stem_of(out)
    with connect(need_key=False) as sess:
        given: list[str | None] = [*ids] or [None]
        jobs = list(dict.fromkeys(resolve_job_id(job, sess.ledger, sess.host) for job in given))  # 2 prefixes, 1 job
        batch = Batch(reporter, len(jobs), concurrency, sleep)
        fetching = Fetching(Delivery(sess, out, waiting, reporter, batch.sleep), no_wait=no_wait, refresh=refresh)
        planned = fetching.plan(jobs)  # every destination checked before anything is asked
        refuse_stdout_under_records(reporter, planned)
        if refresh or any(not fetching.known(job).kept for job in jobs):
            sess.client  # noqa: B018 - the service will be asked: a missing key is said now, before any work

        tally = Tally()  # fetching bills nothing: each job's cost is the one its create was charged

        def work(index: int, item: Tracked) -> int:
            job, paths = jobs[index], planned[index]
            label, model, _ = fetching.known(job)
            done = with_record(reporter, label, model, paths, item, lambda: fetching.fetch(job, paths, item))
            tally.add(done.job_id, done.duration, done.charge)
            return done.files

        if len(jobs) == 1:
            batch.one(Item(jobs[0]), work)
            return ExitCode.OK

        def stopped(tracked: list[Tracked]) -> Interrupted:
            left = len(jobs) - sum(1 for t in tracked if t.ended)
            return Interrupted(
                f"interrupted; {left} of {len(jobs)} job(s) not fetched yet (they go on on the server)",
                "run the same command again: the results already fetched are kept in the ledger",
            )

        summary = batch.many(
            [Item(job) for job in jobs], work, view=reporter.batch(jobs), on_cancel=sess.abort, stopped=stopped
        )
        summary.totals = tally.totals()
        reporter.finished(summary)
        return exit_code([error for _, error in summary.failures])
