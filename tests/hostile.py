"""A hostile stand-in for the API on loopback: each test scripts what it answers, how much and how fast.

Beside the emulator's fault actions (which stay faithful to the provider's documents), this server says
whatever a compromised gateway, a proxy or a wrong `--base-url` could say: poisoned ids, bodies past any
ceiling, gzip bombs, JSON nested 100,000 deep, a byte a second, escape sequences, a create that takes the
whole upload and never answers, jobs it has forgotten.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

KEY = "sk-hostile-0123456789abcdef"  # what the tests give stt as its key for a hostile server


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


class Conn:
    """One accepted connection: raw writes, so a test controls every byte and its pace."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def head(self, status: int = 200, headers: dict[str, str] | None = None, length: int | None = None) -> bool:
        lines = [f"HTTP/1.1 {status} X", "Connection: close", "Content-Type: application/json"]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        return self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def answer(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if self.head(status, headers, len(data)):
            self.send(data)

    def trickle(self, data: bytes, every: float, *, headers_too: bool = False) -> None:
        """The answer one byte at a time, `every` seconds apart (the head too when `headers_too`)."""
        head = f"HTTP/1.1 200 X\r\nConnection: close\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        if not headers_too and not self.send(head):
            return
        for byte in (head if headers_too else b"") + data:
            if not self.send(bytes([byte])):
                return
            time.sleep(every)

    def stream(self, total: int, chunk: bytes, headers: dict[str, str] | None = None) -> None:
        """`total` bytes of `chunk` repeated, sized by Content-Length: a body of any size, never held."""
        if not self.head(200, headers, total):
            return
        sent = 0
        while sent < total:
            piece = chunk[: total - sent]
            if not self.send(piece):
                return
            sent += len(piece)

    def hang(self, seconds: float = 120.0) -> None:
        """Say nothing until the client gives up (or `seconds` pass)."""
        self.sock.settimeout(seconds)
        with contextlib.suppress(OSError):
            while self.sock.recv(1024):
                pass


Handler = Callable[[Request, Conn], None]


def sample_result(text: str = "hello world") -> dict[str, Any]:
    """A Deepgram-shaped result whose words spell `text` (one word a second)."""
    words = [
        {"word": w, "punctuated_word": w, "start": float(n), "end": n + 0.8, "confidence": 0.9}
        for n, w in enumerate(text.split())
    ]
    return {
        "metadata": {"duration": float(len(words))},
        "results": {"channels": [{"alternatives": [{"transcript": text, "confidence": 0.9, "words": words}]}]},
    }


@dataclass
class HostileServer:
    """Loopback HTTP whose create and poll answers are functions a test sets; it logs every request."""

    on_create: Handler | None = None
    on_poll: Handler | None = None
    requests: list[Request] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> id, for the default handlers
    _sock: socket.socket = field(default_factory=socket.socket)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopped: bool = False

    def __post_init__(self) -> None:
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.body_received = threading.Event()  # set when a create's whole body has arrived
        threading.Thread(target=self._accept, daemon=True).start()

    def creates(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def stop(self) -> None:
        self._stopped = True
        with contextlib.suppress(OSError):
            self._sock.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            request = _read_request(sock)
            if request is None:
                return
            self.requests.append(request)
            conn = Conn(sock)
            if request.method == "POST":
                self.body_received.set()
                (self.on_create or self.honest_create)(request, conn)
            else:
                (self.on_poll or self.completed)(request, conn)

    # --- ready-made handlers -----------------------------------------------------------------------
    def honest_create(self, request: Request, conn: Conn) -> None:
        """A new id per Idempotency-Key; the same key gets the same id again."""
        key = request.idempotency_key or str(uuid.uuid4())
        job_id = self.jobs.setdefault(key, {"id": str(uuid.uuid4())})["id"]
        conn.answer({"generation_id": job_id, "status": "queued"})

    def completed(self, request: Request, conn: Conn) -> None:
        conn.answer({"status": "completed", "result": sample_result()})


def _read_request(sock: socket.socket) -> Request | None:
    sock.settimeout(30)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = _read_chunked(sock, bytearray(rest))
            if body is None:
                return None
            return Request(method, path, headers, bytes(body))
        length = int(headers.get("content-length", "0"))
        body = bytearray(rest)
        while len(body) < length:
            chunk = sock.recv(min(1 << 20, length - len(body)))
            if not chunk:
                return None
            body += chunk
    except (OSError, ValueError):
        return None
    return Request(method, path, headers, bytes(body))


def _read_chunked(sock: socket.socket, buffer: bytearray) -> bytearray | None:
    """A chunked body (audio prepared while it is sent), decoded; None when the sender stopped before its end."""
    body = bytearray()

    def fill(needed: int) -> bool:
        while len(buffer) < needed:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return False
            buffer.extend(chunk)
        return True

    while True:
        while b"\r\n" not in buffer:
            if not fill(len(buffer) + 1):
                return None
        line, _, remainder = bytes(buffer).partition(b"\r\n")
        buffer[:] = remainder
        size = int(line.split(b";")[0], 16)
        if size == 0:
            while not buffer.startswith(b"\r\n"):  # trailers, if any, then the empty line
                if b"\r\n" in buffer:
                    buffer[:] = bytes(buffer).partition(b"\r\n")[2]
                elif not fill(len(buffer) + 1):
                    return None
            return body
        if not fill(size + 2):
            return None
        body += buffer[:size]
        del buffer[: size + 2]


@cache
def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """About 1 MB of gzip that inflates to `inflated` bytes of JSON-looking text."""
    out = [gzip.compress(b"", mtime=0)[:10]]  # the gzip header, written by hand below with a raw deflate body
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = b'{"status": "completed", "result": {"text": "' + b"a" * (1 << 20)
    crc, left = 0, inflated
    while left > 0:
        piece = block[:left] if left < len(block) else block
        crc = zlib.crc32(piece, crc)
        out.append(compressor.compress(piece))
        left -= len(piece)
    out.append(compressor.flush())
    out.append(crc.to_bytes(4, "little") + (inflated & 0xFFFFFFFF).to_bytes(4, "little"))
    return b"".join(out)


def deep_json(depth: int = 100_000) -> bytes:
    return b'{"status": "completed", "result": ' + b"[" * depth + b"]" * depth + b"}"


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def swallow_first_request(hostile: HostileServer) -> None:
    """The first create with a key takes the whole body, makes the job, and never answers; later ones do."""
    seen: set[str | None] = set()

    def create(request: Request, conn: Conn) -> None:
        key = request.idempotency_key
        job = hostile.jobs.setdefault(key or "", {"id": f"job-{len(hostile.jobs) + 1}"})
        if key not in seen:
            seen.add(key)
            conn.hang()
            return
        conn.answer({"generation_id": job["id"]})

    hostile.on_create = create
