"""`stt status`: one question to the service about one job (kept light: it is the command scripts call most)."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.api.wire import Status, json_text
from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, command
from stt_cli.cli.commands.common import resolve_connection, resolve_job_id, session
from stt_cli.cli.options import CONNECTION_GROUP, use
from stt_cli.core.ledger import keep_in_ledger
from stt_cli.core.plan import ConnectionOptions

IdArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[ID]",
        help="Job id (default: the newest job submitted from this machine)",
        show_default=False,
    ),
]

STATUS_HELP = """Ask the service once for a job's status.

Prints one word: queued, processing, completed or failed.

Examples:
  stt status 3f1c9a2e-...         # a job by its id
  stt status                      # the newest job from this machine
  stt status --json | jq -r .status
"""


@use(CONNECTION_GROUP)
def status(
    job_id: IdArg = None,
    as_json: JsonOpt = False,
    *,
    conn: ConnectionOptions,
) -> None:
    from stt_cli.api.client import JobGone

    base_url, key = resolve_connection(conn)
    with session(base_url, key) as sess:
        job = resolve_job_id(job_id, sess.ledger, sess.host)
        try:
            state = sess.client.get_job(job)
        except JobGone:
            keep_in_ledger(job, sess.ledger.mark_gone, job, sess.host)
            raise
        keep_in_ledger(
            job,
            sess.ledger.update,
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
        output.data(json_text(body) + "\n")
        return
    output.data(state.status.shown + "\n")
    if state.status is Status.FAILED and state.error:
        output.info(f"job {state.generation_id} failed: {state.error}", always=True)


status_app = command("status", status, STATUS_HELP, "Show a job's status")
