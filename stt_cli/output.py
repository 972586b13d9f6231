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

# How much goes to stderr: QUIET leaves results and errors, VERBOSE adds each HTTP request (set by -q / -v).
QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL


def set_verbosity(level: int) -> None:
    global _level
    _level = level


def verbosity() -> int:
    return _level


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _env_flag(name: str) -> bool:
    """NO_COLOR / FORCE_COLOR / CI count when set to anything but empty (and FORCE_COLOR=0 means no)."""
    value = os.environ.get(name, "")
    return bool(value) and not (name == "FORCE_COLOR" and value in ("0", "false"))


def color_enabled(stream: TextIO) -> bool:
    """Colour for a person at a terminal: NO_COLOR wins, FORCE_COLOR forces it, CI and pipes turn it off."""
    if _env_flag("NO_COLOR"):
        return False
    if _env_flag("FORCE_COLOR"):
        return True
    return _is_tty(stream) and not _env_flag("CI") and os.environ.get("TERM") != "dumb"


def live_enabled(stream: TextIO) -> bool:
    """Spinners, bars and live tables only for a person watching a terminal: never in CI, a pipe or -q."""
    return _level > QUIET and _is_tty(stream) and not _env_flag("CI") and os.environ.get("TERM") != "dumb"


def _console(stream: TextIO) -> Any:
    """A rich console that follows the same rules (rich's own FORCE_COLOR reading would make pipes live)."""
    from rich.console import Console

    color = color_enabled(stream)
    return Console(file=stream, no_color=not color, color_system="auto" if color else None, force_terminal=True)


def _paint(text: str, code: str, stream: TextIO) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color_enabled(stream) else text


def error(message: str, hint: str | None = None) -> None:
    """Always shown, -q or not."""
    stream = sys.stderr
    line = f"{_paint('error:', '1;31', stream)} {message}"
    if hint:
        line += f" ({hint})"
    stream.write(line + "\n")
    stream.flush()


def warn(message: str) -> None:
    if _level == QUIET:
        return
    sys.stderr.write(f"{_paint('warning:', '33', sys.stderr)} {message}\n")
    sys.stderr.flush()


def info(message: str, *, always: bool = False) -> None:
    """A progress or summary line on stderr; `always` for the ones -q keeps (what failed, and how to resume)."""
    if _level == QUIET and not always:
        return
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def debug(message: str) -> None:
    """A -v line: what stt is doing on the wire."""
    if _level >= VERBOSE:
        sys.stderr.write(_paint(message, "2", sys.stderr) + "\n")
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


