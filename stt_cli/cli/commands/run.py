"""`stt run` (submit, wait, write) and `stt submit` (create jobs and return at once)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from stt_cli.api.catalogue import family_of
from stt_cli.api.wire import json_text
from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, command
from stt_cli.cli.commands.common import (
    Session,
    render_payload,
    resolve_connection,
    session,
    wait_visibly,
    write_result,
)
from stt_cli.cli.options import CONNECTION_GROUP, WAIT_GROUP, use
from stt_cli.cli.options.output import OUTPUT_GROUP
from stt_cli.cli.options.request import SOURCE_GROUP, TRANSCRIPTION_GROUP
from stt_cli.core.plan import ConnectionOptions, OutputOptions, Request, SourceOptions, WaitOptions
from stt_cli.core.pool import Pool
from stt_cli.core.sources import Prepared, Source, check_size, expand, looks_like_media, prepare, read_list
from stt_cli.core.submission import Obtained, obtain
from stt_cli.core.targets import Target, plan_targets
from stt_cli.errors import ExitCode, Interrupted, SttError, UsageError, fetch_hint

SourcesArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="SOURCE...",
        help="Audio file, directory (with --recursive), - for stdin, or an http(s) URL the service fetches",
        show_default=False,
    ),
]

RUN_HELP = """Transcribe each SOURCE: send it, wait for the result, write it.

The job id goes to stderr as soon as the job exists: if the wait is
interrupted, `stt fetch ID` resumes it. A re-run reuses the ledger's jobs for
the same audio, model and options; --resubmit forces new ones.

Examples:
  stt run talk.wav                                # the transcript on stdout
  stt run talk.wav --diarize -f srt -o talk.srt   # subtitles with speakers
  stt run calls/ --recursive -f vtt --output-dir subs/ --concurrency 8
"""

SUBMIT_HELP = """Create a job for each SOURCE and print its id at once (one per line).

Examples:
  id=$(stt submit talk.wav)
  stt submit https://example.com/talk.mp3 --model nova-3
  stt submit a.wav b.wav --json | jq -r .generation_id
"""


def _sources(raw: list[str] | None, limits: SourceOptions) -> list[Source]:
    """Every source checked before anything is sent; a file that does not look like media is only warned of."""
    items = list(raw or [])
    if limits.from_file is not None:
        if limits.from_file == "-" and "-" in items:
            raise UsageError("stdin cannot be both a source (-) and the --from-file list", "pick one")
        items += read_list(limits.from_file)
    if not items:
        raise UsageError("no sources given", "pass files, directories (--recursive) or URLs, or --from-file LIST")
    sources = expand(items, limits.recursive)
    for source in sources:
        check_size(source, limits.max_size)
        if source.path is not None:
            with source.path.open("rb") as handle:
                head = handle.read(16)
            if not looks_like_media(head):
                output.warn(f"{source.raw} does not look like audio or video; sending it anyway (the service decides)")
    return sources


def _check_format(request: Request, fmt: str) -> None:
    from stt_cli.formats.registry import FORMATS

    family = family_of(request.model)
    if FORMATS[fmt].needs_timings and family is not None and not family.word_timings:
        raise UsageError(
            f"{request.model} returns text without word timings, so it cannot make {fmt} subtitles",
            "pick a Whisper, Nova or AssemblyAI model, or use -f text",
        )


def _reusable(sess: Session, request: Request, limits: SourceOptions) -> Callable[[Source], str | None]:
    """The id of the ledger's job this run would reuse for a source (asked only where an output exists)."""
    from stt_cli.core.files import file_sha256
    from stt_cli.core.ledger import work_key

    def find(source: Source) -> str | None:
        if limits.resubmit or source.kind == "stdin":
            return None
        identity = f"url:{source.raw}" if source.path is None else f"sha256:{file_sha256(source.path)}"
        record = sess.ledger.find_work(sess.host, work_key(identity, request.model, dict(request.options)))
        return record.id if record is not None else None

    return find


