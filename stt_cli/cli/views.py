"""What a person sees while stt works, on stderr: spinners, upload bars and the batch's live table.

They implement the use cases' Reporter (stt_cli/core/reporter.py); off a terminal, in CI or with -q they
print plain lines or nothing. Results never come through here: they go to stdout through cli/output.py."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stt_cli.api.wire import sanitize
from stt_cli.cli import output
from stt_cli.cli.amounts import dollars, totals_line
from stt_cli.cli.hints import as_dict, explain, fetch_command, price_words
from stt_cli.cli.output import _console, _safe, info, live_enabled
from stt_cli.cli.spelling import spell
from stt_cli.errors import ExitCode, SttError, local_minute

if TYPE_CHECKING:
    from stt_cli.core.pricelist import Quote
    from stt_cli.core.reporter import Preview, Submitted, Summary


class Waiter:
    """What the user sees while a job runs: a spinner with status and elapsed time, or nothing off a terminal."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._started = time.monotonic()
        self._status: Any = None
        self._word = "submitted"

    def __enter__(self) -> Waiter:
        if live_enabled(sys.stderr):
            from rich.status import Status  # rich loads only when it draws

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
        from rich.text import Text  # rich loads only when it draws

        return Text(_safe(self._waiter._text()))


@contextmanager
def uploading(label: str, total: int | None, size: int = 0) -> Iterator[Any]:
    """A progress bar (bytes, rate, time left) for an upload, on a terminal only; yields an advance callback.

    total None: the length is known only at the end (audio prepared while it is sent), a pulsing bar for a
    source of `size` bytes."""
    if not live_enabled(sys.stderr) or (total if total is not None else size) < 1024 * 1024:
        yield None
        return
    from rich.progress import (  # rich loads only when it draws
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
    def uploading(self, total: int | None = None) -> Iterator[Any]:
        with uploading(self.label, total, self.size) as advance:
            yield advance

    def created(self, job_id: str, reused_at: float | None) -> None:
        if reused_at is None:
            info(f"job {job_id} created for {self.label} (if interrupted: {fetch_command(job_id)})")
        else:
            when = local_minute(reused_at)
            info(f"reusing job {job_id} from {when} for {self.label} (--resubmit makes a new one)")

    def fetching(self, job_id: str) -> None:
        pass  # the id is on the command line already

    @contextmanager
    def waiting(self, job_id: str) -> Iterator[Any]:
        with Waiter(job_id) as waiter:
            yield lambda state: waiter.update(state.status.shown)

    def done(self, target: Path | None, unchanged: bool = False) -> None:
        if target is not None:
            real = Path(os.path.realpath(target)) if target.is_symlink() else target  # the file the text is in
            shown = target if real == target else f"{real} (through the link {target})"
            info(f"{shown} already holds this result" if unchanged else f"wrote {shown}")


RUNNING = ("uploading", "waiting")


class _Row:
    __slots__ = ("detail", "job_id", "label", "sent", "started", "state", "total")

    def __init__(self, label: str) -> None:
        self.label = label
        self.state = "queued"
        self.detail = ""
        self.job_id = ""
        self.sent = 0
        self.total = 0
        self.started = 0.0


class BatchView:
    """Many sources: a live table of fixed height on a terminal (totals, the rows in flight, the last
    failures), plain lines elsewhere. Its cost does not grow with the batch: counts are kept as rows change."""

    STATES = ("queued", "uploading", "waiting", "done", "failed", "pending", "skipped", "interrupted")
    SHOWN_RUNNING = 12  # rows in flight shown by name; the others are counted in the totals
    SHOWN_FAILURES = 5
    REFRESH_PER_SECOND = 4

    def __init__(self, labels: list[str]) -> None:
        self.rows = [_Row(sanitize(label, 200)) for label in labels]
        self.counts = dict.fromkeys(self.STATES, 0)
        self.counts["queued"] = len(labels)
        self._running: dict[int, _Row] = {}
        self._failures: list[_Row] = []
        self._live: Any = None
        self.started = time.monotonic()

    def __enter__(self) -> BatchView:
        if live_enabled(sys.stderr):
            from rich.live import Live  # rich loads only when it draws

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
        if state in ("failed", "pending"):
            self._failures = [*self._failures, row][-self.SHOWN_FAILURES :]
        return row

    # --- the use cases' BatchReporter ---
    def item(self, index: int, size: int) -> RowView:
        row = RowView(self, index)
        if size:
            row.set_total(size)
        return row

    def skipped(self, index: int, reason: str) -> None:
        row = self.move(index, "skipped")
        row.detail = reason
        self._line(f"skipped {row.label}: {reason}")

    def failed(self, index: int, error: SttError, job_id: str) -> None:
        """An item that ended without its result: failed, or still pending when the wait ran out (--timeout)."""
        message, hint = explain(error)
        state = "pending" if error.exit_code == ExitCode.PENDING else "failed"
        row = self.move(index, state)
        row.detail = sanitize(message, 300)
        if output.json_errors():
            if self._live is None:
                output.error(f"{row.label}: {message}", hint, int(error.exit_code))
            return
        resume = row.job_id and "stt fetch" not in (hint or "")  # the hint names the command already
        suffix = f" (job {row.job_id}: {fetch_command(row.job_id)})" if resume else ""
        shown = f" ({hint})" if hint else ""
        self._line(f"{state} {row.label}: {message}{suffix}{shown}", always=True)

    def interrupted(self, index: int, job_id: str) -> None:
        row = self.move(index, "interrupted")
        if row.job_id:
            row.detail = "goes on on the server"
            self._line(f"interrupted {row.label}: job {row.job_id} goes on ({fetch_command(row.job_id)})", always=True)
        else:
            row.detail = "interrupted"
            self._line(f"interrupted {row.label}")

    def totals(self) -> str:
        counts = self.counts
        finished = counts["done"] + counts["failed"] + counts["pending"]
        elapsed = max(time.monotonic() - self.started, 1e-3)
        parts = [
            f"{counts['done']} done",
            f"{counts['uploading'] + counts['waiting']} running",
            f"{counts['failed']} failed",
            f"{counts['queued']} queued",
        ]
        if counts["pending"]:
            parts.append(f"{counts['pending']} still pending")
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
        from rich.console import Group  # rich loads only when it draws
        from rich.table import Table  # rich loads only when it draws
        from rich.text import Text  # rich loads only when it draws

        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("source", overflow="ellipsis", max_width=48, no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("detail", overflow="ellipsis", no_wrap=True, max_width=48)
        table.add_column("job", no_wrap=True)
        now = time.monotonic()
        running = list(self._running.values())
        for row in [*running[: self.SHOWN_RUNNING], *self._failures]:
            detail = row.detail
            if row.state == "uploading" and (row.total or row.sent):
                elapsed = max(now - row.started, 1e-3)
                of = f"/{row.total / 1e6:.1f}" if row.total else ""  # 0: prepared while it is sent
                detail = f"{row.sent / 1e6:.1f}{of} MB  {row.sent / elapsed / 1e6:.1f} MB/s"
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
        self._row.detail = sanitize(spell(message), 200)
        self._view._line(f"{self._row.label}: {message}")

    @contextmanager
    def uploading(self, total: int | None = None) -> Iterator[Any]:
        row = self._view.move(self._index, "uploading")
        row.total = total if total is not None else 0
        row.started = time.monotonic()

        def advance(sent: int) -> None:
            row.sent = sent

        yield advance

    def set_total(self, total: int) -> None:
        self._row.total = total

    def sent(self) -> None:
        self._row.detail = "sent; waiting for the job id"

    def created(self, job_id: str, reused_at: float | None) -> None:
        row = self._view.move(self._index, "waiting")
        row.job_id = job_id
        row.detail = "reused from the ledger" if reused_at is not None else "submitted"
        said = f"reusing job {job_id}" if reused_at is not None else f"job {job_id} created"
        self._view._line(f"{said} for {row.label}")

    def fetching(self, job_id: str) -> None:
        row = self._view.move(self._index, "waiting")
        row.job_id = job_id
        row.detail = "asking"

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


class TerminalReporter:
    """The use cases' Reporter on a terminal, a pipe or in CI: lines on stderr, results on stdout; with
    `records` (--json), one JSON object per item on stdout and every error line on stderr in JSON."""

    def __init__(self, records: bool = False) -> None:
        self.records = records
        if records:
            output.set_json_errors(True)

    def outcome(self, record: dict[str, Any]) -> None:
        if self.records:
            error = record.get("error")
            output.json_lines([{**record, "error": as_dict(error) if isinstance(error, SttError) else None}])

    def warn(self, message: str) -> None:
        output.warn(message)

    def note(self, message: str, *, always: bool = False) -> None:
        output.info(message, always=always)

    def data(self, text: str) -> None:
        output.data(text)

    def skipped(self, label: str, reason: str) -> None:
        output.info(f"skipped {label}: {reason} (--skip-existing)")

    def failure(self, error: SttError, label: str) -> None:
        message, hint = explain(error)
        output.error(f"{label}: {message}", hint, int(error.exit_code))

    def single(self, label: str, size: int) -> SingleView:
        return SingleView(label, size)

    def batch(self, labels: list[str]) -> BatchView:
        return BatchView(labels)

    def submitted(self, job: Submitted) -> None:
        output.data(job.generation_id + "\n")

    @property
    def as_json(self) -> bool:
        return self.records

    def previewed(self, previews: list[Preview], price: Quote | None = None) -> None:
        previews = [preview._replace(how=spell(preview.how)) for preview in previews]
        priced = price is not None and price.usd_per_second is not None
        if self.as_json:
            output.json_lines([_priced_preview(preview, price) for preview in previews])
            return
        rows = [_preview_row(p.source, p.duration, p.size, p.sent, p.how) for p in previews]
        costs = [price.cost(p.duration) if price is not None else None for p in previews]
        if len(previews) > 1:
            known = [p.duration for p in previews if p.duration is not None]
            sent = [p.sent for p in previews if p.sent is not None]
            sizes = [p.size for p in previews if p.size is not None]
            partly = " (some lengths not known)" if len(known) < len(previews) else ""
            total = f"total: {len(previews)} sources"
            rows.append(_preview_row(total, sum(known) if known else None, sum(sizes), sum(sent), partly.strip()))
            counted = [cost for cost in costs if cost is not None]
            costs.append(sum(counted, Decimal(0)) if counted else None)
        headers = ["source", "audio", "file", "sent", "how"]
        if priced:  # a cost column only where there is a price: nothing is guessed
            headers.insert(4, "cost")
            for row, cost in zip(rows, costs, strict=True):
                row.insert(4, "-" if cost is None else "~" + dollars(cost))
        output.table(headers, rows)
        if price is not None:
            output.info(price_words(price, time.time()))
        output.info("nothing was sent (--dry-run)")

    def finished(self, summary: Summary) -> None:
        files = f" ({summary.files} files)" if summary.files > summary.done else ""
        pending = [label for label, error in summary.failures if error.exit_code == ExitCode.PENDING]
        waiting = f", {len(pending)} still pending" if pending else ""
        output.info(
            f"{summary.done} done{files}, {len(summary.failures) - len(pending)} failed{waiting}, "
            f"{summary.skipped} skipped of {summary.total} in {summary.seconds:.1f} s"
        )
        if summary.totals is not None and summary.totals.jobs:
            output.info(totals_line(summary.totals))
        if self.records:
            return  # each failure is in its record on stdout, and was an error line on stderr
        for label, error in summary.failures:
            state = "pending" if error.exit_code == ExitCode.PENDING else "failed"
            output.info(f"  {state}: {label}: {explain(error)[0]} (exit {error.exit_code})", always=True)


class SubmitReporter(TerminalReporter):
    """`stt submit`: the ids go to stdout (as lines, or JSON lines with --json), so stderr shows only the
    upload bar and which jobs were reused."""

    def __init__(self, as_json: bool) -> None:
        super().__init__(records=False)
        self._as_json = as_json

    @property
    def as_json(self) -> bool:
        return self._as_json

    def single(self, label: str, size: int) -> SingleView:
        return _QuietView(label, size)

    def submitted(self, job: Submitted) -> None:
        if self._as_json:
            output.json_lines([job.as_dict()])
        else:
            super().submitted(job)


class _QuietView(SingleView):
    def created(self, job_id: str, reused_at: float | None) -> None:
        if reused_at is not None:
            super().created(job_id, reused_at)


def _priced_preview(preview: Preview, price: Quote | None) -> dict[str, Any]:
    """A dry run's JSON line: the preview, and with a price known, what it would cost and where that came from."""
    if price is None:
        return preview.as_dict()
    cost = price.cost(preview.duration)
    return {**preview.as_dict(), "estimated_usd": float(cost) if cost is not None else None, **price.as_dict()}


def _preview_row(source: str, seconds: float | None, size: int | None, sent: int | None, how: str) -> list[str]:
    def amount(count: int | None) -> str:
        if count is None:
            return "-"
        for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if count >= scale:
                return f"{count / scale:.1f} {unit}"
        return f"{count} B"

    audio = "?"
    if seconds is not None:
        tenths = round(seconds * 10)
        hours, rest = divmod(tenths, 36000)
        audio = (
            f"{hours}:{rest // 600:02d}:{rest % 600 / 10:04.1f}" if hours else f"{rest // 600}:{rest % 600 / 10:04.1f}"
        )
    return [source, audio, amount(size), amount(sent), how]
