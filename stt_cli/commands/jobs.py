"""`stt status`, `stt fetch` and `stt jobs`: one job's state, its result, and the local ledger."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from stt_cli import output
from stt_cli.commands.common import (
    deliver,
    output_targets,
    render_payload,
    resolve_connection,
    resolve_job_id,
    session,
    wait_visibly,
)
from stt_cli.ledger import Ledger
from stt_cli.options import (
    CONNECTION_GROUP,
    OUTPUT_GROUP,
    WAIT_GROUP,
    ConnectionOptions,
    OutputOptions,
    WaitOptions,
    use,
)
from stt_cli.protocol import Status

IdArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[ID]",
        help="Job id (default: the newest job submitted from this machine)",
        show_default=False,
    ),
]

STATUS_HELP = """Ask the service once for a job's status: queued, processing, completed or failed.

Examples:

  stt status 3f1c9a2e-...

  stt status --json | jq -r .status
"""

FETCH_HELP = """Get a job's result, waiting while it is pending (unless --no-wait).

A completed result is kept in the local ledger, so fetching it again (in another format) costs nothing.

Examples:

  stt fetch 3f1c9a2e-... -f srt -o talk.srt

  stt fetch -f json | jq .results.channels[0].alternatives[0].transcript
"""


@use(CONNECTION_GROUP)
def status(
    job_id: IdArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object")] = False,
    *,
    conn: ConnectionOptions,
) -> None:
    base_url, key = resolve_connection(conn)
    with session(base_url, key) as sess:
        job = resolve_job_id(job_id, sess.ledger, sess.host)
        state = sess.client.get_job(job)
        sess.ledger.update(
            job,
            sess.host,
            status=state.status.shown,
            error=state.error if state.status is Status.FAILED else None,
            result=state.payload if state.status is Status.COMPLETED else None,
        )
    if state.status is Status.UNKNOWN:
        output.warn(f"the service reported an unknown status {state.raw_status!r}; shown as processing")
    if as_json:
        body = {
            "generation_id": state.generation_id,
            "status": state.status.shown,
            "raw_status": state.raw_status,
        }
        if state.error and state.status is Status.FAILED:
            body["error"] = state.error
        output.data(json.dumps(body, ensure_ascii=False) + "\n")
        return
    output.data(state.status.shown + "\n")
    if state.status is Status.FAILED and state.error:
        from stt_cli.protocol import sanitize

        output.info(f"job {state.generation_id} failed: {sanitize(state.error)}")


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
    base_url, key = resolve_connection(conn)
    with session(base_url, key) as sess:
        job = resolve_job_id(job_id, sess.ledger, sess.host)
        [target] = output_targets(out, [job])
        record = sess.ledger.get(job, sess.host)
        if record is not None and record.result is not None and not refresh:
            payload = record.result
        else:
            payload = wait_visibly(sess, job, waiting, no_wait=no_wait)
        text = render_payload(payload, out, job)
        deliver(text, target)
        if target is not None:
            sess.ledger.update(job, sess.host, output=str(target.resolve()))


def jobs(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N jobs")] = 20,
) -> None:
    """List the jobs submitted from this machine, newest first."""
    ledger = Ledger()
    try:
        records = ledger.list(limit=limit)
    finally:
        ledger.close()
    if as_json:
        output.data(
            "".join(
                json.dumps(
                    {
                        "generation_id": r.id,
                        "host": r.host,
                        "created_at": r.created_at,
                        "source": r.source,
                        "model": r.model,
                        "status": r.status,
                        "error": r.error,
                        "outputs": r.outputs,
                    },
                    ensure_ascii=False,
                )
                + "\n"
                for r in records
            )
        )
        return
    if not records:
        output.info("no jobs yet: stt run FILE, or stt submit FILE")
        return
    lines = [f"{'ID':<38} {'WHEN':<16} {'STATUS':<11} {'MODEL':<22} SOURCE"]
    for r in records:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at))
        lines.append(f"{r.id:<38} {when:<16} {r.status:<11} {r.model:<22} {r.source}")
    output.data("\n".join(lines) + "\n")


def register(app: typer.Typer) -> None:
    app.command("status", help=STATUS_HELP, short_help="Show a job's status")(status)
    app.command("fetch", help=FETCH_HELP, short_help="Get a job's result (waits while it is pending)")(fetch)
    app.command("jobs", short_help="List the jobs submitted from this machine")(jobs)
