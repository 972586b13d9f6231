"""`stt run` (submit, wait, write) and `stt submit` (create jobs and return at once)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from stt_cli import output
from stt_cli.commands.common import (
    Session,
    deliver,
    output_targets,
    render_payload,
    resolve_connection,
    session,
    wait_visibly,
)
from stt_cli.errors import ExitCode, Interrupted, SttError, UsageError
from stt_cli.jobs import Source, check_size, looks_like_media, parse_source, submit
from stt_cli.models import family_of
from stt_cli.options import (
    CONNECTION_GROUP,
    OUTPUT_GROUP,
    SOURCE_GROUP,
    TRANSCRIPTION_GROUP,
    WAIT_GROUP,
    ConnectionOptions,
    OutputOptions,
    Request,
    SourceOptions,
    WaitOptions,
    use,
)

SourcesArg = Annotated[
    list[str],
    typer.Argument(
        metavar="SOURCE...",
        help="Audio file, - for stdin, or an http(s) URL the service fetches",
        show_default=False,
    ),
]

RUN_HELP = """Transcribe: upload or send each SOURCE, wait for the result, and write it.

The job id goes to stderr as soon as the job exists; if the wait is interrupted, `stt fetch ID` resumes it.

Examples:

  stt run talk.wav

  stt run https://example.com/talk.mp3 -f srt -o talk.srt

  cat talk.wav | stt run - --diarize -f vtt > talk.vtt
"""

SUBMIT_HELP = """Create a job for each SOURCE and return at once, printing one job id per line.

Examples:

  id=$(stt submit talk.wav)

  stt submit a.wav b.wav --json | jq -r .generation_id
"""


def _sources(raw: list[str], limits: SourceOptions) -> list[Source]:
    """Every source checked before anything is sent; a file that does not look like media is only warned of."""
    if raw.count("-") > 1:
        raise UsageError("stdin (-) can be given only once", "pass the other sources as files")
    seen: dict[str, Source] = {}
    for item in raw:
        source = parse_source(item)
        key = str(source.path.resolve()) if source.path is not None else source.raw
        seen.setdefault(key, source)  # a source listed twice is transcribed once
    for source in seen.values():
        check_size(source, limits.max_size)
        if source.path is not None:
            with source.path.open("rb") as handle:
                head = handle.read(16)
            if not looks_like_media(head):
                output.warn(f"{source.raw} does not look like audio or video; sending it anyway (the service decides)")
    return list(seen.values())


def _check_format(request: Request, fmt: str) -> None:
    family = family_of(request.model)
    if fmt in ("srt", "vtt") and family is not None and not family.word_timings:
        raise UsageError(
            f"{request.model} returns text without word timings, so it cannot make {fmt} subtitles",
            "pick a Whisper, Nova or AssemblyAI model, or use -f text",
        )


def _run_one(
    sess: Session,
    source: Source,
    target: Path | None,
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    limits: SourceOptions,
) -> None:
    size = source.path.stat().st_size if source.path is not None else 0
    with output.uploading(source.label, size) as advance:
        submitted = submit(
            sess.client, sess.ledger, source, request.model, request.options, progress=advance, max_size=limits.max_size
        )
    job_id = submitted.generation_id
    output.info(f"job {job_id} created for {source.label} (if interrupted: stt fetch {job_id})")
    payload = wait_visibly(sess, job_id, waiting)
    text = render_payload(payload, out, job_id)
    deliver(text, target)
    if target is not None:
        sess.ledger.update(job_id, sess.host, output=str(target.resolve()))


@use(SOURCE_GROUP, TRANSCRIPTION_GROUP, OUTPUT_GROUP, WAIT_GROUP, CONNECTION_GROUP)
def run(
    sources: SourcesArg,
    limits: SourceOptions,
    request: Request,
    out: OutputOptions,
    waiting: WaitOptions,
    conn: ConnectionOptions,
) -> int:
    items = _sources(sources, limits)
    _check_format(request, out.format)
    targets = output_targets(out, [s.stem for s in items])
    base_url, key = resolve_connection(conn)
    failures: list[tuple[Source, SttError]] = []
    with session(base_url, key) as sess:
        for source, target in zip(items, targets, strict=True):
            if len(items) == 1:
                _run_one(sess, source, target, request, out, waiting, limits)
                continue
            try:
                _run_one(sess, source, target, request, out, waiting, limits)
            except Interrupted:
                raise
            except SttError as exc:  # one failure never stops the other sources
                output.error(f"{source.label}: {exc.message}", exc.hint)
                failures.append((source, exc))
    return _batch_code(failures, len(items))


def _batch_code(failures: list[tuple[Source, SttError]], total: int) -> int:
    if not failures:
        return ExitCode.OK
    output.info(
        f"{total - len(failures)} of {total} succeeded; failed: "
        + ", ".join(f"{s.label} (exit {e.exit_code})" for s, e in failures)
    )
    codes = Counter(int(e.exit_code) for _, e in failures)
    return next(iter(codes)) if len(codes) == 1 else ExitCode.UNEXPECTED


@use(SOURCE_GROUP, TRANSCRIPTION_GROUP, CONNECTION_GROUP)
def submit_cmd(
    sources: SourcesArg,
    limits: SourceOptions,
    request: Request,
    conn: ConnectionOptions,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> int:
    items = _sources(sources, limits)
    base_url, key = resolve_connection(conn)
    failures: list[tuple[Source, SttError]] = []
    with session(base_url, key) as sess:
        for source in items:
            try:
                submitted = submit(
                    sess.client, sess.ledger, source, request.model, request.options, max_size=limits.max_size
                )
            except Interrupted:
                raise
            except SttError as exc:
                if len(items) == 1:
                    raise
                output.error(f"{source.label}: {exc.message}", exc.hint)
                failures.append((source, exc))
                continue
            if as_json:
                output.data(
                    json.dumps(
                        {
                            "generation_id": submitted.generation_id,
                            "source": source.label,
                            "model": request.model,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            else:
                output.data(submitted.generation_id + "\n")
    return _batch_code(failures, len(items))


def register(app: typer.Typer) -> None:
    app.command("run", help=RUN_HELP, short_help="Transcribe audio and wait for the result")(run)
    app.command("submit", help=SUBMIT_HELP, short_help="Create jobs and return their ids at once")(submit_cmd)
