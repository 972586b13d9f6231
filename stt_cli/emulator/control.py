"""An emulator that may already be running, seen from outside: is what listens on host:port an stt emulator
(GET /_emulator/info), and asking it to stop (POST /_emulator/shutdown).

Whatever answers on the port is untrusted: each exchange has an overall deadline of a few seconds, reads at
most ANSWER_BYTES, and is believed only when it is an stt emulator's answer in every part (its Server header,
a JSON object with the fields of /_emulator/info, each checked). A pid from the wire is shown, never signalled.
Before anything is sent, the kernel's socket table must say that the other end belongs to this user (where
the system says so): another user may hold the port with a server that looks like an stt emulator, to be
given uploads; it is neither used nor asked to stop.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import time
from dataclasses import dataclass

from stt_cli.emulator import owners
from stt_cli.emulator.guard import is_loopback
from stt_cli.errors import command_line

ANSWER_BYTES = 64 * 1024
EXCHANGE_SECONDS = 3.0  # one request and its answer, connect to close
STOP_SECONDS = 5.0  # from the shutdown's answer until the port refuses connections
HANDSHAKE_SECONDS = 1.0  # for the server's half of a new connection to leave the handshake states
VERSION = re.compile(r"[0-9A-Za-z.+-]{1,40}")
WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # an address to listen on, not to call


class NotListening(Exception):
    """Nothing accepts connections on that port."""


class NotAnEmulator(Exception):
    """Something answers on that port, and it is not an stt emulator (or not one that answers as expected)."""


class ForeignOwner(NotAnEmulator):
    """What listens on that port belongs to another user."""

    def __init__(self, uid: int) -> None:
        super().__init__(f"it belongs to another user (uid {uid})")
        self.uid = uid


class NoAnswer(Exception):
    """The connection was taken, but no HTTP answer came back in time (or not in the scheme tried)."""


@dataclass(frozen=True)
class Running:
    """An stt emulator found on host:port, as its /_emulator/info described itself."""

    scheme: str
    host: str
    port: int
    pid: int
    version: str
    accepts_any_key: bool

    @property
    def base_url(self) -> str:
        """Its URL as this side knows it (the host and port asked, not the one it sent)."""
        return f"{self.scheme}://{shown_host(self.host)}:{self.port}/v1"


def shown_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def stop_command(host: str, port: int) -> str:
    """`stt emulator --stop --port P`, with --host when it is not the default."""
    words = ["stt", "emulator", "--stop", *(["--host", host] if host != "127.0.0.1" else []), "--port", str(port)]
    return command_line(*words)


def _target(host: str) -> str:
    return WILDCARDS.get(host, host)


def _exchange(scheme: str, host: str, port: int, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request, HTTP/1.1 with Connection: close; the answer's status, headers (lower-cased) and body."""
    deadline = time.monotonic() + EXCHANGE_SECONDS
    address = _target(host)
    try:
        sock = socket.create_connection((address, port), timeout=EXCHANGE_SECONDS)
    except ConnectionRefusedError:
        raise NotListening(f"nothing listens on {shown_host(host)}:{port}") from None
    except OSError as exc:
        raise NotListening(f"cannot connect to {shown_host(host)}:{port}: {exc.strerror or exc}") from None
    data = b""
    try:
        _check_owner(sock)
        if scheme == "https":  # its certificate is whatever --tls-cert was: nothing to check it against
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock)
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: {shown_host(address)}:{port}\r\nConnection: close\r\n"
            "Content-Length: 0\r\nAccept: application/json\r\nUser-Agent: stt-emulator-control\r\n\r\n"
        )
        sock.sendall(request.encode("ascii"))
        while len(data) <= ANSWER_BYTES and not _complete(data):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoAnswer("no complete answer in time")
            sock.settimeout(left)
            chunk = sock.recv(16384)
            if not chunk:
                break
            data += chunk
    except (OSError, ValueError) as exc:  # ssl.SSLError and timeouts are OSErrors
        if not data.startswith(b"HTTP/"):
            raise NoAnswer(str(exc)) from None
    finally:
        sock.close()
    return _parse(data)


