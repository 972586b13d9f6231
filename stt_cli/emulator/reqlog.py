"""The emulator's request log (GET /_emulator/requests): oldest first, bounded in entries and in bytes.

Anyone who can reach the port can add to it (a refused key is logged too), so it must not grow without end:
past MAX_ENTRIES entries or MAX_BYTES bytes, the oldest are dropped and counted. Every text an entry holds
at its top level is cut to TEXT_CHARS characters first (a path may be 64 KB, and so may each header), so one
entry is small whatever the request was.

Each entry is kept as the JSON it is sent as, made once: so its size is exact, and the log is sent from a
list of those (immutable) pieces taken under the emulator's lock and written outside it. A client that reads
the log slowly, or never, holds up no one else and costs no copy of the log.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from typing import Any

MAX_ENTRIES = 10_000
MAX_BYTES = 8 * 1024 * 1024
TEXT_CHARS = 512  # a path, a header's value, a message: more is cut and marked
CUT_MARK = "...[cut]"
SEPARATOR = b", "  # between entries, as json.dumps writes a list


def cut(value: Any, limit: int = TEXT_CHARS) -> Any:
    """A text over `limit` characters cut to it, marked; anything else as it is."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - len(CUT_MARK)] + CUT_MARK
    return value


def encoded(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False, default=str).encode("utf-8")


class RequestLog:
    """The entries as JSON, oldest first, each known by its number; what was dropped is counted. Not locked by
    itself: the emulator holds its state lock around every call."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: deque[bytes] = deque()
        self._first = 0  # the number of the oldest entry held
        self.bytes = 0
        self.dropped = 0

    def add(self, entry: dict[str, Any]) -> int:
        """Log `entry` (its top-level texts cut), dropping the oldest while over a bound; its number."""
        data = encoded({name: cut(value) for name, value in entry.items()})
        self._entries.append(data)
        self.bytes += len(data)
        while self._entries and (len(self._entries) > self.max_entries or self.bytes > self.max_bytes):
            self.bytes -= len(self._entries.popleft())
            self._first += 1
            self.dropped += 1
        return self._first + len(self._entries) - 1

    def update(self, number: int, **fields: Any) -> None:
        """Add fields to entry `number` (what a poll answered), if it is still held."""
        index = number - self._first
        if not 0 <= index < len(self._entries):
            return
        old = self._entries[index]
        new = encoded({**json.loads(old), **{name: cut(value) for name, value in fields.items()}})
        self._entries[index] = new
        self.bytes += len(new) - len(old)

    def pieces(self) -> list[bytes]:
        """The entries' JSON, oldest first: a list taken under the lock, of pieces that never change."""
        return list(self._entries)

    def snapshot(self) -> list[dict[str, Any]]:
        """The entries, oldest first, as objects (for tests, and anyone in the same process)."""
        return [json.loads(data) for data in self._entries]

    def clear(self) -> None:
        self._first += len(self._entries)
        self._entries.clear()
        self.bytes = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)


def as_json_list(pieces: list[bytes], chunk: int = 64 * 1024) -> tuple[int, Iterator[bytes]]:
    """The JSON list of `pieces` (each an entry's JSON): its length in bytes, and its bytes in chunks of about
    `chunk`, so it is written without ever being held whole."""
    length = 2 + sum(len(piece) for piece in pieces) + len(SEPARATOR) * max(0, len(pieces) - 1)

    def chunks() -> Iterator[bytes]:
        buffer = bytearray(b"[")
        for index, piece in enumerate(pieces):
            if index:
                buffer += SEPARATOR
            buffer += piece
            if len(buffer) >= chunk:
                yield bytes(buffer)
                buffer.clear()
        buffer += b"]"
        yield bytes(buffer)

    return length, chunks()
