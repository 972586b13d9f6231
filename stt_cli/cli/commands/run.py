"""`stt run` (submit, wait, write) and `stt submit` (create jobs, return at once): glue to core/usecases/transcribe."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.cli.build import JsonOpt, command, use
from stt_cli.cli.options.connection import CONNECTION_GROUP
from stt_cli.cli.options.results import OUTPUT_GROUP
from stt_cli.cli.options.sources import SOURCE_GROUP
from stt_cli.cli.options.transcription import TRANSCRIPTION_GROUP
from stt_cli.cli.options.waiting import WAIT_GROUP
from stt_cli.core.options import OutputOptions, Request, SourceOptions, WaitOptions
from stt_cli.core.session import Connector

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


@use(SOURCE_GROUP, TRANSCRIPTION_GROUP, OUTPUT_GROUP, WAIT_GROUP, CONNECTION_GROUP)
def run(
    limits: SourceOptions,
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    conn: Connector,
    sources: SourcesArg = None,
    as_json: JsonOpt = False,
) -> int:
    from stt_cli.cli.views import TerminalReporter  # lazy for start-up: stt run --help
    from stt_cli.core.usecases import transcribe  # lazy for start-up: stt run --help

    reporter = TerminalReporter(records=as_json)
    return transcribe.run(sources or [], request, out, waiting, limits, connect=conn, reporter=reporter)


@use(SOURCE_GROUP, TRANSCRIPTION_GROUP, CONNECTION_GROUP)
def submit(
    limits: SourceOptions,
    request: Request,
    conn: Connector,
    sources: SourcesArg = None,
    as_json: JsonOpt = False,
) -> int:
    from stt_cli.cli.views import SubmitReporter  # lazy for start-up: stt submit --help
    from stt_cli.core.usecases import transcribe  # lazy for start-up: stt submit --help

    return transcribe.submit(sources or [], request, limits, connect=conn, reporter=SubmitReporter(as_json))


run_app = command("run", run, RUN_HELP, "Transcribe audio and wait for the result")
submit_app = command("submit", submit, SUBMIT_HELP, "Create jobs and print their ids at once")
