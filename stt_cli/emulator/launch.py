"""Starting the emulator from its command's options: the faults file read, the bandwidth parsed, the uploads'
folder made, the socket bound, every failure a UsageError that says what to change."""

from __future__ import annotations

import errno
import json
import os
import re
import ssl
from decimal import Decimal
from pathlib import Path
from typing import Any

from stt_cli.emulator import control, plane, proof
from stt_cli.emulator.engines import INSTALL_LOCAL, Choice, EngineMissing, resolve
from stt_cli.emulator.folders import UnsafeFolder, private_folder
from stt_cli.emulator.local import DEFAULT_MAX_AUDIO
from stt_cli.emulator.pricing import EMULATOR_PRICE_PER_SECOND, MAX_PRICE_PER_SECOND, parse_price
from stt_cli.emulator.server import Emulator
from stt_cli.errors import UsageError, local_failure

# --bandwidth RATE: bytes per second, K M G powers of 1000, `bit` for bits (40Mbit = 5M); "/s" may follow.
RATE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)(bit)?(?:/s)?", re.IGNORECASE)
RATE_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3}
MAX_RATE = 1e12  # 1 TB/s: more is no uplink


def parse_bandwidth(raw: str) -> float:
    """`5M`, `500k`, `2000000`, `40Mbit` -> bytes per second."""
    match = RATE.fullmatch(raw.strip())
    rate = 0.0
    if match is not None:
        number, unit, bits = match.groups()
        rate = float(number) * RATE_UNITS[unit.lower()] / (8 if bits else 1)
    if not 1 <= rate <= MAX_RATE:  # 0, a fraction of a byte, and what float() makes infinite
        raise UsageError(f"--bandwidth {raw!r} is not a rate", "write bytes per second, e.g. 5M, 500K or 40Mbit")
    return rate


def parse_price_option(raw: str) -> Decimal:
    """--price-per-second USD: plain decimal dollars, 0 to MAX_PRICE_PER_SECOND."""
    price = parse_price(raw)
    if price is None:
        raise UsageError(
            f"--price-per-second {raw!r} is not a price",
            f"write US dollars a second as a plain decimal, from 0 to {MAX_PRICE_PER_SECOND}, e.g. 0.0001",
        )
    return price


def rate_text(rate: float) -> str:
    """5000000 -> `5 MB/s (40 Mbit/s)`."""

    def scaled(value: float, unit: str) -> str:
        for prefix, size in (("G", 1000**3), ("M", 1000**2), ("k", 1000)):
            if value >= size:
                return f"{value / size:.4g} {prefix}{unit}"
        return f"{value:.4g} {unit}"

    return f"{scaled(rate, 'B/s')} ({scaled(rate * 8, 'bit/s')})"


def uploads_folder(path: Path) -> Path:
    """--keep-uploads DIR, made if missing (0700), private and writable, as an absolute path."""
    folder = path.absolute()
    try:
        private_folder(folder)
    except UnsafeFolder as exc:
        raise UsageError(
            f"cannot keep uploads in {folder}: {exc}", "pick a folder of your own (it is made 0700 when missing)"
        ) from None
    except OSError as exc:
        raise local_failure(exc, f"keep uploads in {folder}", "pick another --keep-uploads DIR") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot keep uploads in {folder}: it is not writable", "pick another --keep-uploads DIR")
    return folder


