"""Delivering a job's result, for run and fetch alike: waited for, rendered in each format, written to its file
(or stdout) and recorded in the ledger, with the item's record for --json."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli.core.ledger import keep_in_ledger
from stt_cli.core.reporter import record
from stt_cli.errors import Fix, Interrupted, SttError, UsageError

if TYPE_CHECKING:
    from stt_cli.api.charge import Charge
    from stt_cli.api.wire import JobState
    from stt_cli.core.batch import Tracked
    from stt_cli.core.options import OutputOptions, WaitOptions
    from stt_cli.core.reporter import ItemReporter, Reporter
    from stt_cli.core.session import Session

Targets = dict[str, "Path | None"]  # format -> where its file goes (None: stdout)
Sleep = Callable[[float], None]


class Delivered(NamedTuple):
    """What became of one item that succeeded: its job (the last one, if a gone job was replaced), the
    audio's length as the result gives it, and the files written."""

    job_id: str
    duration: float | None
    files: int
    charge: Charge | None = None  # what the service said the job cost, as the ledger keeps it


class Planned(NamedTuple):
    """Where one source's results go, a file a format, and why it is skipped (every one of them exists)."""

    paths: Targets
    skip: str | None


def check_stem_of(out: OutputOptions) -> None:
    """-o STEM for several formats must be a file stem (not a directory, device or stream)."""
    from stt_cli.core.files import check_stem, is_stdout  # lazy for start-up: stt run --help

    if out.output is not None and len(out.formats) > 1 and not is_stdout(out.output):
        check_stem(out.output, len(out.formats))


def files_only(targets: Targets) -> Targets:
    """Several formats of one source or job go to files: one of them to stdout is refused."""
    if len(targets) > 1 and None in targets.values():
        raise UsageError(f"{len(targets)} formats go to files, not to stdout", fix=Fix.STEM_OR_DIR)
    return targets


def refuse_stdout_under_records(reporter: Reporter, targets: list[Targets]) -> None:
    if reporter.records and any(path is None for planned in targets for path in planned.values()):
        raise UsageError(
            "the records of each source go to stdout, so the results must go to files", fix=Fix.FILES_FOR_RECORDS
        )


def with_record(
    reporter: Reporter, label: str, model: str | None, targets: Targets, item: Tracked, work: Callable[[], Delivered]
) -> Delivered:
    """Do one item's work and report its record (--json), whatever became of it (an error goes on up)."""
    try:
        done = work()
    except Interrupted as exc:
        gen = item.job_id or None
        reporter.outcome(record(label, model, generation_id=gen, status="interrupted", error=exc))
        raise
    except SttError as exc:
        gen = item.job_id or None
        reporter.outcome(record(label, model, generation_id=gen, status="failed", reused=item.reused, error=exc))
        raise
    outputs = {fmt: str(path) for fmt, path in targets.items() if path is not None}
    reporter.outcome(
        record(
            label,
            model,
            generation_id=done.job_id,
            status="completed",
            duration=done.duration,
            outputs=outputs,
            reused=item.reused,
            charge=done.charge,
        )
    )
    return done


