"""The ledger's one connection, shared by a run's threads: closing it never pulls it from under a query."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from stt_cli.core import ledger as ledger_module
from stt_cli.core.ledger import Ledger


def test_close_waits_for_a_thread_in_a_query_and_leaves_it_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "CLOSE_WAIT", 0.2)
    book = Ledger(tmp_path / "ledger.sqlite3")
    assert book.list() == []
    inside, leave = threading.Event(), threading.Event()
    seen: list[object] = []

    def worker() -> None:
        with book._connect() as db:  # a worker in the middle of a query when the run ends
            inside.set()
            leave.wait(5)
            seen.append(db.execute("SELECT count(*) FROM jobs").fetchone()[0])

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    book.close()  # gives up after the timeout instead of closing under the worker
    leave.set()
    thread.join(5)
    assert seen == [0]  # the worker's connection still worked
    book.close()  # now nobody uses it: it closes
    assert book._db is None
