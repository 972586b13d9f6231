"""An emulator that may already be running, seen from outside: is what listens on host:port this user's stt
emulator (GET /_emulator/info), and asking it to stop (POST /_emulator/shutdown).

Whatever answers on the port is untrusted: each visit has an overall deadline of a few seconds, reads at
most ANSWER_BYTES an answer, and is believed only when it is an stt emulator's answer in every part (its
Server header, a JSON object with the fields of /_emulator/info, each checked). A pid from the wire is shown,
never signalled. Before anything is sent, the port must be shown to hold this user's own emulator: another
user may hold it with a server that looks like an stt emulator, to be given uploads and keys. Where the
kernel's socket table names the other end's owner (Linux), it must be this user; where the system cannot
say, the emulator must prove it knows this user's secret (proof.py) before the key is sent or anything is
asked of it. A server of another machine (not in this machine's table) is taken as it answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import ssl
import time
from dataclasses import dataclass

from stt_cli.emulator import owners, proof
from stt_cli.emulator.guard import is_loopback
from stt_cli.errors import command_line

ANSWER_BYTES = 64 * 1024
EXCHANGE_SECONDS = 3.0  # one visit (a connection and its requests), connect to close
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

    def __init__(self, uid: int, pid: int | None = None) -> None:
        self.uid = uid
        self.pid = pid
        super().__init__(f"it belongs to another user ({self.who})")

    @property
    def who(self) -> str:
        """`uid 65534, user nobody, pid 4242`: what is known of the owner."""
        words = [f"uid {self.uid}"]
        name = user_name(self.uid)
        if name is not None:
            words.append(f"user {name}")
        if self.pid is not None:
            words.append(f"pid {self.pid}")
        return ", ".join(words)


class Unproven(NotAnEmulator):
    """This system does not say who owns what listens on that port, and it did not prove to be this user's
    stt emulator."""


class KeyRequired(Exception):
    """This user's stt emulator is on that port, and it takes its controls only with its --api-key."""

    def __init__(self, scheme: str, host: str, port: int) -> None:
        super().__init__("the emulator's controls need its key")
        self.scheme, self.host, self.port = scheme, host, port

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{shown_host(self.host)}:{self.port}/v1"


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


def user_name(uid: int) -> str | None:
    try:
        import pwd  # POSIX only
    except ImportError:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def shown_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def stop_words(host: str, port: int, *more: str) -> list[str]:
    """`stt emulator --stop --port P` (and `more`), with --host when it is not the default."""
    return ["stt", "emulator", "--stop", *(["--host", host] if host != "127.0.0.1" else []), "--port", str(port), *more]


def stop_command(host: str, port: int, *more: str) -> str:
    return command_line(*stop_words(host, port, *more))


def _target(host: str) -> str:
    return WILDCARDS.get(host, host)


Answer = tuple[int, dict[str, str], bytes]


class _Visit:
    """One connection to host:port, its owner checked first, for a few requests one after another (HTTP/1.1
    keep-alive), all within EXCHANGE_SECONDS."""

    def __init__(self, scheme: str, host: str, port: int) -> None:
        self.deadline = time.monotonic() + EXCHANGE_SECONDS
        self.address = _target(host)
        self.port = port
        try:
            sock = socket.create_connection((self.address, port), timeout=EXCHANGE_SECONDS)
        except ConnectionRefusedError:
            raise NotListening(f"nothing listens on {shown_host(host)}:{port}") from None
        except OSError as exc:
            raise NotListening(f"cannot connect to {shown_host(host)}:{port}: {exc.strerror or exc}") from None
        self.sock: socket.socket = sock
        self.buffer = b""
        try:
            self.owner = _owner(sock)
            if scheme == "https":  # its certificate is whatever --tls-cert was: nothing to check it against
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                self.sock = context.wrap_socket(sock)
        except (OSError, ValueError) as exc:
            sock.close()
            raise NoAnswer(str(exc)) from None
        except BaseException:
            sock.close()
            raise

    def __enter__(self) -> _Visit:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def request(self, method: str, path: str, body: bytes | None = None, key: str | None = None) -> Answer:
        """One request and its answer: status, headers (lower-cased), body. A POST's body is JSON."""
        data = body if body is not None else (b"{}" if method == "POST" else b"")
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {shown_host(self.address)}:{self.port}",
            f"Content-Length: {len(data)}",
            "Accept: application/json",
            "User-Agent: stt-emulator-control",
            *(["Content-Type: application/json"] if method == "POST" else []),
            *([f"Authorization: Bearer {key}"] if key is not None else []),
        ]
        received = False
        split: tuple[bytes, bytes] | None = None
        try:
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
            while (split := _split(self.buffer)) is None:
                if len(self.buffer) > ANSWER_BYTES:
                    break
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise NoAnswer("no complete answer in time")
                self.sock.settimeout(left)
                chunk = self.sock.recv(16384)
                if not chunk:
                    break
                self.buffer += chunk
                received = True
        except (OSError, ValueError) as exc:  # ssl.SSLError and timeouts are OSErrors
            if not (received and self.buffer.startswith(b"HTTP/")):
                raise NoAnswer(str(exc)) from None
        answer, self.buffer = split if split is not None else (self.buffer, b"")
        return _parse(answer)


