"""The main use cases, free of any terminal: sources or job ids in, results rendered, written and recorded,
an exit code out. Progress goes through a Reporter (core/reporter.py).

    run     each source -> its job (reused or created) -> its result (kept, or waited for) -> written
    fetch   a job id    ->                               its result (kept, or waited for) -> written
    submit  each source -> its job, reported as soon as it is known

One source raises its error (the boundary turns it into a line and an exit code). Several run on a pool of
workers: each failure is reported and the others go on; the exit code is the failures' shared one, or 1.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli.core.reporter import record
from stt_cli.errors import ExitCode, Interrupted, SttError, UsageError, fetch_hint

# What only run and submit need is imported in them: `stt fetch ID` from the ledger starts in well under
# 0.1 s of its own (bench/run.py startup).
if TYPE_CHECKING:
    from stt_cli.api.client import Progress
    from stt_cli.api.wire import JobState
    from stt_cli.core.plan import OutputOptions, Request, SourceOptions, WaitOptions
    from stt_cli.core.reporter import ItemReporter, Reporter
    from stt_cli.core.session import Session
    from stt_cli.core.sources import Prepared, Source
    from stt_cli.core.submission import Obtained

Connect = Callable[[], AbstractContextManager["Session"]]
Targets = dict[str, "Path | None"]  # format -> where its file goes (None: stdout)
Runner = Callable[[], "Delivered"]
Sleep = Callable[[float], None]


def check_stem_of(out: OutputOptions) -> None:
    """-o STEM for several formats must be a file stem (not a directory, device or stream)."""
    from stt_cli.core.files import check_stem, is_stdout

    if out.output is not None and len(out.formats) > 1 and not is_stdout(out.output):
        check_stem(out.output, len(out.formats))


def exit_code(errors: list[SttError]) -> int:
    """0 when all succeeded; else the failures' shared exit code, or 1 when they differ."""
    if not errors:
        return ExitCode.OK
    codes = Counter(int(e.exit_code) for e in errors)
    return next(iter(codes)) if len(codes) == 1 else ExitCode.UNEXPECTED


def check_formats(request: Request, formats: tuple[str, ...]) -> None:
    """Subtitles need word timings: refuse them up front for a model that returns text only."""
    from stt_cli.api.catalogue import family_of
    from stt_cli.formats.registry import FORMATS

    family = family_of(request.model)
    needing = [name for name in formats if FORMATS[name].needs_timings]
    if needing and family is not None and not family.word_timings:
        fmt = needing[0]
        raise UsageError(
            f"{request.model} returns text without word timings, so it cannot make {fmt}, which needs them",
            "pick a Whisper, Nova or AssemblyAI model, or use -f text",
        )


# --- Delivering a result: the same code for run and fetch ----------------------------------------------
class Delivered(NamedTuple):
    """What became of one item that succeeded: its job (the last one, if a gone job was replaced), the
    audio's length as the result gives it, and the files written."""

    job_id: str
    duration: float | None
    files: int


def _no_check() -> None:
    pass


def _outputs(targets: Targets) -> dict[str, str]:
    return {fmt: str(path) for fmt, path in targets.items() if path is not None}


def _refuse_stdout_under_records(reporter: Reporter, targets: list[Targets]) -> None:
    if reporter.records and any(path is None for planned in targets for path in planned.values()):
        raise UsageError(
            "--json prints a record of each source on stdout, so the results must go to files",
            "add -o PATH or --output-dir DIR",
        )


class Planned(NamedTuple):
    """Where one source's results go, a file a format, and why it is skipped (every one of them exists)."""

    paths: Targets
    skip: str | None