class Delivery:
    """Getting a job's result and writing it out, in one session: what run and fetch share."""

    def __init__(
        self, sess: Session, out: OutputOptions, waiting: WaitOptions, reporter: Reporter, sleep: Sleep = time.sleep
    ) -> None:
        self.sess = sess
        self.out = out
        self.waiting = waiting
        self.reporter = reporter
        self.sleep = sleep
        self._told: set[str] = set()  # what is said once a command, however many results it concerns
        self._told_lock = threading.Lock()
        self._engines: dict[str, str] = {}  # job id -> the emulator's engine its poll answer named (its note)

    def charge(self, job_id: str) -> Charge | None:
        """What the service said the job cost, as the ledger keeps it; None when it said nothing (or the ledger
        cannot say: the result matters more than its price)."""
        try:
            return self.sess.ledger.charge(job_id, self.sess.host)
        except SttError:
            return None

    def make_output_dir(self) -> None:
        """A missing --output-dir made (and said), before anything is planned or sent."""
        from stt_cli.core.files import made_output_dir  # lazy for start-up: stt run --help

        if self.out.output is None and made_output_dir(self.out.output_dir):
            self.reporter.note(f"created the output directory {self.out.output_dir}")

    def wait(self, job_id: str, item: ItemReporter, *, fresh: bool = False, no_wait: bool = False) -> dict[str, Any]:
        """Wait for a job, the item's reporter showing it, returning its payload."""
        from stt_cli.core.waiting import wait  # lazy for start-up: stt run --help

        with item.waiting(job_id) as on_status:

            def seen(state: JobState) -> None:
                if state.engine is not None:
                    with self._told_lock:
                        self._engines[job_id] = state.engine
                on_status(state)

            return wait(
                self.sess.client,
                self.sess.ledger,
                job_id,
                timeout=self.waiting.timeout,
                poll_interval=self.waiting.poll_interval,
                no_wait=no_wait,
                on_status=seen,
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
        from stt_cli.formats.analysis import language  # lazy for start-up: stt run --help
        from stt_cli.formats.placeholder import emulator_note  # lazy for start-up: stt run --help

        with self._told_lock:
            engine = self._engines.get(job_id)
        note = emulator_note(payload, engine)
        if note is not None and self._first_time(note):
            self.reporter.warn(note)
        written = 0
        for fmt, target in targets.items():
            try:
                text = self.render(payload, job_id, fmt, source)
                unchanged = self.write(job_id, target, text, recorded)
            except KeyboardInterrupt:  # rendering, or a FIFO no one reads: the job is safe in the ledger
                raise Interrupted(
                    f"interrupted; job {job_id} is in the ledger", fix=Fix.RESUME, job_id=job_id
                ) from None
            item.done(target, unchanged)
            written += target is not None
        detected = language(payload)
        if detected is not None:
            sure = f" ({detected.confidence:.2f})" if detected.confidence is not None else ""
            self.reporter.note(f"detected language of job {job_id}: {detected.code}{sure}")
        return written

    def _first_time(self, topic: str) -> bool:
        with self._told_lock:
            first = topic not in self._told
            self._told.add(topic)
            return first

    def render(self, payload: dict[str, Any], job_id: str, fmt: str, source: str | None = None) -> str:
        """The payload in one format; a result that cannot be rendered so says the job's result is kept."""
        from stt_cli.formats.render import render  # lazy for start-up: stt run --help
        from stt_cli.formats.transcript import UnknownShape  # lazy for start-up: stt run --help

        try:
            options = self.out.subtitles
            if fmt == "md" and source is not None:
                options = dataclasses.replace(options, source=source)
            text, warnings = render(payload, fmt, options)
        except SttError as exc:
            exc.facts.update(job_id=job_id, format="json" if isinstance(exc, UnknownShape) else "text")
            exc.fix = exc.fix or Fix.KEPT_AS
            raise
        for warning in warnings:
            self.reporter.warn(warning)
        return text

    def write(self, job_id: str, target: Path | None, text: str, recorded: str | None = None) -> bool:
        """The rendered result to stdout or its file; True when the file already held exactly this text.

        An existing file is replaced only with --force; without it, a file that already holds this very text
        (a re-run of the same job) counts as written, and one that differs is refused.
        """
        from stt_cli.core.files import is_special, write_failure, write_output  # lazy for start-up: stt run --help

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
                fix=Fix.WRITE_ELSEWHERE,
                job_id=job_id,
                path=str(target),
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
            failure = write_failure(exc, target, "free some space or pick another path, then")
            failure.fix, failure.facts = Fix.WRITE_AGAIN, {"job_id": job_id, "path": str(target), "then": True}
            raise failure from None
        return False