def _owner(sock: socket.socket) -> str:
    """Whose the server's half of this connection is: "mine", "unknown" (the system does not say) or "remote"
    (another machine's); ForeignOwner when another user's, NoAnswer when it closed at once."""
    server, client = sock.getpeername()[:2], sock.getsockname()[:2]
    deadline = time.monotonic() + HANDSHAKE_SECONDS
    while True:
        try:
            entry = owners.find(server, client)
        except (owners.Unsupported, ValueError):
            return "unknown"
        if entry is None and not is_loopback(server[0]):
            return "remote"
        if entry is None or entry.state not in owners.HANDSHAKING or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    if entry is None or entry.state != owners.ESTABLISHED:
        raise NoAnswer("the connection was closed at once")
    if entry.uid != os.geteuid():
        pid = owners.holder(entry.inode)
        listening = owners.listener(server) if pid is None else None  # a connection not yet accepted is held
        if listening is not None:  # by no process: the listening socket's holder is the one
            pid = owners.holder(listening.inode)
        raise ForeignOwner(entry.uid, pid)
    return "mine"


def _prove(visit: _Visit, secret: bytes | None) -> None:
    """Unproven unless what answers proves it knows this user's secret (proof.py), for this port."""
    if secret is None:
        raise Unproven("this system does not say who owns it, and this user has no emulator secret to check")
    challenge = proof.challenge()
    status, headers, body = visit.request("POST", "/_emulator/prove", json.dumps({"challenge": challenge}).encode())
    try:
        answer = json.loads(body).get("proof") if status == 200 and _from_emulator(headers) else None
    except (ValueError, AttributeError):
        answer = None
    if not proof.holds(secret, challenge, visit.port, answer):
        raise Unproven("this system does not say who owns it, and it did not prove to be this user's emulator")


def _split(data: bytes) -> tuple[bytes, bytes] | None:
    """The first complete answer in `data` and what follows it, or None while it is incomplete."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    match = re.search(rb"\r\ncontent-length:[ \t]*(\d{1,9})", head, re.IGNORECASE)
    if match is None or len(body) < int(match.group(1)):
        return None
    end = len(head) + len(sep) + int(match.group(1))
    return data[:end], data[end:]


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


def probe(host: str, port: int, key: str | None = None, secret: bytes | None = None) -> Running:
    """This user's stt emulator on host:port (plain http, else https), asked with its key if one is given.
    NotListening, NotAnEmulator (ForeignOwner, Unproven) or KeyRequired otherwise; `secret` is this user's
    (proof.py), needed where the system does not say who owns a socket."""
    return _visit(host, port, key, secret, then=None)[0]


def _visit(host: str, port: int, key: str | None, secret: bytes | None, then: str | None) -> tuple[Running, Answer]:
    """The emulator on host:port checked as `probe` says, then POST `then` if given (on a connection of its
    own, checked the same way: a server may close each connection after one answer)."""
    for scheme in ("http", "https"):
        try:
            running = _info(scheme, host, port, key, secret)
        except NoAnswer:
            continue  # a TLS server drops a plain request, and a plain one fails the handshake
        if then is None:
            return running, (0, {}, b"")
        try:
            with _Visit(scheme, host, port) as visit:
                if visit.owner == "unknown":
                    _prove(visit, secret)
                return running, visit.request("POST", then, key=key)
        except NoAnswer:
            return running, (0, {}, b"")
    raise NotAnEmulator("it answers neither http nor https")


def _info(scheme: str, host: str, port: int, key: str | None, secret: bytes | None) -> Running:
    """GET /_emulator/info, once the port is shown to be this user's."""
    with _Visit(scheme, host, port) as visit:
        if visit.owner == "unknown":
            _prove(visit, secret)  # before the key, or anything else, is sent
        status, headers, body = visit.request("GET", "/_emulator/info", key=key)
    if status == 401 and _from_emulator(headers):
        raise KeyRequired(scheme, host, port)
    return _running(scheme, host, port, status, headers, body)


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


def stop(host: str, port: int, key: str | None = None, secret: bytes | None = None) -> Running:
    """Ask this user's stt emulator on host:port to shut down (checked as `probe` does), and wait until the
    port is free."""
    running, (status, headers, _) = _visit(host, port, key, secret, then="/_emulator/shutdown")
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
