"""The output layer: data to stdout, everything else to stderr; the only module that imports rich."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from stt_cli.api.wire import sanitize

# How much goes to stderr: QUIET leaves results and errors, VERBOSE adds each HTTP request (set by -q / -v).
QUIET, NORMAL, VERBOSE = 0, 1, 2
DATA_CHUNK = 1 << 20  # characters encoded and written at a time
MAX_LINE = 20_000  # characters of one stderr line (a message quoting server text is bounded before this)
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


def _safe(message: str) -> str:
    """Whatever a message quotes (server text, file names), the terminal only ever gets text: escape
    sequences, control characters and bidi overrides are removed before stt adds colour of its own."""
    return sanitize(message, MAX_LINE)


def _emit(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def error(message: str, hint: str | None = None) -> None:
    """Always shown, -q or not."""
    line = f"{_paint('error:', '1;31', sys.stderr)} {_safe(message)}"
    if hint:
        line += f" ({_safe(hint)})"
    _emit(line)


def warn(message: str) -> None:
    if _level == QUIET:
        return
    _emit(f"{_paint('warning:', '33', sys.stderr)} {_safe(message)}")


def info(message: str, *, always: bool = False) -> None:
    """A progress or summary line on stderr; `always` for the ones -q keeps (what failed, and how to resume)."""
    if _level == QUIET and not always:
        return
    _emit(_safe(message))


def debug(message: str) -> None:
    """A -v line: what stt is doing on the wire."""
    if _level >= VERBOSE:
        _emit(_paint(_safe(message), "2", sys.stderr))


def data(text: str) -> None:
    """The result on stdout, as UTF-8 whatever the locale says."""
    if sys.stdout is None:  # started with stdout closed (>&-)
        from stt_cli.errors import UsageError

        raise UsageError("stdout is closed, so the result has nowhere to go", "write it to a file with -o PATH")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        for start in range(0, len(text), DATA_CHUNK):  # encoded a piece at a time: no second copy of a result
            buffer.write(text[start : start + DATA_CHUNK].encode("utf-8"))
        buffer.flush()
    else:  # an in-memory stream in tests
        sys.stdout.write(text)
        sys.stdout.flush()


def table(headers: list[str], rows: list[list[str]]) -> None:
    """A table of data on stdout: rich on a terminal, plain aligned columns for scripts and pipes."""
    rows = [[sanitize(cell) for cell in row] for row in rows]
    if _is_tty(sys.stdout):
        from rich.table import Table
        from rich.text import Text

        view = Table(box=None, header_style="bold", pad_edge=False)
        for header in headers:
            view.add_column(header, overflow="fold")
        for row in rows:
            view.add_row(*(Text(cell) for cell in row))  # Text: a file name is never read as rich markup
        _console(sys.stdout).print(view)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
        for cells in [[h.upper() for h in headers], *rows]
    ]
    data("\n".join(lines) + "\n")


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

    def __rich__(self) -> Any:
        from rich.text import Text

        return Text(_safe(self._waiter._text()))


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
        TextColumn("uploading {task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(sanitize(label.rsplit("/", 1)[-1], 60), total=total)  # the name: the bar must fit
        yield lambda sent: progress.update(task, completed=sent)


# --- What one source shows while it is transcribed: on its own (single) or as a row of a batch ---------
class SingleView:
    """One source: upload bar, the job line, the spinner, `wrote PATH`; the job id always stays on screen."""

    def __init__(self, label: str, size: int) -> None:
        self.label = label
        self.size = size

    def note(self, message: str) -> None:
        info(message)

    def sent(self) -> None:
        pass

    @contextmanager
    def uploading(self) -> Iterator[Any]:
        with uploading(self.label, self.size) as advance:
            yield advance

    def created(self, job_id: str, reused_at: float | None) -> None:
        from stt_cli.errors import command_line

        if reused_at is None:
            info(f"job {job_id} created for {self.label} (if interrupted: {command_line('stt', 'fetch', job_id)})")
        else:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(reused_at))
            info(f"reusing job {job_id} from {when} for {self.label} (--resubmit makes a new one)")

    @contextmanager
    def waiting(self, job_id: str) -> Iterator[Any]:
        with Waiter(job_id) as waiter:
            yield lambda state: waiter.update(state.status.shown)

    def done(self, target: Path | None, unchanged: bool = False) -> None:
        if target is not None:
            info(f"{target} already holds this result" if unchanged else f"wrote {target}")


RUNNING = ("uploading", "waiting")


class _Row:
    __slots__ = ("delivered", "detail", "job_id", "label", "sent", "started", "state", "total")

    def __init__(self, label: str) -> None:
        self.label = label
        self.state = "queued"
        self.detail = ""
        self.job_id = ""
        self.delivered = False  # the whole create went out: a job may exist before its id is known
        self.sent = 0
        self.total = 0
        self.started = 0.0


class BatchView:
    """Many sources: a live table of fixed height on a terminal (totals, the rows in flight, the last
    failures), plain lines elsewhere. Its cost does not grow with the batch: counts are kept as rows change."""

    STATES = ("queued", "uploading", "waiting", "done", "failed", "skipped", "interrupted")
    SHOWN_RUNNING = 12  # rows in flight shown by name; the others are counted in the totals
    SHOWN_FAILURES = 5
    REFRESH_PER_SECOND = 4

    def __init__(self, labels: list[str], cancelled: Any = None) -> None:
        self.rows = [_Row(sanitize(label, 200)) for label in labels]
        self.counts = dict.fromkeys(self.STATES, 0)
        self.counts["queued"] = len(labels)
        self._running: dict[int, _Row] = {}
        self._failures: list[_Row] = []
        self._live: Any = None
        self._cancelled = cancelled
        self.started = time.monotonic()

    def __enter__(self) -> BatchView:
        if live_enabled(sys.stderr):
            from rich.live import Live

            console = _console(sys.stderr)
            self._live = Live(
                _LiveTable(self),
                console=console,
                refresh_per_second=self.REFRESH_PER_SECOND,
                transient=False,
                redirect_stdout=False,  # stdout is data: never through the stderr console
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def _line(self, text: str, *, always: bool = False) -> None:
        if self._live is None:
            info(text, always=always)

    def move(self, index: int, state: str) -> _Row:
        row = self.rows[index]
        self.counts[row.state] -= 1
        self.counts[state] += 1
        row.state = state
        if state in RUNNING:
            self._running[index] = row
        else:
            self._running.pop(index, None)
        if state == "failed":
            self._failures = [*self._failures, row][-self.SHOWN_FAILURES :]
        return row

    def row(self, index: int) -> RowView:
        return RowView(self, index)

    def skip(self, index: int, reason: str) -> None:
        row = self.move(index, "skipped")
        row.detail = reason
        self._line(f"skipped {row.label}: {reason}")

    def fail(self, index: int, message: str, hint: str | None = None) -> None:
        from stt_cli.errors import command_line

        row = self.move(index, "failed")
        row.detail = sanitize(message, 300)
        suffix = f" (job {row.job_id}: {command_line('stt', 'fetch', row.job_id)})" if row.job_id else ""
        self._line(f"failed {row.label}: {message}{suffix}" + (f" ({hint})" if hint else ""), always=True)

    def interrupt(self, index: int) -> None:
        from stt_cli.errors import command_line

        row = self.move(index, "interrupted")
        if row.job_id:
            row.detail = "goes on on the server"
            self._line(
                f"interrupted {row.label}: job {row.job_id} goes on ({command_line('stt', 'fetch', row.job_id)})",
                always=True,
            )
        else:
            row.detail = "interrupted"
            self._line(f"interrupted {row.label}")

    def totals(self) -> str:
        counts = self.counts
        finished = counts["done"] + counts["failed"]
        elapsed = max(time.monotonic() - self.started, 1e-3)
        parts = [
            f"{counts['done']} done",
            f"{counts['uploading'] + counts['waiting']} running",
            f"{counts['failed']} failed",
            f"{counts['queued']} queued",
        ]
        if counts["skipped"]:
            parts.append(f"{counts['skipped']} skipped")
        if counts["interrupted"]:
            parts.append(f"{counts['interrupted']} interrupted")
        rate = finished / elapsed
        parts.append(f"{rate:.1f}/s")
        left = counts["queued"] + counts["uploading"] + counts["waiting"]
        if finished and left:
            seconds = int(left / rate)
            parts.append(f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d} left")
        return " · ".join(parts)

    def render(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("source", overflow="ellipsis", max_width=48, no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("detail", overflow="ellipsis", no_wrap=True, max_width=48)
        table.add_column("job", no_wrap=True)
        now = time.monotonic()
        running = list(self._running.values())
        for row in [*running[: self.SHOWN_RUNNING], *self._failures]:
            detail = row.detail
            if row.state == "uploading" and row.total:
                elapsed = max(now - row.started, 1e-3)
                detail = f"{row.sent / 1e6:.1f}/{row.total / 1e6:.1f} MB  {row.sent / elapsed / 1e6:.1f} MB/s"
            table.add_row(Text(row.label), Text(row.state), Text(detail), Text(row.job_id))
        more = len(running) - self.SHOWN_RUNNING
        if more > 0:
            table.add_row(Text(f"... and {more} more running"), Text(""), Text(""), Text(""))
        return Group(table, Text(self.totals(), no_wrap=True, overflow="ellipsis"))


class _LiveTable:
    def __init__(self, view: BatchView) -> None:
        self._view = view

    def __rich__(self) -> Any:
        return self._view.render()


class RowView:
    """The same hooks as SingleView, reporting into one row of a BatchView."""

    def __init__(self, view: BatchView, index: int) -> None:
        self._view = view
        self._index = index
        self._row = view.rows[index]

    def note(self, message: str) -> None:
        self._row.detail = sanitize(message, 200)
        self._view._line(f"{self._row.label}: {message}")

    @contextmanager
    def uploading(self) -> Iterator[Any]:
        row = self._view.move(self._index, "uploading")
        row.started = time.monotonic()

        def advance(sent: int) -> None:
            if self._view._cancelled is not None:
                self._view._cancelled()
            row.sent = sent

        yield advance

    def set_total(self, total: int) -> None:
        self._row.total = total

    def sent(self) -> None:
        self._row.delivered = True
        self._row.detail = "sent; waiting for the job id"

    def created(self, job_id: str, reused_at: float | None) -> None:
        row = self._view.move(self._index, "waiting")
        row.job_id = job_id
        row.detail = "reused from the ledger" if reused_at is not None else "submitted"
        verb = "reusing" if reused_at is not None else "created"
        self._view._line(f"job {job_id} {verb} for {row.label}")

    @contextmanager
    def waiting(self, job_id: str) -> Iterator[Any]:
        def on_status(state: Any) -> None:
            self._row.detail = state.status.shown

        yield on_status

    def done(self, target: Path | None, unchanged: bool = False) -> None:
        row = self._view.move(self._index, "done")
        row.detail = str(target) if target else ""
        what = "already written" if unchanged else "->"
        self._view._line(f"done {row.label} {what} {target}")
