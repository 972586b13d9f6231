"""The batch's live table keeps a fixed height whatever the batch's size."""

from __future__ import annotations

import os
from pathlib import Path


def test_the_live_table_keeps_a_fixed_height() -> None:
    from rich.console import Console

    from stt_cli.cli import output
    from stt_cli.cli.views import BatchView
    from stt_cli.errors import JobFailed

    output.set_verbosity(output.QUIET)  # the plain lines off a terminal are not what is measured here
    view = BatchView([f"/audio/rec{n:04d}.wav" for n in range(2000)])
    for index in range(2000):
        row = view.item(index, 0)
        with row.uploading():
            pass
        row.created(f"job-{index}", None)
        if index % 100 == 7:
            view.failed(index, JobFailed(f"failure {index}"), f"job-{index}")
        elif index < 1990:
            row.done(Path(f"/out/rec{index:04d}.txt"))
    console = Console(width=120, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(view.render())
    lines = console.export_text().splitlines()
    running = 2000 - 1990 - sum(1 for i in range(1990, 2000) if i % 100 == 7)
    assert len(lines) <= 1 + running + BatchView.SHOWN_FAILURES + 1
    caption = lines[-1]
    assert "done" in caption and "running" in caption and "failed" in caption and "queued" in caption
    assert "/s" in caption
    assert view.counts["failed"] == 20 and view.counts["done"] == 1970
    output.set_verbosity(output.NORMAL)
