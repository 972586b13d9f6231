"""`stt run` and `stt submit`: each source's job, reused from the ledger or created; for run, its result waited
for and written like fetch writes it.

    run     each source -> its job (reused or created) -> its result (kept, or waited for) -> written
    submit  each source -> its job, reported as soon as it is known
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from stt_cli.api.catalogue import family_of
from stt_cli.api.wire import audio_seconds
from stt_cli.core.batch import Batch, Item, OneByOne, Tracked, exit_code
from stt_cli.core.costs import Tally
from stt_cli.core.delivery import (
    Delivered,
    Delivery,
    Planned,
    Targets,
    check_stem_of,
    files_only,
    refuse_stdout_under_records,
    with_record,
)
from stt_cli.core.ledger import work_key
from stt_cli.core.reporter import Submitted, record
from stt_cli.core.sources import Identities, collect_sources, prepare, recorded_source
from stt_cli.errors import ExitCode, Fix, Interrupted, SttError, UsageError
from stt_cli.formats.registry import FORMATS, per_format

if TYPE_CHECKING:
    from stt_cli.core.media.upload import Once
    from stt_cli.core.options import OutputOptions, Request, SourceOptions, WaitOptions
    from stt_cli.core.reporter import ItemReporter, Reporter
    from stt_cli.core.session import Session
    from stt_cli.core.sources import Prepared, Source
    from stt_cli.core.submission import Obtained


class Connect(Protocol):
    """Opens a session (need_key=False: the client, and the key, made on first use); says the base URL in use."""

    def __call__(self, need_key: bool = True) -> AbstractContextManager[Session]: ...

    def base_url(self) -> str: ...


def _base_url(connect: Connect) -> str | None:
    """The base URL a dry run would send to, for its prices; None when it is not usable (the dry run goes on)."""
    try:
        return connect.base_url()
    except UsageError:
        return None


def check_formats(request: Request, formats: tuple[str, ...]) -> None:
    """Subtitles need word timings: refuse them up front for a model that returns text only."""

    family = family_of(request.model)
    needing = [name for name in formats if FORMATS[name].needs_timings]
    if needing and family is not None and not family.word_timings:
        fmt = needing[0]
        raise UsageError(
            f"{request.model} returns text without word timings, so it cannot make {fmt}, which needs them",
            fix=Fix.TEXT_FORMAT,
        )


def _size(source: Source) -> int:
    """Bytes to upload, for the progress shown (0: not known, or the file went away: preparing it says so)."""
    try:
        return source.size
    except OSError:
        return 0


class Obtaining:
    """The obtaining step of one command: each source's job, the ledger's for the same work or a new one, its
    id shown as soon as it is known."""

    def __init__(self, sess: Session, request: Request, limits: SourceOptions, sleep: Callable[[float], None]) -> None:
        from stt_cli.core.media.upload import Once, start_run  # lazy for start-up: stt run --help

        start_run()
        self.sess = sess
        self.request = request
        self.resubmit = limits.resubmit
        self.sleep = sleep
        self.identities = Identities(limits.audio_prep)  # each file's, worked out once for planning and obtaining
        self.once: Once = Once()  # the notes said once per command (how to enable audio preparation)

    def __call__(self, prepared: Prepared, item: ItemReporter) -> Obtained:
        from stt_cli.core.submission import obtain  # lazy for start-up: stt run --help

        obtained = obtain(
            self.sess.client,
            self.sess.ledger,
            prepared,
            self.request.model,
            self.request.options,
            item,
            resubmit=self.resubmit,
            sleep=self.sleep,
            once=self.once,
            identities=self.identities,
        )
        item.created(obtained.generation_id, obtained.record.created_at if obtained.record is not None else None)
        return obtained

    def cancel(self) -> None:
        """A cancelled batch: requests in flight end now, and so do the ffprobe and ffmpeg runs of its workers."""
        from stt_cli.core.media.ffmpeg import stop_all  # lazy for start-up: stt run --help

        stop_all()
        self.sess.abort()


class Transcription:
    """One run's sources: where each one's results go, and each one's job, result and files."""

    def __init__(self, obtaining: Obtaining, delivery: Delivery, limits: SourceOptions) -> None:
        self.obtaining = obtaining
        self.delivery = delivery
        self.limits = limits

    def transcribe(self, source: Source, targets: Targets, item: ItemReporter) -> Delivered:
        """One source: its job, its result, a file for each format."""

        limits = self.limits
        with prepare(source, limits.max_size, limits.audio_prep, self.obtaining.identities) as prepared:
            obtained = self.obtaining(prepared, item)
            job_id, payload = self.result(prepared, obtained, item)
            files = self.delivery.deliver(job_id, targets, payload, item, source.label, recorded_source(source))
            return Delivered(job_id, audio_seconds(payload), files, self.delivery.charge(job_id))

    def result(self, prepared: Prepared, obtained: Obtained, item: ItemReporter) -> tuple[str, dict[str, Any]]:
        """The job's payload: the ledger's, or waited for; a reused job the service forgot is replaced."""
        from stt_cli.api.client import JobGone  # lazy for start-up: stt run --help

        job_id, kept = obtained.generation_id, obtained.record
        if kept is not None and kept.result is not None:
            return job_id, kept.result
        try:
            return job_id, self.delivery.wait(job_id, item, fresh=kept is None)
        except JobGone as gone:
            if kept is None:
                raise
            # A reused job the service no longer knows (results are kept for an hour): the ledger now says
            # gone, so obtaining again creates a new job.
            item.note(f"job {job_id} is gone from the service ({gone.message}); creating a new one")
            again = self.obtaining(prepared, item)
            return again.generation_id, self.delivery.wait(again.generation_id, item, fresh=again.record is None)

    def plan(self, sources: list[Source]) -> list[Planned]:
        """Each source's files, one a format, planned and checked before anything is uploaded."""
        from stt_cli.core.files import check_output_path, is_stdout  # lazy for start-up: stt run --help
        from stt_cli.core.targets import named_after, plan_targets  # lazy for start-up: stt run --help

        out = self.delivery.out
        check_stem_of(out)
        self.delivery.make_output_dir()
        by_format = {}
        for fmt in out.formats:
            output = out.output
            if output is not None and not is_stdout(output):
                output = per_format(output, fmt, out.formats)
            by_format[fmt] = plan_targets(
                [named_after(source) for source in sources],
                FORMATS[fmt].extension,
                output=output,
                output_dir=out.output_dir,
                force=out.force,
                skip_existing=self.limits.skip_existing,
                ledger=self.delivery.sess.ledger,
                reusable=lambda index: self.reusable(sources[index]),
            )
        planned = []
        for index in range(len(sources)):
            mine = {fmt: by_format[fmt][index] for fmt in out.formats}
            files_only({fmt: target.path for fmt, target in mine.items()})
            skips = [target.skip for target in mine.values()]
            skip = skips[0] if all(reason is not None for reason in skips) else None
            if skip is None:  # a file that exists is skipped only with all its source's files: else it is checked
                for target in mine.values():
                    if target.skip is not None and target.path is not None:
                        check_output_path(target.path, force=out.force, ours=target.ours)
            planned.append(Planned({fmt: target.path for fmt, target in mine.items()}, skip))
        return planned

    def reusable(self, source: Source) -> str | None:
        """The id of the ledger's job this run would reuse for a source (asked only where an output exists); the
        identity worked out here is the run's, which obtaining uses in its turn."""
        if self.limits.resubmit or source.kind == "stdin":
            return None
        identity = f"url:{source.raw}" if source.path is None else self.obtaining.identities.of(source.path)[1]
        request = self.obtaining.request
        key = work_key(identity, request.model, dict(request.options))
        found = self.delivery.sess.ledger.find_work(self.delivery.sess.host, key)
        return found.id if found is not None else None


