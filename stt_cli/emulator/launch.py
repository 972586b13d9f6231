"""Starting the emulator from its command's options: the faults file read, the socket bound, every failure a
UsageError that says what to change."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

from stt_cli.emulator.server import Emulator
from stt_cli.errors import UsageError


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
) -> Emulator:
    """An emulator bound to host:port (not serving yet)."""
    if (tls_cert is None) != (tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together", "pass both, or neither for plain http")
    try:
        return Emulator(
            host,
            port,
            processing_time=processing_time,
            api_key=api_key,
            envelope=envelope,
            tls=(str(tls_cert), str(tls_key)) if tls_cert and tls_key else None,
            faults=read_faults(faults) if faults else None,
        )
    except ssl.SSLError as exc:
        raise UsageError(f"cannot use the TLS certificate or key: {exc}", "check --tls-cert and --tls-key") from None
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}", "pick another --port, or stop what is using it"
        ) from None


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
        raise UsageError(f"cannot read the faults file {path}: {exc}", "it must be JSON, see the README") from None
    if not isinstance(data, dict) or not all(
        key in ("create", "poll") and isinstance(value, list) and all(isinstance(v, dict) for v in value)
        for key, value in data.items()
    ):
        raise UsageError(f"the faults file {path} must map create/poll to lists of responses", "see the README")
    return data
