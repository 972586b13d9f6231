"""The output layer: data to stdout, everything else to stderr; the only module that imports rich."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from stt_cli.fsutil import atomic_write_bytes


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def color_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_tty(stream) and os.environ.get("TERM") != "dumb"


def live_enabled(stream: TextIO) -> bool:
    """Spinners and live tables only for a person watching a terminal, never in CI or a pipe."""
    return _is_tty(stream) and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


def _paint(text: str, code: str, stream: TextIO) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color_enabled(stream) else text


def error(message: str, hint: str | None = None) -> None:
    stream = sys.stderr
    line = f"{_paint('error:', '1;31', stream)} {message}"
    if hint:
        line += f" ({hint})"
    stream.write(line + "\n")
    stream.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"{_paint('warning:', '33', sys.stderr)} {message}\n")
    sys.stderr.flush()


def info(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def data(text: str) -> None:
    """The result on stdout, as UTF-8 whatever the locale says."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:  # an in-memory stream in tests
        sys.stdout.write(text)
        sys.stdout.flush()


def write_file(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class Waiter:
    """What the user sees while a job runs: a spinner with status and elapsed time, or nothing off a terminal."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._started = time.monotonic()
        self._status: Any = None
        self._word = "submitted"

    def __enter__(self) -> Waiter:
        if live_enabled(sys.stderr):
            from rich.console import Console
            from rich.status import Status

            console = Console(file=sys.stderr, no_color=not color_enabled(sys.stderr))
            # An object rendered afresh on every refresh, so the elapsed time ticks between polls.
            self._status = Status(_LiveText(self), console=console, spinner="dots")
            self._status.start()
        return self

    def _text(self) -> str:
        elapsed = int(time.monotonic() - self._started)
        return f"{self._word} · {elapsed // 60}:{elapsed % 60:02d} · job {self.job_id}"

    def update(self, word: str) -> None:
        self._word = word

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()


class _LiveText:
    def __init__(self, waiter: Waiter) -> None:
        self._waiter = waiter

    def __rich__(self) -> str:
        return self._waiter._text()


@contextmanager
def uploading(label: str, total: int) -> Iterator[Any]:
    """A progress bar (bytes, rate, time left) for an upload, on a terminal only; yields an advance callback."""
    if not live_enabled(sys.stderr) or total < 1024 * 1024:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(file=sys.stderr, no_color=not color_enabled(sys.stderr))
    with Progress(
        TextColumn("uploading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda sent: progress.update(task, completed=sent)
