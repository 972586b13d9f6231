"""`stt emulator`: run the local stand-in of the API in the foreground, or in the background (--detach);
stop one (--stop)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.build import command
from stt_cli.cli.main import resume_collector
from stt_cli.cli.options.values import duration, finite
from stt_cli.core.config import cache_dir
from stt_cli.core.files import atomic_write_bytes, check_output_path
from stt_cli.core.settings import is_loopback_host
from stt_cli.emulator import control, proof
from stt_cli.emulator.detach import ChildFailed, detach
from stt_cli.emulator.engines import Choice
from stt_cli.emulator.launch import foreign_port, rate_text, serve, start, unproven_port, user_secret
from stt_cli.emulator.owners import can_tell
from stt_cli.emulator.results import sample_wav
from stt_cli.errors import ServerError, UsageError, command_line

EMULATOR_HELP = """Run a local emulator of the speech-to-text API, for trying stt and for CI.

It speaks both endpoints and checks the bearer key. Its sample recording
(--write-sample) comes back with real words and timings.

--engine says who answers other audio. pocketsphinx (stt's local extra:
pip install "stt-cli[local]") transcribes it offline: rough, US English
only, words with their times and confidences, --workers uploads at once,
each at most --max-audio long (longer: a failed job). placeholder
transcribes nothing: the audio gets a placeholder that begins with the
label "[stt emulator placeholder: not a transcript of your audio]", then
filler words as long as the audio (measured from a WAV or FLAC header, else
by ffprobe, else guessed from the size). auto, the default, is pocketsphinx
where it is installed.

--bandwidth RATE stands in for a user's uplink: it reads uploads (request
bodies) at most RATE bytes per second, all connections together. K, M and G
are powers of 1000 (5M is 5,000,000 bytes/s) and a rate in bits ends in bit
(40Mbit is 5M). Answers are not slowed.

Its answers carry the provider's cost headers: each job costs its whole
seconds of audio at --price-per-second US dollars (default 0.0001, the
emulator's own figure: the provider's documents give no speech-to-text
price), in credits at the provider's ratio of 2,000,000 a dollar. Its model
list (GET /v1/models?include=pricing, which `stt models --refresh` reads)
shows that price.

--keep-uploads DIR saves each upload the emulator accepts for a job as
DIR/<generation_id><ext> (the extension of its file name); its request log,
GET /_emulator/requests, names the copy (received_path).

It answers only the user who started it, and no web page: a request with
an Origin header, Sec-Fetch-* headers other than an address typed in the
browser, a CORS preflight, or a Host other than localhost or an IP address
(DNS rebinding) is refused; on Linux, so is a connection from another
user's process (the kernel's socket table names its owner). Its controls
(/_emulator/...) answer only to localhost, take only JSON, and need the
--api-key when it has one. --keep-uploads DIR and the log of --detach are
private (0700 folders, 0600 files), never in a folder another user could
change. With --host beyond loopback, anyone who can reach it may use its
API: give it an --api-key.

--detach runs it in the background and returns once it serves; when your
stt emulator already listens on that port, it says so and exits 0 (that one
keeps the options it was started with). Its later messages go to
emulator/HOST-PORT.log in stt's cache folder (STT_CACHE_DIR). --stop asks the
stt emulator on --host and --port to exit, and waits until it has (pass its
--api-key if it has one). Neither uses nor stops what another user runs on
that port: where the system does not say whose a port is, the emulator must
prove it knows a secret kept in stt's cache folder.

Examples:
  stt emulator --port 8750 --detach
  stt emulator --write-sample talk.wav && stt run talk.wav
  stt emulator --stop --port 8750
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
            help='Faults to play first, as JSON: {"create": [...], "poll": [...]} (see docs/emulator.md)',
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
    price_per_second: Annotated[
        str | None,
        typer.Option(
            "--price-per-second",
            metavar="USD",
            help="What a second of audio costs in its cost headers and model list (default 0.0001, its own figure)",
        ),
    ] = None,
    engine: Annotated[
        Choice,
        typer.Option("--engine", help="Who answers your audio: auto, pocketsphinx (the local extra), placeholder"),
    ] = Choice.auto,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            metavar="N",
            help="Uploads pocketsphinx decodes at once (default: cores, at most 4)",
        ),
    ] = None,
    max_audio: Annotated[
        str,
        typer.Option("--max-audio", metavar="DURATION", help="Longest audio pocketsphinx takes (90, 5m, 2h)"),
    ] = "2h",
    detach: Annotated[
        bool, typer.Option("--detach", help="Run in the background; return once it serves (see above)")
    ] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the stt emulator on --host and --port")] = False,
) -> None:

    finite({"processing_time": processing_time}, "processing_time")  # click's range lets nan and inf through
    longest = duration("--max-audio", max_audio, minimum=1.0)
    if write_sample is not None and (detach or stop):
        flag = "--detach" if detach else "--stop"
        raise UsageError(f"--write-sample writes a file and exits: {flag} does not go with it", f"drop {flag}")
    if detach and stop:
        raise UsageError("--detach starts an emulator and --stop stops one", "pass one of them")
    if stop:
        stop_emulator(host, port, api_key)
        return
    if detach:
        values: dict[str, object] = {
            "--host": host, "--port": port, "--processing-time": repr(processing_time),
            "--envelope": envelope.value, "--api-key": api_key, "--bandwidth": bandwidth,
            "--faults": faults, "--tls-cert": tls_cert, "--tls-key": tls_key, "--keep-uploads": keep_uploads,
            "--price-per-second": price_per_second,
            "--engine": engine.value, "--workers": workers, "--max-audio": repr(longest),
        }  # fmt: skip
        options = [  # the same options, paths made absolute; --flag=value, so a value may start with -
            f"{flag}={value.absolute() if isinstance(value, Path) else value}"
            for flag, value in values.items()
            if value is not None
        ]
        detach_emulator(options, host, port, api_key)
        return
    if write_sample is not None:
        check_output_path(write_sample, force=force)
        atomic_write_bytes(write_sample, sample_wav())
        output.info(f"wrote {write_sample} (the emulator knows its words)")
        return

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
        price_per_second=price_per_second,
        engine=engine.value,
        workers=workers,
        max_audio=longest,
        secret=user_secret(cache_dir() / "emulator"),
    )
    warn_if_open(host)
    output.info(f"stt emulator listening on {server.base_url}")  # scripts read the URL as its last word
    if server.state.uplink is not None:
        output.info(f"  uploads read at {rate_text(server.state.uplink.rate)} at most, all connections together")
    if server.state.keep_uploads is not None:
        output.info(f"  uploads kept in {server.state.keep_uploads}")
    if price_per_second is not None:
        output.info(f"  a second of audio costs ${server.state.price_per_second} in its cost headers")
    if server.state.engine.transcribes:
        output.info(f"  {server.state.engine.describe()}")
    if not can_tell():
        output.info("  other users of this machine can use it: this system does not say who owns a connection")
    export_line(server.base_url, api_key or "anything")
    serve(server)
    output.info("emulator stopped")


