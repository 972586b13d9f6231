"""`stt fetch`: a job's result, written like `stt run` writes it: glue to core/transcription.fetch."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.cli.build import IdArg, command, use
from stt_cli.cli.options.connection import CONNECTION_GROUP
from stt_cli.cli.options.results import OUTPUT_GROUP
from stt_cli.cli.options.waiting import WAIT_GROUP
from stt_cli.cli.views import TerminalReporter
from stt_cli.core import transcription
from stt_cli.core.plan import OutputOptions, WaitOptions
from stt_cli.core.session import Connector

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
    conn: Connector,
) -> int:
    return transcription.fetch(
        job_id, out, waiting, no_wait=no_wait, refresh=refresh, connect=conn, reporter=TerminalReporter()
    )


fetch_app = command("fetch", fetch, FETCH_HELP, "Get a job's result (waits while it is pending)")
