"""The emulator's request log (GET /_emulator/requests): oldest first, bounded in entries and in bytes.

Anyone who can reach the port can add to it (a refused key is logged too), so it must not grow without end:
past MAX_ENTRIES entries or MAX_BYTES bytes (each entry measured as the JSON it is sent as), the oldest are
dropped and counted. Every text an entry holds is cut to TEXT_CHARS characters first (a path may be 64 KB,
and so may each header), so one entry is small whatever the request was.

The log is read as a snapshot: entries are copied under the emulator's lock and serialised outside it, so a
client that reads the log slowly holds up no one else.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

MAX_ENTRIES = 10_000
MAX_BYTES = 8 * 1024 * 1024
TEXT_CHARS = 512  # a path, a header's value, a message: more is cut and marked
CUT_MARK = "...[cut]"


def cut(value: Any, limit: int = TEXT_CHARS) -> Any:
    """A text over `limit` characters cut to it, marked; anything else as it is."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - len(CUT_MARK)] + CUT_MARK
    return value


def size_of(entry: dict[str, Any]) -> int:
    """An entry's size as it is sent (JSON, UTF-8 text counted as characters: close enough for a bound)."""
    return len(json.dumps(entry, ensure_ascii=False, default=str))


class RequestLog:
    """The entries, oldest first, with their sizes; what was dropped is counted. Not locked by itself: the
    emulator holds its state lock around every call."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: deque[tuple[dict[str, Any], int]] = deque()
        self.bytes = 0
        self.dropped = 0

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Log `entry` (its top-level texts cut), dropping the oldest while over a bound; the entry as kept."""
        kept = {name: cut(value) for name, value in entry.items()}
        size = size_of(kept)
        self._entries.append((kept, size))
        self.bytes += size
        while self._entries and (len(self._entries) > self.max_entries or self.bytes > self.max_bytes):
            _, gone = self._entries.popleft()
            self.bytes -= gone
            self.dropped += 1
        return kept

    def update(self, entry: dict[str, Any], **fields: Any) -> None:
        """Add fields to a logged entry (what a poll answered); its size is counted again if it is still held."""
        for index in range(len(self._entries) - 1, -1, -1):
            held, size = self._entries[index]
            if held is entry:
                held.update({name: cut(value) for name, value in fields.items()})
                grown = size_of(held)
                self._entries[index] = (held, grown)
                self.bytes += grown - size
                return

    def snapshot(self) -> list[dict[str, Any]]:
        """Copies of the entries, oldest first: safe to serialise once the lock is let go."""
        return [dict(entry) for entry, _ in self._entries]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)
