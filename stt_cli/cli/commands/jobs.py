"""`stt jobs`, `stt jobs rm` and `stt jobs prune`: the local ledger listed and tidied (glue to core/usecases/jobs)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stt_cli.cli import output
from stt_cli.cli.amounts import credits_text, dollars, totals_line
from stt_cli.cli.build import JsonOpt, group, sub_command, use, with_groups
from stt_cli.cli.options.connection import CONNECTION_GROUP
from stt_cli.cli.options.values import duration
from stt_cli.core.ledger import STATUSES
from stt_cli.core.session import Connector
from stt_cli.core.usecases import jobs as usecase
from stt_cli.errors import UsageError, local_minute

if TYPE_CHECKING:
    from stt_cli.api.charge import Charge
    from stt_cli.core.costs import Totals

JOBS_HELP = """List the jobs submitted from this machine (the local ledger), newest first.

Ids are shown short (any 4 or more first characters of an id work wherever
an id is asked for, when no other job shares them): --wide shows them whole.

A pending status says how long ago the service told it (queued 2h);
--refresh asks the service again about the jobs still queued or processing.

COST is what the service said a job cost (its answers' cost headers), shown
only when it said so; --total sums the jobs created --since AGE (all of
them, not only the --limit listed), a service apart, with only the figures
the service gave.

Examples:
  stt jobs --refresh
  stt jobs --since 7d --total
  stt jobs --status failed --json | jq -r .source
"""

jobs_app = group("jobs", JOBS_HELP)


@jobs_app.callback(invoke_without_command=True)
@with_groups
@use(CONNECTION_GROUP)
def jobs(
    ctx: typer.Context,
    conn: Connector,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="Show at most N jobs")] = 20,
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="STATUS", help=f"Only jobs in this status: {', '.join(STATUSES)}"),
    ] = None,
    wide: Annotated[bool, typer.Option("--wide", help="Whole ids and sources, nothing cut")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask the service again about the jobs listed that are still pending")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="AGE", help="Only jobs created within AGE: 7d, 12h, 1h30m, 90 (seconds)"),
    ] = None,
    total: Annotated[
        bool, typer.Option("--total", help="Sum the jobs' audio and cost (every job matching, a service apart)")
    ] = False,
) -> None:
    """List the jobs submitted from this machine, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    after = time.time() - duration("--since", since) if since is not None else None
    if total:
        if refresh:
            raise UsageError("--total sums what the ledger holds; --refresh asks the service first", "pass one")
        _totals(usecase.total_jobs(status, after), since, as_json)
        return
    if refresh:
        (records, unknown, short), asked = usecase.refresh_jobs(limit, status, connect=conn, warn=output.warn)
        elsewhere = f"; {asked.elsewhere} of another base URL not asked" if asked.elsewhere else ""
        output.info(f"{asked.asked - asked.failed} of {asked.asked} pending job(s) answered{elsewhere}")
    else:
        records, unknown, short = usecase.list_jobs(limit, status, after)
    for create in unknown:  # on stderr: stdout stays the table or the JSON lines
        when = local_minute(create.started_at)
        output.warn(
            f"a create of {create.source} ({when}) may have reached the service with no answer"
            f" (Idempotency-Key {create.idempotency_key}); running it again sends the same key"
        )
    if as_json:
        output.json_lines(r.as_dict() for r in records)
        return
    if not records:
        output.info("no jobs yet: stt run FILE, or stt submit FILE")
        return
    now = time.time()
    costed = any(r.charge is not None and r.charge.known for r in records)  # else no COST column at all
    output.table(
        ["id", "when", "source", "model", "status", "duration", *(["cost"] if costed else [])],
        [
            [
                r.id if wide else shown,
                local_minute(r.created_at),
                r.source,
                r.model,
                _status(r.status, now, r.seen_at),
                _clock(r.audio_seconds),
                *([_cost(r.charge)] if costed else []),
            ]
            for r, shown in zip(records, short, strict=True)
        ],
        shorten={"source": output.MIDDLE, "model": output.END},
        wide=wide,
    )


def _cost(charge: Charge | None) -> str:
    """A job's cost as the service said it: its dollars, else its credits; - when it said nothing."""
    if charge is None or not charge.known:
        return "-"
    return dollars(charge.usd) if charge.usd is not None else credits_text(charge.credits or 0)


def _totals(by_host: dict[str, Totals], since: str | None, as_json: bool) -> None:
    """--total: one line (or JSON object) a service."""
    if as_json:
        output.json_lines({"host": host, "since": since, **totals.as_dict()} for host, totals in by_host.items())
        return
    if not by_host:
        output.info(f"no jobs {'in the last ' + since if since else 'yet'}")
        return
    within = f" in the last {since}" if since else ""
    output.data("".join(f"{host}{within}: {totals_line(totals)}\n" for host, totals in by_host.items()))


def _status(status: str, now: float, seen: float | None) -> str:
    """A status, and for one still pending, how long ago the service said so when it was over a minute:
    queued 2h (the service has not been asked since; --refresh asks it)."""
    if status in usecase.FINAL or seen is None or now - seen < 60:
        return status
    ago = int(now - seen)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if ago >= size:
            return f"{status} {ago // size}{unit}"
    return status


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="List what would be removed; remove nothing")]


