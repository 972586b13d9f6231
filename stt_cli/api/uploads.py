"""What an upload's body may be and say while it is sent, free of httpx: media makes such bodies without
loading the HTTP client (`--dry-run` never imports httpx), and api/client.py sends them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol


class LiveBody(Protocol):
    """A file made while it is sent: its pieces as they come (the first try), then the whole file (a retry)."""

    whole: bool

    def chunks(self) -> Iterator[bytes]:
        """The pieces as they are made; raises BodyRestart, before the last, when the whole file must go instead."""
        ...

    def complete(self) -> Path:
        """The whole file, made or finished now."""
        ...


class BodyRestart(Exception):
    """What was streamed must be sent again from the complete file (stopped before its end: no job was made)."""