def export_line(base_url: str, key: str) -> None:
    output.info("  export " + command_line(f"AIML_API_BASE={base_url}", f"AIML_API_KEY={key}"))


def warn_if_open(host: str) -> None:
    if not is_loopback_host(host):
        output.warn(
            f"listening on {host}: other machines can reach the emulator; stt itself only speaks "
            "plain http to loopback addresses"
        )


def detach_emulator(options: list[str], host: str, port: int, api_key: str | None) -> None:
    """--detach: an stt emulator already on the port is used as it is; else one is started in the background."""

    if port != 0 and already_running(host, port, api_key):
        return
    warn_if_open(host)
    try:
        started = detach(options, host, cache_dir() / "emulator", api_key)
    except ChildFailed:
        if port != 0 and already_running(host, port, api_key):  # another --detach took the port meanwhile
            return
        raise
    stop_hint = control.stop_command(host, started.port)
    output.info(f"stt emulator listening on {started.base_url} (pid {started.pid}; stop it: {stop_hint})")
    for line in started.details:
        output.info(line)
    export_line(started.base_url, api_key or "anything")


def already_running(host: str, port: int, api_key: str | None) -> bool:
    """When this user's stt emulator answers on host:port: say so, and how to use it. Another user's, or one
    that cannot prove to be this user's: a UsageError naming the port and its owner. Anything else: False."""

    stop_hint = f"{control.stop_command(host, port)}, then start it again"
    try:
        running = control.probe(host, port, api_key, proof.existing(cache_dir() / "emulator"))
    except control.ForeignOwner as exc:
        raise foreign_port(port, exc) from None
    except control.Unproven:
        raise unproven_port(port) from None
    except control.KeyRequired as exc:  # it is this user's (proved), and was started with an --api-key
        output.info(f"stt emulator already listening on {exc.base_url}")
        output.info(f"  it keeps the options it was started with; to change them: {stop_hint} (with its --api-key)")
        output.info("  it accepts only the key it was started with (its --api-key)")
        return True
    except (control.NotListening, control.NotAnEmulator):
        return False  # the child binds the port, or says why it cannot (something else holds it)
    output.info(f"stt emulator already listening on {running.base_url} (pid {running.pid})")
    output.info(f"  it keeps the options it was started with; to change them: {stop_hint}")
    if running.accepts_any_key or api_key is not None:
        export_line(running.base_url, api_key or "anything")
    else:
        output.info("  it accepts only the key it was started with (its --api-key)")
    return True


def stop_emulator(host: str, port: int, api_key: str | None) -> None:
    """--stop: this user's stt emulator on host:port shuts down; anything else there is left alone."""

    where = f"{control.shown_host(host)}:{port}"
    if port == 0:
        raise UsageError("--stop needs the emulator's port", "pass --port PORT (the one it listens on)")
    try:
        running = control.stop(host, port, api_key, proof.existing(cache_dir() / "emulator"))
    except control.NotListening:
        raise UsageError(
            f"no stt emulator to stop on {where}: nothing listens there", "check --host and --port"
        ) from None
    except control.ForeignOwner as exc:
        raise UsageError(
            f"what listens on {where} belongs to another user ({exc.who}): it was left alone",
            "check --host and --port",
        ) from None
    except control.Unproven:
        raise UsageError(
            f"what listens on {where} does not prove to be your stt emulator (this system does not say who owns "
            "it): it was left alone",
            "check --host and --port",
        ) from None
    except control.KeyRequired:
        raise UsageError(
            f"the stt emulator on {where} takes its controls only with its key: it was left alone",
            "pass the key it was started with: " + control.stop_command(host, port, "--api-key", "KEY"),
        ) from None
    except control.NotAnEmulator:
        raise UsageError(
            f"what listens on {where} is not an stt emulator: it was left alone", "check --host and --port"
        ) from None
    except control.StopFailed as exc:
        raise ServerError(str(exc), "stop it where it runs (Ctrl-C), or end its process") from None
    output.info(f"stopped the stt emulator on {running.base_url}")


emulator_app = command("emulator", emulator, EMULATOR_HELP, "Run a local emulator of the API")