class Delivery:
    """Getting a job's result and writing it out, in one session, for run and fetch alike."""

    def __init__(
        self, sess: Session, out: OutputOptions, waiting: WaitOptions, reporter: Reporter, sleep: Sleep = time.sleep
    ) -> None:
        self.sess = sess
        self.out = out
        self.waiting = waiting
        self.reporter = reporter
        self.sleep = sleep

    def make_output_dir(self) -> None:
        """A missing --output-dir made (and said), before anything is planned or sent."""
        from stt_cli.core.files import made_output_dir

        if self.out.output is None and made_output_dir(self.out.output_dir):
            self.reporter.note(f"created the output directory {self.out.output_dir}")

    @staticmethod
    def files_only(targets: Targets) -> Targets:
        """Several formats of one source or job go to files: one of them to stdout is refused."""
        if len(targets) > 1 and None in targets.values():
            raise UsageError(
                f"{len(targets)} formats go to files, not to stdout",
                "add -o STEM (it writes STEM.srt, STEM.vtt, ...) or --output-dir DIR",
            )
        return targets

    def wait(self, job_id: str, item: ItemReporter, *, fresh: bool = False, no_wait: bool = False) -> dict[str, Any]:
        """Wait for a job, the item's reporter showing it, returning its payload."""
        from stt_cli.core.waiting import wait

        with item.waiting(job_id) as on_status:
            return wait(
                self.sess.client,
                self.sess.ledger,
                job_id,
                timeout=self.waiting.timeout,
                poll_interval=self.waiting.poll_interval,
                no_wait=no_wait,
                on_status=on_status,
                warn=self.reporter.warn,
                sleep=self.sleep,
                fresh=fresh,
            )

    def deliver(
        self,
        job_id: str,
        targets: Targets,
        payload: dict[str, Any],
        item: ItemReporter,
        source: str | None = None,
        recorded: str | None = None,
    ) -> int:
        """Render the payload in each format, write each to its target (None: stdout) and record the file,
        telling the item of each; the number of files written."""
        from stt_cli.formats.analysis import language

        written = 0
        for fmt, target in targets.items():
            try:
                text = self.render(payload, job_id, fmt, source)
                unchanged = self.write(job_id, target, text, recorded)
            except KeyboardInterrupt:  # rendering, or a FIFO no one reads: the job is safe in the ledger
                raise Interrupted(f"interrupted; job {job_id} is in the ledger", fetch_hint(job_id)) from None
            item.done(target, unchanged)
            written += target is not None
        detected = language(payload)
        if detected is not None:
            sure = f" ({detected.confidence:.2f})" if detected.confidence is not None else ""
            self.reporter.note(f"detected language of job {job_id}: {detected.code}{sure}")
        return written

    def render(self, payload: dict[str, Any], job_id: str, fmt: str, source: str | None = None) -> str:
        from stt_cli.errors import command_line
        from stt_cli.formats.render import NoSuchChannel, NoTimings, render
        from stt_cli.formats.transcript import UnknownShape

        try:
            options = self.out.subtitles
            if fmt == "md" and source is not None:
                options = dataclasses.replace(options, source=source)
            text, warnings = render(payload, fmt, options)
        except SttError as exc:
            kept_as = "json" if isinstance(exc, UnknownShape) else "text"
            message, hint = exc.message, exc.hint or ""
            if isinstance(exc, NoSuchChannel):  # the renderer names no flag: the command line is named here
                have = ", ".join(map(str, exc.available)) or "none"
                message = f"--channel {exc.channel}: the result has channel(s) {have}"
                hint = "pick one of those, or leave --channel out"
            elif isinstance(exc, NoTimings):
                hint = "use -f text or -f json, or a model with timestamps (Whisper, Nova, AssemblyAI)"
            kept = "the result is kept: " + command_line("stt", "fetch", "-f", kept_as, job_id)
            again = UsageError if isinstance(exc, (NoSuchChannel, NoTimings)) else type(exc)
            raise again(message, f"{hint}; {kept}" if hint else kept) from None
        for warning in warnings:
            self.reporter.warn(warning)
        return text

    def write(self, job_id: str, target: Path | None, text: str, recorded: str | None = None) -> bool:
        """The rendered result to stdout or its file; True when the file already held exactly this text.

        An existing file is replaced only with --force; without it, a file that already holds this very text
        (a re-run of the same job) counts as written, and one that differs is refused.
        """
        from stt_cli.core.files import is_special, write_failure, write_output
        from stt_cli.core.ledger import keep_in_ledger
        from stt_cli.errors import command_line, path_word

        if target is None:
            self.reporter.data(text)
            return False
        data = text.encode("utf-8")
        if not self.out.force and target.exists() and not is_special(target):
            try:
                same = target.read_bytes() == data
            except OSError:
                same = False
            if same:
                return True
            raise UsageError(
                f"the output file {target} already exists and differs from the result of job {job_id}",
                "pass --force to replace it, or write elsewhere: "
                + command_line("stt", "fetch", "-o", path_word(f"{target}.new"), job_id),
            )
        if not is_special(target):
            # Recorded before the file is renamed into place: a run cut off between the two finds the file
            # it wrote marked as its own (a record of a file that never came is harmless: it is written next time).
            ledger, host = self.sess.ledger, self.sess.host
            path = str(target.resolve())
            keep_in_ledger(job_id, self.reporter.warn, ledger.update, job_id, host, output=path, output_source=recorded)
        try:
            write_output(target, data)
        except OSError as exc:
            again = command_line("stt", "fetch", "-o", path_word(target), job_id)
            raise write_failure(exc, target, f"free some space or pick another path, then: {again}") from None
        return False

    def settle(self, label: str, model: str | None, targets: Targets, item: _Tracked, run: Runner) -> Delivered:
        """Run one item and report its record, whatever became of it (an error goes on up)."""
        try:
            done = run()
        except Interrupted as exc:
            gen = item.job_id or None
            self.reporter.outcome(record(label, model, generation_id=gen, status="interrupted", error=exc))
            raise
        except SttError as exc:
            gen = item.job_id or None
            rec = record(label, model, generation_id=gen, status="failed", reused=item.reused, error=exc)
            self.reporter.outcome(rec)
            raise
        rec = record(
            label,
            model,
            generation_id=done.job_id,
            status="completed",
            duration=done.duration,
            outputs=_outputs(targets),
            reused=item.reused,
        )
        self.reporter.outcome(rec)
        return done


