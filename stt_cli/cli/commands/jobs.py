"""`stt jobs`, `stt jobs rm` and `stt jobs prune`: the local ledger listed and tidied (glue to core/lookup)."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, group, sub_command, with_groups
from stt_cli.cli.options.values import parse_age
from stt_cli.core import lookup
from stt_cli.core.ledger import STATUSES
from stt_cli.errors import UsageError, local_minute

JOBS_HELP = """List the jobs submitted from this machine (the local ledger), newest first.

Examples:
  stt jobs
  stt jobs --status failed --json | jq -r .source
  stt jobs prune --older-than 30d
"""

jobs_app = group("jobs", JOBS_HELP)


@jobs_app.callback(invoke_without_command=True)
@with_groups
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
    records, unknown = lookup.list_jobs(limit, status)
    for key, source, _, started in unknown:  # on stderr: stdout stays the table or the JSON lines
        when = local_minute(started)
        output.warn(
            f"a create of {source} ({when}) may have reached the service with no answer (Idempotency-Key {key}); "
            "running it again sends the same key"
        )
    if as_json:
        output.json_lines(r.as_dict() for r in records)
        return
    if not records:
        output.info("no jobs yet: stt run FILE, or stt submit FILE")
        return
    output.table(
        ["id", "when", "source", "model", "status", "duration"],
        [
            [
                r.id,
                local_minute(r.created_at),
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
    missing = lookup.forget(ids)
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
    removed = lookup.prune(parse_age(older_than))
    output.info(f"removed {removed} job(s) older than {older_than}")