def start(
    host: str,
    port: int,
    *,
    processing_time: float,
    api_key: str | None,
    envelope: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    faults: Path | None,
    bandwidth: str | None = None,
    keep_uploads: Path | None = None,
    price_per_second: str | None = None,
    engine: str = Choice.placeholder,
    workers: int | None = None,
    max_audio: float = DEFAULT_MAX_AUDIO,
    secret: bytes | None = None,
) -> Emulator:
    """An emulator bound to host:port (not serving yet), its engine the one `engine` (an --engine choice)
    means here; `secret`: its user's (proof.py), which it proves it knows to `stt emulator --detach` and
    `--stop` where the system does not say who owns a socket."""
    if (tls_cert is None) != (tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together", "pass both, or neither for plain http")
    for path in (tls_cert, tls_key):
        if path is not None:
            try:
                path.open("rb").close()
            except OSError as exc:  # else the socket's own error would name it as the port's
                raise local_failure(exc, f"read the TLS file {path}", "check --tls-cert and --tls-key") from None
    rate = parse_bandwidth(bandwidth) if bandwidth is not None else None
    price = parse_price_option(price_per_second) if price_per_second is not None else EMULATOR_PRICE_PER_SECOND
    try:
        name = resolve(engine)
    except EngineMissing as exc:
        raise UsageError(
            f"--engine {engine}: {exc}",
            f'{INSTALL_LOCAL}, or in a clone pip install ".[local]"; or pass --engine placeholder',
        ) from None
    folder = uploads_folder(keep_uploads) if keep_uploads is not None else None
    try:
        return Emulator(
            host,
            port,
            processing_time=processing_time,
            api_key=api_key,
            envelope=envelope,
            tls=(str(tls_cert), str(tls_key)) if tls_cert and tls_key else None,
            faults=read_faults(faults) if faults else None,
            bandwidth=rate,
            keep_uploads=folder,
            price_per_second=price,
            engine=name,
            workers=workers,
            max_audio=max_audio,
            secret=secret,
        )
    except ssl.SSLError as exc:
        raise UsageError(f"cannot use the TLS certificate or key: {exc}", "check --tls-cert and --tls-key") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE and port != 0:
            emulator_there(host, port, api_key, secret)
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}", "pick another --port, or stop what is using it"
        ) from None


def emulator_there(host: str, port: int, api_key: str | None = None, secret: bytes | None = None) -> None:
    """A port in use by this user's stt emulator, or by another user: a UsageError that says so and what to
    do; nothing when it is something else."""

    try:
        running = control.probe(host, port, api_key, secret)
    except control.ForeignOwner as exc:
        raise foreign_port(port, exc) from None
    except control.Unproven:
        raise unproven_port(port) from None
    except control.KeyRequired as exc:
        raise UsageError(
            f"port {port} is already used by your stt emulator (it takes its controls only with its --api-key)",
            f"use it: export AIML_API_BASE={exc.base_url}; or stop it: "
            + control.stop_command(host, port, "--api-key", "KEY"),
        ) from None
    except (control.NotListening, control.NotAnEmulator):
        return
    raise UsageError(
        f"port {port} is already used by an stt emulator (pid {running.pid})",
        f"use it: export AIML_API_BASE={running.base_url}; or stop it: {control.stop_command(host, port)}",
    )


FREE_PORT_HINT = "pick another --port (--port 0: any free one)"


def foreign_port(port: int, owner: control.ForeignOwner) -> UsageError:
    """Another user's process holds the port: stt neither uses it nor asks it to stop."""
    message = f"port {port} is held by another user's process ({owner.who}): stt does not use it"
    return UsageError(message, FREE_PORT_HINT)


def unproven_port(port: int) -> UsageError:
    """The system does not say who holds the port, and what answers there did not prove to be this user's."""
    return UsageError(
        f"port {port} is held by a process that does not prove to be your stt emulator (this system does not say "
        "who owns it): stt does not use it",
        FREE_PORT_HINT,
    )


def user_secret(folder: Path) -> bytes | None:
    """This user's emulator secret (proof.py) in `folder` (stt's cache folder's emulator/), made when missing;
    None when it cannot be had safely: the emulator then serves as well, and proves nothing."""
    try:
        return proof.ensure(folder)
    except (UnsafeFolder, proof.Unusable, OSError):
        return None


def serve(server: Emulator) -> None:
    """Serve until Ctrl-C (which ends it quietly), then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop_serving()


def read_faults(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The faults to play first, from a JSON file mapping create/poll to lists of responses."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the faults file {path}: {exc}", "it must be JSON, see docs/emulator.md"
        ) from None
    if not isinstance(data, dict) or not all(
        key in ("create", "poll") and isinstance(value, list) and all(isinstance(v, dict) for v in value)
        for key, value in data.items()
    ):
        raise UsageError(f"the faults file {path} must map create/poll to lists of responses", "see docs/emulator.md")
    try:
        for endpoint, responses in data.items():
            for index, response in enumerate(responses):
                plane.fault(response, f"{endpoint}[{index}]")
    except plane.Invalid as exc:
        raise UsageError(f"the faults file {path}: {exc}", "see docs/emulator.md") from None
    return data