def table(headers: list[str], rows: list[list[str]]) -> None:
    """A table of data on stdout: rich on a terminal, plain aligned columns for scripts and pipes."""
    if _is_tty(sys.stdout):
        from rich.table import Table

        view = Table(box=None, header_style="bold", pad_edge=False)
        for header in headers:
            view.add_column(header, overflow="fold")
        for row in rows:
            view.add_row(*row)
        _console(sys.stdout).print(view)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
        for cells in [[h.upper() for h in headers], *rows]
    ]
    data("\n".join(lines) + "\n")


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
            from rich.status import Status

            console = _console(sys.stderr)
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
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = _console(sys.stderr)
    with Progress(
        TextColumn("uploading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(label.rsplit("/", 1)[-1], total=total)  # the file name: the bar must fit
        yield lambda sent: progress.update(task, completed=sent)


# --- What one source shows while it is transcribed: on its own (single) or as a row of a batch ---------
class SingleView:
    """One source: upload bar, the job line, the spinner, `wrote PATH`; the job id always stays on screen."""

    def __init__(self, label: str, size: int) -> None:
        self.label = label
        self.size = size

    @contextmanager
    def uploading(self) -> Iterator[Any]:
        with uploading(self.label, self.size) as advance:
            yield advance

    def created(self, job_id: str, reused_at: float | None) -> None:
        if reused_at is None:
            info(f"job {job_id} created for {self.label} (if interrupted: stt fetch {job_id})")
        else:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(reused_at))
            info(f"reusing job {job_id} from {when} for {self.label} (--resubmit makes a new one)")

    @contextmanager
    def waiting(self, job_id: str) -> Iterator[Any]:
        with Waiter(job_id) as waiter:
            yield lambda state: waiter.update(state.status.shown)

    def done(self, target: Path | None) -> None:
        if target is not None:
            info(f"wrote {target}")


class _Row:
    def __init__(self, label: str) -> None:
        self.label = label
        self.state = "queued"
        self.detail = ""
        self.job_id = ""
        self.sent = 0
        self.total = 0
        self.started = 0.0


class BatchView:
    """Many sources: a live table on a terminal (state, bytes and rate, job id), plain lines elsewhere."""

    STATES = ("queued", "uploading", "waiting", "done", "failed", "skipped", "interrupted")

    def __init__(self, labels: list[str], cancelled: Any = None) -> None:
        self.rows = [_Row(label) for label in labels]
        self._live: Any = None
        self._cancelled = cancelled

    def __enter__(self) -> BatchView:
        if live_enabled(sys.stderr):
            from rich.live import Live

            console = _console(sys.stderr)
            self._live = Live(_LiveTable(self), console=console, refresh_per_second=4, transient=False)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def _line(self, text: str, *, always: bool = False) -> None:
        if self._live is None:
            info(text, always=always)

    def row(self, index: int) -> RowView:
        return RowView(self, self.rows[index])

    def skip(self, index: int, reason: str) -> None:
        row = self.rows[index]
        row.state, row.detail = "skipped", reason
        self._line(f"skipped {row.label}: {reason}")

    def fail(self, index: int, message: str) -> None:
        row = self.rows[index]
        row.state, row.detail = "failed", message
        suffix = f" (job {row.job_id}: stt fetch {row.job_id})" if row.job_id else ""
        self._line(f"failed {row.label}: {message}{suffix}", always=True)

    def interrupt(self, index: int) -> None:
        row = self.rows[index]
        row.state = "interrupted"
        if row.job_id:
            row.detail = "goes on on the server"
            self._line(f"interrupted {row.label}: job {row.job_id} goes on (stt fetch {row.job_id})", always=True)
        else:
            row.detail = "no job created"
            self._line(f"interrupted {row.label}: no job was created")

    def totals(self) -> str:
        counts = {state: sum(1 for r in self.rows if r.state == state) for state in self.STATES}
        return " · ".join(f"{n} {state}" for state, n in counts.items() if n)

    def render(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold", caption=self.totals())
        table.add_column("source", overflow="ellipsis", max_width=48, no_wrap=True)
        table.add_column("state")
        table.add_column("detail", overflow="ellipsis", no_wrap=True)
        table.add_column("job", overflow="fold")
        for row in self.rows:
            detail = row.detail
            if row.state == "uploading" and row.total:
                elapsed = max(time.monotonic() - row.started, 1e-3)
                detail = f"{row.sent / 1e6:.1f}/{row.total / 1e6:.1f} MB  {row.sent / elapsed / 1e6:.1f} MB/s"
            table.add_row(row.label, row.state, detail, row.job_id)
        return table


class _LiveTable:
    def __init__(self, view: BatchView) -> None:
        self._view = view

    def __rich__(self) -> Any:
        return self._view.render()


class RowView:
    """The same hooks as SingleView, reporting into one row of a BatchView."""

    def __init__(self, view: BatchView, row: _Row) -> None:
        self._view = view
        self._row = row

    @contextmanager
    def uploading(self) -> Iterator[Any]:
        row = self._row
        row.state, row.started = "uploading", time.monotonic()

        def advance(sent: int) -> None:
            if self._view._cancelled is not None:
                self._view._cancelled()
            row.sent = sent

        yield advance

    def set_total(self, total: int) -> None:
        self._row.total = total

    def created(self, job_id: str, reused_at: float | None) -> None:
        row = self._row
        row.job_id, row.state = job_id, "waiting"
        row.detail = "reused from the ledger" if reused_at is not None else "submitted"
        verb = "reusing" if reused_at is not None else "created"
        self._view._line(f"job {job_id} {verb} for {row.label}")

    @contextmanager
    def waiting(self, job_id: str) -> Iterator[Any]:
        def on_status(state: Any) -> None:
            self._row.detail = state.status.shown

        yield on_status

    def done(self, target: Path | None) -> None:
        row = self._row
        row.state, row.detail = "done", str(target) if target else ""
        self._view._line(f"done {row.label} -> {target}")