# --- run -------------------------------------------------------------------------------------------------
class Transcriber(Delivery):
    """One run's sources: each one's job (reused or created), its result, its output."""

    def __init__(
        self,
        sess: Session,
        request: Request,
        out: OutputOptions,
        waiting: WaitOptions,
        limits: SourceOptions,
        reporter: Reporter,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(sess, out, waiting, reporter, sleep)
        from stt_cli.core.media.ffmpeg import new_run
        from stt_cli.core.media.upload import Once

        new_run()
        self.request = request
        self.limits = limits
        self.once = Once()  # the notes said once per run (how to enable audio preparation)

    def obtain(self, prepared: Prepared, item: ItemReporter) -> Obtained:
        """The job for this source: one of the ledger's for the same work, or a new one; its id shown at once."""
        from stt_cli.core.submission import obtain

        request = self.request
        obtained = obtain(
            self.sess.client,
            self.sess.ledger,
            prepared,
            request.model,
            request.options,
            item,
            resubmit=self.limits.resubmit,
            sleep=self.sleep,
            once=self.once,
        )
        item.created(obtained.generation_id, obtained.record.created_at if obtained.record is not None else None)
        return obtained

    def transcribe(self, source: Source, targets: Targets, item: ItemReporter) -> Delivered:
        """One source: its job, its result, a file for each format."""
        from stt_cli.api.wire import audio_seconds
        from stt_cli.core.sources import prepare, recorded_source

        with prepare(source, self.limits.max_size, self.limits.audio_prep) as prepared:
            obtained = self.obtain(prepared, item)
            job_id, payload = self.result(prepared, obtained, item)
            files = self.deliver(job_id, targets, payload, item, source.label, recorded_source(source))
            return Delivered(job_id, audio_seconds(payload), files)

    def result(self, prepared: Prepared, obtained: Obtained, item: ItemReporter) -> tuple[str, dict[str, Any]]:
        """The job's payload: the ledger's, or waited for; a reused job the service forgot is replaced."""
        from stt_cli.api.client import JobGone

        job_id, record = obtained.generation_id, obtained.record
        if record is not None and record.result is not None:
            return job_id, record.result
        try:
            return job_id, self.wait(job_id, item, fresh=record is None)
        except JobGone as gone:
            if record is None:
                raise
            # A reused job the service no longer knows (results are kept for an hour): the ledger now says
            # gone, so obtaining again creates a new job.
            item.note(f"job {job_id} is gone from the service ({gone.message}); creating a new one")
            again = self.obtain(prepared, item)
            return again.generation_id, self.wait(again.generation_id, item, fresh=again.record is None)

    def targets(self, sources: list[Source]) -> list[Planned]:
        """Each source's files, one a format, planned and checked before anything is uploaded."""
        from stt_cli.core.files import check_output_path, is_stdout
        from stt_cli.core.targets import plan_targets
        from stt_cli.formats.registry import FORMATS, per_format

        out = self.out
        check_stem_of(out)
        self.make_output_dir()
        by_format = {}
        for fmt in out.formats:
            output = out.output
            if output is not None and not is_stdout(output):
                output = per_format(output, fmt, out.formats)
            by_format[fmt] = plan_targets(
                sources,
                FORMATS[fmt].extension,
                output=output,
                output_dir=out.output_dir,
                force=out.force,
                skip_existing=self.limits.skip_existing,
                ledger=self.sess.ledger,
                reusable=self.reusable,
            )
        planned = []
        for index in range(len(sources)):
            mine = {fmt: by_format[fmt][index] for fmt in out.formats}
            self.files_only({fmt: target.path for fmt, target in mine.items()})
            skips = [target.skip for target in mine.values()]
            skip = skips[0] if all(reason is not None for reason in skips) else None
            if skip is None:  # a file that exists is skipped only with all its source's files: else it is checked
                for target in mine.values():
                    if target.skip is not None and target.path is not None:
                        check_output_path(target.path, force=out.force, ours=target.ours)
            planned.append(Planned({fmt: target.path for fmt, target in mine.items()}, skip))
        return planned

    def reusable(self, source: Source) -> str | None:
        """The id of the ledger's job this run would reuse for a source (asked only where an output exists)."""
        from stt_cli.core.files import file_sha256
        from stt_cli.core.ledger import work_key
        from stt_cli.core.sources import audio_identity

        if self.limits.resubmit or source.kind == "stdin":
            return None
        if source.path is None:
            identity = f"url:{source.raw}"
        else:
            identity = audio_identity(file_sha256(source.path), source.path, self.limits.audio_prep)
        key = work_key(identity, self.request.model, dict(self.request.options))
        record = self.sess.ledger.find_work(self.sess.host, key)
        return record.id if record is not None else None


def run(
    raw_sources: list[str],
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    limits: SourceOptions,
    *,
    connect: Connect,
    reporter: Reporter,
) -> int:
    """`stt run`: every source checked, then each one transcribed and written; the exit code."""
    from stt_cli.core.sources import collect_sources

    sources = collect_sources(raw_sources, limits, reporter.warn)
    check_formats(request, out.formats)
    for warning in request.warnings:
        reporter.warn(warning)
    if limits.dry_run:
        from stt_cli.core.preview import dry_run

        return dry_run(sources, request, limits, reporter)
    with connect() as sess:
        transcriber = Transcriber(sess, request, out, waiting, limits, reporter)
        targets = transcriber.targets(sources)
        _refuse_stdout_under_records(reporter, [planned.paths for planned in targets])
        if len(sources) == 1:
            [source], [planned] = sources, targets
            if planned.skip is not None:
                reporter.note(f"skipped {source.label}: {planned.skip} (--skip-existing)")
                return ExitCode.OK
            size = source.size
            item = _Tracked(reporter.single(source.label, size), _no_check)
            transcriber.settle(
                source.label,
                request.model,
                planned.paths,
                item,
                lambda: transcriber.transcribe(source, planned.paths, item),
            )
            return ExitCode.OK
        return _run_batch(transcriber, sources, targets)


def _cancel_all(transcriber: Transcriber) -> None:
    """A cancelled batch: requests in flight end now, and so do the ffprobe and ffmpeg runs of its workers."""
    from stt_cli.core.media.ffmpeg import stop_all

    stop_all()
    transcriber.sess.client.abort()


class _Tracked:
    """An item's reporter as the batch sees it too: its job id, whether its create went out whole, whether
    it finished; its upload stops as soon as the batch is cancelled."""

    def __init__(self, inner: ItemReporter, cancelled: Callable[[], None]) -> None:
        self.inner = inner
        self.cancelled = cancelled
        self.job_id = ""
        self.reused = False
        self.sent_whole = False
        self.finished = False

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


def _run_batch(transcriber: Transcriber, sources: list[Source], targets: list[Planned]) -> int:
    from stt_cli.core.pool import Pool
    from stt_cli.core.reporter import Summary

    reporter = transcriber.reporter
    pool = Pool(transcriber.limits.concurrency)
    transcriber.sleep = pool.sleep  # a worker's waits end when the batch is cancelled
    summary = Summary(len(sources))
    started = time.monotonic()
    tracked: dict[int, _Tracked] = {}
    written: list[int] = []  # files each finished source wrote (appended by the workers)
    with reporter.batch([s.label for s in sources]) as view:
        todo = []
        for index, target in enumerate(targets):
            if target.skip is not None:
                view.skipped(index, target.skip)
                reporter.outcome(record(sources[index].label, transcriber.request.model, status="skipped"))
                summary.skipped += 1
            else:
                todo.append(index)

        def task(position: int, source: Source) -> None:
            index = todo[position]
            size = source.size
            item = tracked[index] = _Tracked(view.item(index, size), pool.check)
            paths = targets[index].paths
            try:
                model = transcriber.request.model
                done = transcriber.settle(
                    source.label, model, paths, item, lambda: transcriber.transcribe(source, paths, item)
                )
                written.append(done.files)
            except Interrupted:
                view.interrupted(index, item.job_id)
                raise
            except SttError as exc:
                item.finished = True
                view.failed(index, exc, item.job_id)
                raise

        try:
            outcomes = pool.run([sources[i] for i in todo], task, on_cancel=lambda: _cancel_all(transcriber))
        except Interrupted:
            created = [t for t in tracked.values() if t.job_id and not t.finished]
            maybe = [t for t in tracked.values() if t.sent_whole and not t.job_id]
            unknown = f", and {len(maybe)} create(s) sent whole may have made one" if maybe else ""
            raise Interrupted(
                f"interrupted; {len(created)} job(s) go on running on the server{unknown}",
                "run the same command again: finished and pending jobs are reused, creates cut off are sent again "
                "with the same Idempotency-Key, files already written count as done",
            ) from None
    summary.failures = [(o.item.label, o.error) for o in outcomes if o.error is not None]
    summary.done = len(outcomes) - len(summary.failures)
    summary.seconds = time.monotonic() - started
    summary.files = sum(written)
    reporter.finished(summary)
    return exit_code([e for _, e in summary.failures])


# --- submit ----------------------------------------------------------------------------------------------
def submit(
    raw_sources: list[str],
    request: Request,
    limits: SourceOptions,
    *,
    connect: Connect,
    reporter: Reporter,
) -> int:
    """`stt submit`: a job for each source, each one reported as soon as its id is known; the exit code."""
    from stt_cli.core.plan import OutputOptions, WaitOptions
    from stt_cli.core.reporter import Submitted
    from stt_cli.core.sources import collect_sources, prepare
    from stt_cli.formats.subtitle_options import SubtitleOptions

    no_output = OutputOptions(("text",), None, None, False, SubtitleOptions())  # submit writes nothing...
    no_wait = WaitOptions(0.0, 0.0)  # ...and waits for nothing
    sources = collect_sources(raw_sources, limits, reporter.warn)
    for warning in request.warnings:
        reporter.warn(warning)
    if limits.dry_run:
        from stt_cli.core.preview import dry_run

        return dry_run(sources, request, limits, reporter)
    errors: list[SttError] = []
    with connect() as sess:
        transcriber = Transcriber(sess, request, no_output, no_wait, limits, reporter)
        for source in sources:
            try:
                size = source.size
                with prepare(source, limits.max_size, limits.audio_prep) as prepared:
                    obtained = transcriber.obtain(prepared, reporter.single(source.label, size))
            except Interrupted:
                raise
            except SttError as exc:
                if len(sources) == 1:
                    raise
                reporter.failure(exc, source.label)
                errors.append(exc)
                continue
            reporter.submitted(Submitted(obtained.generation_id, source.label, request.model, obtained.reused))
    return exit_code(errors)


# --- fetch -----------------------------------------------------------------------------------------------
def fetch(
    job_ids: list[str],
    out: OutputOptions,
    waiting: WaitOptions,
    *,
    no_wait: bool,
    refresh: bool,
    concurrency: int,
    connect: Connect,
    reporter: Reporter,
) -> int:
    """`stt fetch`: each job's result (the ledger's, or waited for) written like run writes it; the exit code.

    No id is the newest job of the ledger; `-` reads ids from stdin, one a line. Several ids are a batch:
    each to --output-dir (default: here) as <id>.<ext>, on a pool, each failure reported, the exit code
    shared as for run.
    """
    from stt_cli.core.files import is_stdout
    from stt_cli.core.lookup import resolve_job_id

    ids = _fetch_ids(job_ids)
    if len(ids) > 1 and out.output is not None:
        what = "-o - (stdout)" if is_stdout(out.output) else "-o"
        raise UsageError(f"{what} takes a single job but {len(ids)} ids were given", "use --output-dir DIR instead")
    if len(ids) > 1 and out.output_dir is None:
        out = out._replace(output_dir=Path("."))
    check_stem_of(out)
    with connect() as sess:
        given: list[str | None] = [*ids] or [None]
        jobs = list(dict.fromkeys(resolve_job_id(job, sess.ledger, sess.host) for job in given))  # 2 prefixes, 1 job
        fetcher = _Fetcher(sess, out, waiting, reporter, no_wait=no_wait, refresh=refresh)
        fetcher.make_output_dir()
        planned = [fetcher.targets(job) for job in jobs]  # every destination checked before anything is asked
        _refuse_stdout_under_records(reporter, planned)
        if len(jobs) == 1:
            item = _Tracked(reporter.single(jobs[0], 0), _no_check)
            item.job_id = jobs[0]
            label, model = fetcher.described(jobs[0])
            fetcher.settle(label, model, planned[0], item, lambda: fetcher.fetch(jobs[0], planned[0], item))
            return ExitCode.OK
        return _fetch_batch(fetcher, jobs, planned, concurrency)


def _fetch_ids(raw: list[str]) -> list[str]:
    """The ids as given, `-` replaced by stdin's lines (blank lines and # comments skipped), each once."""
    from stt_cli.core.sources import read_list

    ids: list[str] = []
    for item in raw:
        if item == "-":
            read = read_list("-")
            if not read:
                raise UsageError(
                    "no job ids on stdin", "pipe them in one a line: stt jobs --json | jq -r .generation_id"
                )
            ids.extend(read)
        else:
            ids.append(item)
    return list(dict.fromkeys(job.strip() for job in ids))


class _Fetcher(Delivery):
    """One fetch's jobs: where each goes, and each one's result (kept, or waited for) written out."""

    def __init__(
        self,
        sess: Session,
        out: OutputOptions,
        waiting: WaitOptions,
        reporter: Reporter,
        *,
        no_wait: bool,
        refresh: bool,
    ) -> None:
        super().__init__(sess, out, waiting, reporter)
        self.no_wait = no_wait
        self.refresh = refresh

    def targets(self, job: str) -> Targets:
        from stt_cli.core.targets import fetch_target

        return self.files_only({fmt: fetch_target(self.sess.ledger, job, self.out, fmt) for fmt in self.out.formats})

    def described(self, job: str) -> tuple[str, str | None]:
        """A job's source and model as the ledger knows them (a job submitted elsewhere: its id, no model)."""
        known = self.sess.ledger.get(job, self.sess.host)
        return (known.source, known.model) if known is not None else (job, None)

    def fetch(self, job: str, targets: Targets, item: ItemReporter) -> Delivered:
        """One job's result written to its targets."""
        from stt_cli.api.client import JobGone
        from stt_cli.api.wire import audio_seconds

        record = self.sess.ledger.get(job, self.sess.host)
        if record is not None and record.result is not None and not self.refresh:
            payload = record.result
            if isinstance(item, _Tracked):
                item.reused = True  # served from the ledger: nothing was asked of the service
        else:
            try:
                payload = self.wait(job, item, no_wait=self.no_wait)
            except JobGone as gone:
                if record is None or record.result is None:
                    raise
                self.reporter.warn(f"{gone.message}; showing the result the ledger kept")
                payload = record.result
        source = self.described(job)[0]
        return Delivered(job, audio_seconds(payload), self.deliver(job, targets, payload, item, source))


def _fetch_batch(fetcher: _Fetcher, jobs: list[str], planned: list[Targets], concurrency: int) -> int:
    from stt_cli.core.pool import Pool
    from stt_cli.core.reporter import Summary

    reporter = fetcher.reporter
    pool = Pool(concurrency)
    fetcher.sleep = pool.sleep  # a worker's waits end when the batch is cancelled
    summary = Summary(len(jobs))
    started = time.monotonic()
    written: list[int] = []
    finished: set[int] = set()
    with reporter.batch(jobs) as view:

        def task(index: int, _: str) -> None:
            item = _Tracked(view.item(index, 0), pool.check)
            item.fetching(jobs[index])
            job, paths = jobs[index], planned[index]
            label, model = fetcher.described(job)
            try:
                done = fetcher.settle(label, model, paths, item, lambda: fetcher.fetch(job, paths, item))
                written.append(done.files)
            except Interrupted:
                view.interrupted(index, jobs[index])
                raise
            except SttError as exc:
                view.failed(index, exc, jobs[index])
                raise
            finally:
                finished.add(index)

        try:
            outcomes = pool.run(jobs, task, on_cancel=fetcher.sess.client.abort)
        except Interrupted:
            left = len(jobs) - len(finished)
            raise Interrupted(
                f"interrupted; {left} of {len(jobs)} job(s) not fetched yet (they go on on the server)",
                "run the same command again: the results already fetched are kept in the ledger",
            ) from None
    summary.failures = [(jobs[i], o.error) for i, o in enumerate(outcomes) if o.error is not None]
    summary.done = len(outcomes) - len(summary.failures)
    summary.seconds = time.monotonic() - started
    summary.files = sum(written)
    reporter.finished(summary)
    return exit_code([e for _, e in summary.failures])
