"""`stt fetch`: a job's result, written like `stt run` writes it: glue to core/usecases/fetch."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.cli.build import JsonOpt, command, use
from stt_cli.cli.options.connection import CONNECTION_GROUP
from stt_cli.cli.options.results import OUTPUT_GROUP
from stt_cli.cli.options.waiting import WAIT_GROUP
from stt_cli.core.defaults import BOUNDS, DEFAULT_CONCURRENCY
from stt_cli.core.options import OutputOptions, WaitOptions
from stt_cli.core.session import Connector

FETCH_HELP = """Get jobs' results, waiting while they are pending (unless --no-wait).

A completed result is kept in the local ledger: fetching it again, in any
format, asks the service nothing. Several ids (or - to read them from stdin)
are fetched like a batch, each to --output-dir (default: here), named after
its source as run names it (a job from elsewhere: after its id).

Examples:
  stt fetch 3f1c9a2e -f srt -o talk.srt
  stt fetch --no-wait || echo "not ready yet (exit $?)"
  stt fetch - -f srt,vtt --output-dir subs < ids.txt
"""

IdsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[ID]...",
        help="Job ids (or their first characters), or - to read them from stdin one a line (default: the newest job)",
        show_default=False,
    ),
]


@use(OUTPUT_GROUP, WAIT_GROUP, CONNECTION_GROUP)
def fetch(
    job_ids: IdsArg = None,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="Do not wait: exit 7 if the job is pending", rich_help_panel="Waiting"),
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask the service even if the ledger has the result")
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=BOUNDS["concurrency"][0],
            max=BOUNDS["concurrency"][1],
            metavar="N",
            rich_help_panel="Batch",
            help="Jobs fetched at once, with several ids",
        ),
    ] = DEFAULT_CONCURRENCY,
    as_json: JsonOpt = False,
    *,
    out: OutputOptions,
    waiting: WaitOptions,
    conn: Connector,
) -> int:
    from stt_cli.cli.views import TerminalReporter  # lazy for start-up: stt fetch --help
    from stt_cli.core.usecases import fetch as fetching  # lazy for start-up: stt fetch --help

    return fetching.fetch(
        job_ids or [],
        out,
        waiting,
        no_wait=no_wait,
        refresh=refresh,
        concurrency=concurrency,
        connect=conn,
        reporter=TerminalReporter(records=as_json),
    )


fetch_app = command("fetch", fetch, FETCH_HELP, "Get a job's result (waits while it is pending)")