def _cut_creates(tracked: list[Tracked]) -> str:
    """What a cancelled batch says of the creates it cut off after their whole body went out."""
    maybe = [t for t in tracked if t.sent_whole and not t.job_id]
    return f"{len(maybe)} create(s) sent whole may have made one" if maybe else ""


def _run_stopped(tracked: list[Tracked]) -> Interrupted:
    created = [t for t in tracked if t.job_id and not t.finished]
    unknown = f", and {cut}" if (cut := _cut_creates(tracked)) else ""
    return Interrupted(
        f"interrupted; {len(created)} job(s) go on running on the server{unknown}",
        "run the same command again: finished and pending jobs are reused, creates cut off are sent again "
        "with the same Idempotency-Key, files already written count as done",
    )


def run(
    raw_sources: list[str],
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    limits: SourceOptions,
    *,
    connect: Connect,
    reporter: Reporter,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`stt run`: every source checked, then each one transcribed and written; the exit code. `sleep` is the
    waits' (a test's own: nothing waits for real)."""
    sources = collect_sources(raw_sources, limits, reporter.warn)
    check_formats(request, out.formats)
    for warning in request.warnings:
        reporter.warn(warning)
    if limits.dry_run:
        from stt_cli.core.usecases.dryrun import dry_run  # lazy for start-up: stt run --help

        return dry_run(sources, request, limits, reporter, _base_url(connect))
    with connect() as sess:
        batch = Batch(reporter, len(sources), limits.concurrency, sleep)
        obtaining = Obtaining(sess, request, limits, batch.sleep)
        job = Transcription(obtaining, Delivery(sess, out, waiting, reporter, batch.sleep), limits)
        planned = job.plan(sources)
        refuse_stdout_under_records(reporter, [p.paths for p in planned])

        tally = Tally()

        def work(index: int, item: Tracked) -> int:
            source, paths = sources[index], planned[index].paths
            try:
                done = with_record(
                    reporter, source.label, request.model, paths, item, lambda: job.transcribe(source, paths, item)
                )
            except SttError:
                if item.job_id:  # created, then failed: what the service charged for it is still the run's cost
                    tally.add(item.job_id, None, job.delivery.charge(item.job_id), item.reused)
                raise
            tally.add(done.job_id, done.duration, done.charge, item.reused)
            return done.files

        items = [Item(source.label, _size(source), p.skip) for source, p in zip(sources, planned, strict=True)]
        if len(items) == 1:
            if items[0].skip is not None:
                reporter.skipped(items[0].label, items[0].skip)
            else:
                batch.one(items[0], work)
            return ExitCode.OK
        for skipped in (item for item in items if item.skip is not None):
            reporter.outcome(record(skipped.label, request.model, status="skipped"))
        summary = batch.many(
            items, work, view=reporter.batch([i.label for i in items]), on_cancel=obtaining.cancel, stopped=_run_stopped
        )
        summary.totals = tally.totals()
        reporter.finished(summary)
        return exit_code([error for _, error in summary.failures])


def _submit_stopped(tracked: list[Tracked]) -> Interrupted:
    done = sum(1 for t in tracked if t.job_id)
    unknown = f"; {cut}" if (cut := _cut_creates(tracked)) else ""
    return Interrupted(
        f"interrupted; {done} job(s) were submitted{unknown}",
        "run the same command again: the jobs already submitted are reused, creates cut off are sent again "
        "with the same Idempotency-Key",
    )


def submit(
    raw_sources: list[str],
    request: Request,
    limits: SourceOptions,
    *,
    connect: Connect,
    reporter: Reporter,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`stt submit`: a job for each source, each one reported as soon as its id is known; the exit code."""

    sources = collect_sources(raw_sources, limits, reporter.warn)
    for warning in request.warnings:
        reporter.warn(warning)
    if limits.dry_run:
        from stt_cli.core.usecases.dryrun import dry_run  # lazy for start-up: stt run --help

        return dry_run(sources, request, limits, reporter, _base_url(connect))
    with connect() as sess:
        batch = Batch(reporter, len(sources), 1, sleep)  # one at a time: the ids come out in the sources' order
        obtaining = Obtaining(sess, request, limits, batch.sleep)

        def work(index: int, item: Tracked) -> int:
            source = sources[index]
            with prepare(source, limits.max_size, limits.audio_prep, obtaining.identities) as prepared:
                obtained = obtaining(prepared, item)
            reporter.submitted(Submitted(obtained.generation_id, source.label, request.model, obtained.reused))
            return 0

        items = [Item(source.label, _size(source)) for source in sources]
        if len(items) == 1:
            batch.one(items[0], work)
            return ExitCode.OK
        labels = [item.label for item in items]
        summary = batch.many(
            items, work, view=OneByOne(reporter, labels), on_cancel=obtaining.cancel, stopped=_submit_stopped
        )
        return exit_code([error for _, error in summary.failures])