def _check_owner(sock: socket.socket) -> None:
    """ForeignOwner when the server's half of this connection is another user's. Nothing to check where the
    system does not say, or for another machine's server (not in this machine's table)."""
    server, client = sock.getpeername()[:2], sock.getsockname()[:2]
    deadline = time.monotonic() + HANDSHAKE_SECONDS
    while True:
        try:
            entry = owners.find(server, client)
        except (owners.Unsupported, ValueError):
            return
        if entry is None and not is_loopback(server[0]):
            return
        if entry is None or entry.state not in owners.HANDSHAKING or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    if entry is None or entry.state != owners.ESTABLISHED:
        raise NoAnswer("the connection was closed at once")
    if entry.uid != os.geteuid():
        raise ForeignOwner(entry.uid)


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    match = re.search(rb"\r\ncontent-length:[ \t]*(\d{1,9})", head, re.IGNORECASE)
    return match is not None and len(body) >= int(match.group(1))


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    if len(data) > ANSWER_BYTES:
        raise NotAnEmulator("its answer is too large")
    if not data.startswith(b"HTTP/"):
        raise NoAnswer("no HTTP answer")
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise NotAnEmulator("its answer ended early")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise NotAnEmulator("its answer has no status")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    match = re.fullmatch(r"\d{1,9}", headers.get("content-length", ""))
    if match is not None:
        body = body[: int(match.group())]
    return int(parts[1]), headers, body


def _from_emulator(headers: dict[str, str]) -> bool:
    return headers.get("server", "").split(" ", 1)[0] == "stt-emulator"


def _running(scheme: str, host: str, port: int, status: int, headers: dict[str, str], body: bytes) -> Running:
    if status != 200 or not _from_emulator(headers):
        raise NotAnEmulator("it does not answer as an stt emulator")
    try:
        info = json.loads(body)
    except ValueError:
        raise NotAnEmulator("its answer is not JSON") from None
    pid = info.get("pid") if isinstance(info, dict) else None
    if (
        not isinstance(info, dict)
        or info.get("emulator") != "stt"
        or not isinstance(pid, int)
        or isinstance(pid, bool)
        or not 0 < pid < 2**31
    ):
        raise NotAnEmulator("it does not describe itself as an stt emulator")
    version = info.get("version")
    return Running(
        scheme=scheme,
        host=host,
        port=port,
        pid=pid,
        version=version if isinstance(version, str) and VERSION.fullmatch(version) else "unknown",
        accepts_any_key=info.get("accepts_any_key") is True,
    )


def probe(host: str, port: int) -> Running:
    """The stt emulator on host:port (plain http, else https); NotListening or NotAnEmulator otherwise."""
    for scheme in ("http", "https"):
        try:
            answer = _exchange(scheme, host, port, "GET", "/_emulator/info")
        except NoAnswer:
            continue  # a TLS server drops a plain request, and a plain one fails the handshake
        return _running(scheme, host, port, *answer)
    raise NotAnEmulator("it answers neither http nor https")


def port_refuses(host: str, port: int) -> bool:
    """Whether connections to host:port are refused (the port is free)."""
    try:
        with socket.create_connection((_target(host), port), timeout=1.0):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


class StopFailed(Exception):
    """The emulator was found, and did not stop."""


def stop(host: str, port: int) -> Running:
    """Ask the stt emulator on host:port to shut down, and wait until the port is free."""
    running = probe(host, port)
    try:
        status, headers, _ = _exchange(running.scheme, host, port, "POST", "/_emulator/shutdown")
    except NoAnswer:
        status, headers = 0, {}
    if status == 404 and _from_emulator(headers):
        raise StopFailed(f"the stt emulator {running.version} on {running.base_url} cannot be stopped from here")
    if status != 200 or not _from_emulator(headers):
        raise StopFailed(f"the stt emulator on {running.base_url} did not accept to stop")
    deadline = time.monotonic() + STOP_SECONDS
    while not port_refuses(host, port):
        if time.monotonic() > deadline:
            raise StopFailed(f"the stt emulator on {running.base_url} still listens {STOP_SECONDS:g} s later")
        time.sleep(0.05)
    return running
