"""`stt status`: one question to the service about one job (kept light: it is the command scripts call most)."""

from __future__ import annotations

from stt_cli.api.wire import Status
from stt_cli.cli import output
from stt_cli.cli.build import IdArg, JsonOpt, command, use
from stt_cli.cli.options.connection import CONNECTION_GROUP
from stt_cli.core.session import Connector
from stt_cli.core.usecases import jobs

STATUS_HELP = """Ask the service once for a job's status.

Prints one word: queued, processing, completed or failed.

Examples:
  stt status 3f1c9a2e             # a job by its id, as stt jobs shows it
  stt status                      # the newest job from this machine
  stt status --json | jq -r .status
"""


@use(CONNECTION_GROUP)
def status(
    job_id: IdArg = None,
    as_json: JsonOpt = False,
    *,
    conn: Connector,
) -> None:
    state = jobs.status(job_id, connect=conn, warn=output.warn)
    if as_json:
        output.json_lines([state.as_dict()])
        return
    output.data(state.status.shown + "\n")
    if state.status is Status.FAILED and state.error:
        output.info(f"job {state.generation_id} failed: {state.error}", always=True)


status_app = command("status", status, STATUS_HELP, "Show a job's status")
