"""`stt emulator`: run the local stand-in of the API in the foreground."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.build import command
from stt_cli.core.settings import is_loopback_host
from stt_cli.errors import command_line

EMULATOR_HELP = """Run a local emulator of the speech-to-text API, for trying stt and for CI.

It speaks both endpoints and checks the bearer key. Its sample recording
(--write-sample) comes back with real words and timings; any other audio gets
a labelled placeholder transcript as long as the audio.

--bandwidth RATE stands in for a user's uplink: it reads uploads (request
bodies) at most RATE bytes per second, all connections together. K, M and G
are powers of 1000 (5M is 5,000,000 bytes/s) and a rate in bits ends in bit
(40Mbit is 5M). Answers are not slowed.

--keep-uploads DIR saves each upload the emulator accepts for a job as
DIR/<generation_id><ext> (the extension of its file name); its request log,
GET /_emulator/requests, names the copy (received_path).

Examples:
  stt emulator --port 8750 &
  export AIML_API_BASE=http://127.0.0.1:8750/v1 AIML_API_KEY=anything
  stt emulator --write-sample talk.wav && stt run talk.wav
"""


class Envelope(StrEnum):
    a = "a"
    b = "b"


def emulator(
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0: any free port)")] = 8750,
    processing_time: Annotated[
        float, typer.Option("--processing-time", min=0.0, metavar="SECONDS", help="How long each job takes")
    ] = 2.0,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", metavar="KEY", help="Accept only this key (default: any non-empty key)"),
    ] = None,
    envelope: Annotated[
        Envelope,
        typer.Option("--envelope", help="Poll answer shape: a {status, result} or b {id, status, output, error}"),
    ] = Envelope.a,
    write_sample: Annotated[
        Path | None,
        typer.Option(
            "--write-sample",
            metavar="PATH",
            dir_okay=False,
            help="Write the sample recording to PATH and exit",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH with --write-sample")] = False,
    faults: Annotated[
        Path | None,
        typer.Option(
            "--faults",
            metavar="FILE",
            dir_okay=False,
            help='Faults to play first, as JSON: {"create": [...], "poll": [...]} (see the README)',
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", metavar="PEM", help="Serve https with this certificate (with --tls-key)"),
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", metavar="PEM", help="The certificate's key")] = None,
    bandwidth: Annotated[
        str | None,
        typer.Option(
            "--bandwidth",
            metavar="RATE",
            help="Read uploads at most this fast, all connections together: bytes/s (5M, 500K) or bits (40Mbit)",
        ),
    ] = None,
    keep_uploads: Annotated[
        Path | None,
        typer.Option(
            "--keep-uploads",
            metavar="DIR",
            file_okay=False,
            help="Save each accepted upload as DIR/<generation_id><ext>",
        ),
    ] = None,
) -> None:
    from stt_cli.cli.options.values import finite

    finite({"processing_time": processing_time}, "processing_time")  # click's range lets nan and inf through
    if write_sample is not None:
        from stt_cli.core.files import atomic_write_bytes, check_output_path
        from stt_cli.emulator.results import sample_wav

        check_output_path(write_sample, force=force)
        atomic_write_bytes(write_sample, sample_wav())
        output.info(f"wrote {write_sample} (the emulator knows its words)")
        return
    from stt_cli.cli.main import resume_collector
    from stt_cli.emulator.launch import rate_text, serve, start

    resume_collector()  # a long-running server: the collector runs as usual
    server = start(
        host,
        port,
        processing_time=processing_time,
        api_key=api_key,
        envelope=envelope.value,
        tls_cert=tls_cert,
        tls_key=tls_key,
        faults=faults,
        bandwidth=bandwidth,
        keep_uploads=keep_uploads,
    )
    if not is_loopback_host(host):
        output.warn(
            f"listening on {host}: other machines can reach the emulator; stt itself only speaks "
            "plain http to loopback addresses"
        )
    output.info(f"stt emulator listening on {server.base_url}")  # scripts read the URL as its last word
    if server.state.uplink is not None:
        output.info(f"  uploads read at {rate_text(server.state.uplink.rate)} at most, all connections together")
    if server.state.keep_uploads is not None:
        output.info(f"  uploads kept in {server.state.keep_uploads}")
    shown_key = api_key or "anything"
    output.info("  export " + command_line(f"AIML_API_BASE={server.base_url}", f"AIML_API_KEY={shown_key}"))
    serve(server)
    output.info("emulator stopped")


emulator_app = command("emulator", emulator, EMULATOR_HELP, "Run a local emulator of the API")