@sub_command(jobs_app, "rm", short_help="Forget jobs (the ledger only; the service is not asked)")
def rm(
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Job ids (or their first characters) to forget")],
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Forget jobs and their kept results; the service is not asked.

    The jobs are listed and, on a terminal, you are asked first; without a
    terminal, --yes is needed.

    Examples:
      stt jobs rm 3f1c9a2e
      stt jobs --status gone --json | jq -r .generation_id | xargs stt jobs rm -y
    """
    found, missing = usecase.forgetting(ids)
    if found:
        _confirmed_removal(found, f"{len(found)} job(s)", yes, dry_run)
    if missing:
        raise UsageError(f"not in the ledger: {', '.join(missing)}", "see the ids with `stt jobs`")


@sub_command(jobs_app, "prune", short_help="Forget the jobs older than AGE (default 30d)")
def prune(
    older_than: Annotated[
        str, typer.Option("--older-than", metavar="AGE", help="A duration: 30d, 12h, 1h30m, 90 (seconds)")
    ] = "30d",
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Forget the jobs older than AGE (default 30d) and their kept results.

    The jobs are listed and, on a terminal, you are asked first; without a
    terminal, --yes is needed.

    Examples:
      stt jobs prune --dry-run
      stt jobs prune --older-than 12h --yes
    """
    found = usecase.pruning(duration("--older-than", older_than))
    if not found:
        output.info(f"no job is older than {older_than}; nothing removed")
        return
    _confirmed_removal(found, f"{len(found)} job(s) older than {older_than}", yes, dry_run)


SHOWN = 20  # jobs listed before a question; the others are counted


def _confirmed_removal(jobs: list[Any], what: str, yes: bool, dry_run: bool) -> None:
    """The jobs listed, then removed once confirmed: asked on a terminal, refused without one unless --yes."""

    rows = [[job.id, local_minute(job.created_at), job.status, job.source] for job in jobs]
    if dry_run:
        output.table(["id", "when", "status", "source"], rows, shorten={"source": output.MIDDLE})
        output.info(f"would remove {what} (--dry-run: nothing removed)")
        return
    if not yes:
        if not sys.stdin.isatty() or not sys.stderr.isatty():
            raise UsageError(
                f"stt jobs would remove {what} and their kept results, and there is no terminal to ask",
                "pass --yes to remove them, or --dry-run to list them",
            )
        for job_id, created, status, source in rows[:SHOWN]:
            output.info(f"  {job_id}  {created}  {status}  {source}", always=True)
        if len(rows) > SHOWN:
            output.info(f"  ... and {len(rows) - SHOWN} more", always=True)
        if not typer.confirm(f"Remove {what} and their kept results from the ledger?", err=True):
            output.info("nothing removed", always=True)
            return
    removed = usecase.remove(jobs)
    output.info(f"removed {removed} job(s)")