def _targets(
    sess: Session, items: list[Source], out: OutputOptions, request: Request, limits: SourceOptions
) -> list[Target]:
    from stt_cli.formats.render import EXTENSIONS

    return plan_targets(
        items,
        EXTENSIONS[out.format],
        output=out.output,
        output_dir=out.output_dir,
        force=out.force,
        skip_existing=limits.skip_existing,
        ledger=sess.ledger,
        reusable=_reusable(sess, request, limits),
    )


def _obtain(
    sess: Session,
    prepared: Prepared,
    request: Request,
    limits: SourceOptions,
    view: Any,
    sleep: Callable[[float], None],
) -> Obtained:
    """The job for this source: one of the ledger's for the same work, or a new one; its id shown at once."""
    obtained = obtain(
        sess.client, sess.ledger, prepared, request.model, request.options, view, resubmit=limits.resubmit, sleep=sleep
    )
    view.created(obtained.generation_id, obtained.record.created_at if obtained.record is not None else None)
    return obtained


def _transcribe(
    sess: Session,
    source: Source,
    target: Path | None,
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    limits: SourceOptions,
    view: Any,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """One source: its job (reused or created), its result (from the ledger or waited for), its output."""
    with prepare(source, limits.max_size) as prepared:
        obtained = _obtain(sess, prepared, request, limits, view, sleep)
        try:
            job_id, payload = _result(sess, prepared, obtained, request, waiting, limits, view, sleep)
            text = render_payload(payload, out, job_id)
            unchanged = write_result(sess, job_id, target, text, force=out.force)
        except KeyboardInterrupt:  # rendering, or a FIFO no one reads: the job is safe in the ledger
            raise Interrupted(
                f"interrupted; job {obtained.generation_id} is in the ledger", fetch_hint(obtained.generation_id)
            ) from None
    view.done(target, unchanged)


def _result(
    sess: Session,
    prepared: Prepared,
    obtained: Obtained,
    request: Request,
    waiting: WaitOptions,
    limits: SourceOptions,
    view: Any,
    sleep: Callable[[float], None],
) -> tuple[str, dict[str, Any]]:
    """The job's payload: the ledger's, or waited for; a reused job the service forgot is replaced."""
    from stt_cli.api.client import JobGone

    job_id, record = obtained.generation_id, obtained.record
    if record is not None and record.result is not None:
        return job_id, record.result
    try:
        return job_id, wait_visibly(sess, job_id, waiting, view, fresh=record is None, sleep=sleep)
    except JobGone as gone:
        if record is None:
            raise
        # A reused job the service no longer knows (results are kept for an hour): the ledger now says
        # gone, so obtaining again creates a new job.
        view.note(f"job {job_id} is gone from the service ({gone.message}); creating a new one")
        again = _obtain(sess, prepared, request, limits, view, sleep)
        fresh = again.record is None
        return again.generation_id, wait_visibly(sess, again.generation_id, waiting, view, fresh=fresh, sleep=sleep)


@use(SOURCE_GROUP, TRANSCRIPTION_GROUP, OUTPUT_GROUP, WAIT_GROUP, CONNECTION_GROUP)
def run(
    limits: SourceOptions,
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    conn: ConnectionOptions,
    sources: SourcesArg = None,
) -> int:
    items = _sources(sources, limits)
    _check_format(request, out.format)
    for warning in request.warnings:
        output.warn(warning)
    base_url, key = resolve_connection(conn)
    with session(base_url, key) as sess:
        targets = _targets(sess, items, out, request, limits)
        if len(items) == 1:
            [source], [target] = items, targets
            if target.skip is not None:
                output.info(f"skipped {source.label}: {target.skip} (--skip-existing)")
                return ExitCode.OK
            size = source.path.stat().st_size if source.path is not None else 0
            _transcribe(sess, source, target.path, request, out, waiting, limits, output.SingleView(source.label, size))
            return ExitCode.OK
        return _run_batch(sess, items, targets, request, out, waiting, limits)


def _run_batch(
    sess: Session,
    items: list[Source],
    targets: list[Target],
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    limits: SourceOptions,
) -> int:
    pool = Pool(limits.concurrency)
    started = time.monotonic()
    with output.BatchView([s.label for s in items], cancelled=pool.check) as view:
        todo = []
        for index, target in enumerate(targets):
            if target.skip is not None:
                view.skip(index, target.skip)
            else:
                todo.append(index)

        def task(position: int, source: Source) -> None:
            index = todo[position]
            row = view.row(index)
            if source.path is not None:
                row.set_total(source.path.stat().st_size)
            try:
                _transcribe(sess, source, targets[index].path, request, out, waiting, limits, row, sleep=pool.sleep)
            except Interrupted:
                view.interrupt(index)
                raise
            except SttError as exc:
                view.fail(index, exc.message, exc.hint)
                raise

        try:
            outcomes = pool.run([items[i] for i in todo], task, on_cancel=sess.client.abort)
        except Interrupted:
            created = [r for r in view.rows if r.job_id and r.state not in ("done", "failed")]
            maybe = [r for r in view.rows if r.delivered and not r.job_id]
            unknown = f", and {len(maybe)} create(s) sent whole may have made one" if maybe else ""
            raise Interrupted(
                f"interrupted; {len(created)} job(s) go on running on the server{unknown}",
                "run the same command again: finished and pending jobs are reused, creates cut off are sent again "
                "with the same Idempotency-Key, files already written count as done",
            ) from None
    failures = [(o.source, o.error) for o in outcomes if o.error is not None]
    counts = view.counts
    output.info(
        f"{counts['done']} done, {len(failures)} failed, {counts['skipped']} skipped of {len(items)} "
        f"in {time.monotonic() - started:.1f} s"
    )
    for source, error in failures:
        output.info(f"  failed: {source.label}: {error.message} (exit {error.exit_code})", always=True)
    return _batch_code([e for _, e in failures])


def _batch_code(errors: list[SttError]) -> int:
    """0 when all succeeded; else the failures' shared exit code, or 1 when they differ."""
    if not errors:
        return ExitCode.OK
    codes = Counter(int(e.exit_code) for e in errors)
    return next(iter(codes)) if len(codes) == 1 else ExitCode.UNEXPECTED


@use(SOURCE_GROUP, TRANSCRIPTION_GROUP, CONNECTION_GROUP)
def submit_cmd(
    limits: SourceOptions,
    request: Request,
    conn: ConnectionOptions,
    sources: SourcesArg = None,
    as_json: JsonOpt = False,
) -> int:
    items = _sources(sources, limits)
    for warning in request.warnings:
        output.warn(warning)
    base_url, key = resolve_connection(conn)
    errors: list[SttError] = []
    with session(base_url, key) as sess:
        for source in items:
            try:
                size = source.path.stat().st_size if source.path is not None else 0
                with prepare(source, limits.max_size) as prepared:
                    obtained = _obtain(sess, prepared, request, limits, _QuietView(source.label, size), time.sleep)
            except Interrupted:
                raise
            except SttError as exc:
                if len(items) == 1:
                    raise
                output.error(f"{source.label}: {exc.message}", exc.hint)
                errors.append(exc)
                continue
            if as_json:
                line = {
                    "generation_id": obtained.generation_id,
                    "source": source.label,
                    "model": request.model,
                    "reused": obtained.reused,
                }
                output.data(json_text(line) + "\n")
            else:
                output.data(obtained.generation_id + "\n")
    return _batch_code(errors)


class _QuietView(output.SingleView):
    """`stt submit`: the ids go to stdout, so stderr shows only the upload bar and which jobs were reused."""

    def created(self, job_id: str, reused_at: float | None) -> None:
        if reused_at is not None:
            super().created(job_id, reused_at)


run_app = command("run", run, RUN_HELP, "Transcribe audio and wait for the result")
submit_app = command("submit", submit_cmd, SUBMIT_HELP, "Create jobs and print their ids at once")
