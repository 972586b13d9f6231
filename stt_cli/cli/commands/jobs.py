"""`stt status`, `stt fetch` and `stt jobs`: one job's state, its result, and the local ledger."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from stt_cli.api.wire import json_text
from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, command, group, sub_command, with_verbosity
from stt_cli.cli.commands.common import (
    Session,
    render_payload,
    resolve_connection,
    resolve_job_id,
    session,
    wait_visibly,
    write_result,
)
from stt_cli.cli.commands.status import IdArg
from stt_cli.cli.options import CONNECTION_GROUP, WAIT_GROUP, use
from stt_cli.cli.options.output import OUTPUT_GROUP
from stt_cli.core.ledger import STATUSES, JobRecord, Ledger
from stt_cli.core.plan import ConnectionOptions, OutputOptions, WaitOptions
from stt_cli.errors import UsageError

FETCH_HELP = """Get a job's result, waiting while it is pending (unless --no-wait).

A completed result is kept in the local ledger: fetching it again, in any
format, asks the service nothing.

Examples:
  stt fetch 3f1c9a2e-... -f srt -o talk.srt
  stt fetch --no-wait || echo "not ready yet (exit $?)"
  stt fetch -f json | jq -r '.results.channels[0].alternatives[0].transcript'
"""


@use(OUTPUT_GROUP, WAIT_GROUP, CONNECTION_GROUP)
def fetch(
    job_id: IdArg = None,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="Do not wait: exit 7 if the job is pending", rich_help_panel="Waiting"),
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask the service even if the ledger has the result")
    ] = False,
    *,
    out: OutputOptions,
    waiting: WaitOptions,
    conn: ConnectionOptions,
) -> None:
    from stt_cli.api.client import JobGone

    base_url, key = resolve_connection(conn)
    with session(base_url, key) as sess:
        job = resolve_job_id(job_id, sess.ledger, sess.host)
        target = _fetch_target(sess, job, out)
        record = sess.ledger.get(job, sess.host)
        if record is not None and record.result is not None and not refresh:
            payload = record.result
        else:
            try:
                payload = wait_visibly(sess, job, waiting, output.SingleView(job, 0), no_wait=no_wait)
            except JobGone as gone:
                if record is None or record.result is None:
                    raise
                output.warn(f"{gone.message}; showing the result the ledger kept")
                payload = record.result
        text = render_payload(payload, out, job)
        unchanged = write_result(sess, job, target, text, force=out.force)
        if target is not None:
            output.info(f"{target} already holds this result" if unchanged else f"wrote {target}")


def _fetch_target(sess: Session, job: str, out: OutputOptions) -> Path | None:
    """Where the result goes, checked before anything is asked: -o PATH, DIR/<id>.<ext>, or stdout."""
    from stt_cli.core.files import check_output_options, check_output_path, is_stdout, safe_name
    from stt_cli.formats.render import EXTENSIONS

    check_output_options(out.output, out.output_dir)
    if out.output_dir is not None:
        path = out.output_dir / f"{safe_name(job)}.{EXTENSIONS[out.format]}"
    elif out.output is None or is_stdout(out.output):
        return None
    else:
        path = Path(out.output).expanduser()
    written = sess.ledger.output(str(path.resolve())) if path.exists() else None
    check_output_path(path, force=out.force, ours=written is not None and written.job_id == job)
    return path


JOBS_HELP = """List the jobs submitted from this machine (the local ledger), newest first.

Examples:
  stt jobs
  stt jobs --status failed --json | jq -r .source
  stt jobs prune --older-than 30d
"""

jobs_app = group("jobs", JOBS_HELP)

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(raw: str) -> float:
    """`30d`, `12h`, `90m`, `2w`, `45s` -> seconds."""
    text = raw.strip().lower()
    try:
        value = float(text[:-1]) * DURATION_UNITS[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise UsageError(f"--older-than {raw!r} is not an age", "write e.g. 30d, 12h or 90m") from None
    if value < 0:
        raise UsageError(f"--older-than {raw!r} is negative", "write e.g. 30d")
    return value


def _row(record: JobRecord) -> dict[str, object]:
    return {
        "generation_id": record.id,
        "host": record.host,
        "created_at": record.created_at,
        "source": record.source,
        "source_size": record.source_size,
        "source_sha256": record.source_sha256,
        "model": record.model,
        "options": record.options,
        "status": record.status,
        "error": record.error,
        "outputs": record.outputs,
        "audio_seconds": record.audio_seconds,
    }


@jobs_app.callback(invoke_without_command=True)
@with_verbosity
def jobs(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="Show at most N jobs")] = 20,
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="STATUS", help=f"Only jobs in this status: {', '.join(STATUSES)}"),
    ] = None,
) -> None:
    """List the jobs submitted from this machine, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    if status is not None and status not in STATUSES:
        raise UsageError(f"--status {status!r} is not a status", f"use one of: {', '.join(STATUSES)}")
    ledger = Ledger()
    try:
        records = ledger.list(limit=limit, status=status)
        unknown = ledger.unknown_creates()
    finally:
        ledger.close()
    for key, source, _, started in unknown:  # on stderr: stdout stays the table or the JSON lines
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
        output.warn(
            f"a create of {source} ({when}) may have reached the service with no answer (Idempotency-Key {key}); "
            "running it again sends the same key"
        )
    if as_json:
        output.data("".join(json_text(_row(r)) + "\n" for r in records))
        return
    if not records:
        output.info("no jobs yet: stt run FILE, or stt submit FILE")
        return
    output.table(
        ["id", "when", "source", "model", "status", "duration"],
        [
            [
                r.id,
                time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)),
                r.source,
                r.model,
                r.status,
                _clock(r.audio_seconds),
            ]
            for r in records
        ],
    )


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


@sub_command(jobs_app, "rm", short_help="Forget jobs (the ledger only; the service is not asked)")
def rm(ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Job ids to forget")]) -> None:
    """Forget jobs: remove them from the local ledger (the service is not asked).

    Examples:
      stt jobs rm 3f1c9a2e-...
      stt jobs --status failed --json | jq -r .generation_id | xargs stt jobs rm
    """
    ledger = Ledger()
    try:
        missing = [job_id for job_id in ids if ledger.remove(job_id) == 0]
    finally:
        ledger.close()
    removed = len(ids) - len(missing)
    output.info(f"removed {removed} job(s)")
    if missing:
        raise UsageError(f"not in the ledger: {', '.join(missing)}", "see the ids with `stt jobs`")


@sub_command(jobs_app, "prune", short_help="Forget the jobs older than AGE (default 30d)")
def prune(
    older_than: Annotated[str, typer.Option("--older-than", metavar="AGE", help="e.g. 30d, 12h, 90m")] = "30d",
) -> None:
    """Forget the jobs older than AGE (default 30d); the service is not asked.

    Examples:
      stt jobs prune
      stt jobs prune --older-than 12h
    """
    ledger = Ledger()
    try:
        removed = ledger.prune(parse_age(older_than))
    finally:
        ledger.close()
    output.info(f"removed {removed} job(s) older than {older_than}")


fetch_app = command("fetch", fetch, FETCH_HELP, "Get a job's result (waits while it is pending)")
