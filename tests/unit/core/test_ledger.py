"""The ledger: one transaction a method (all or nothing), a context manager that closes it, typed rows, a
schema that older ledgers are brought up to, and a close that never pulls the connection from under a query."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from stt_cli.api.charge import Charge
from stt_cli.core import ledger as ledger_module
from stt_cli.core.ledger import (
    SCHEMA_VERSION,
    Claimed,
    Ledger,
    RecentJob,
    Reuse,
    UnknownCreate,
    Work,
    ledger_path,
    owner_alive,
    recent_jobs,
    work_key,
)
from stt_cli.errors import UsageError

HOST = "127.0.0.1:1"


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        yield ledger


def _peek(path: Path, query: str, *args: object) -> list[tuple[object, ...]]:
    """What another process sees in the ledger file: committed rows only."""
    other = sqlite3.connect(path)
    try:
        return other.execute(query, args).fetchall()
    finally:
        other.close()


def _work(n: int) -> Work:
    return Work(f"/audio/{n}.wav", f"sha256:{n:064x}", "#g1_whisper-large", {"language": "en"}, 10, f"{n:064x}")


# --- the context manager and close ------------------------------------------------------------------
def test_leaving_the_block_closes_the_ledger_and_frees_its_claims_owner(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        ledger.add("job-1", HOST, "/a.wav", "m", {})
        owner = ledger.owner
        assert owner_alive(tmp_path, owner)
    assert not owner_alive(tmp_path, owner)  # its claims now count as a killed process's
    with pytest.raises(RuntimeError), Ledger(tmp_path / "ledger.sqlite3") as ledger:
        owner = ledger.owner
        raise RuntimeError
    assert not owner_alive(tmp_path, owner)  # closed on the way out of an error too
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert [r.id for r in ledger.list()] == ["job-1"]


def test_close_waits_for_a_thread_in_a_query_and_leaves_it_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "CLOSE_WAIT", 0.2)
    book = Ledger(tmp_path / "ledger.sqlite3")
    assert book.list() == []
    inside, leave = threading.Event(), threading.Event()
    seen: list[object] = []

    def worker() -> None:
        with book._transaction() as db:  # a worker in the middle of a query when the run ends
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


# --- one transaction a method -----------------------------------------------------------------------
def test_remove_jobs_removes_exactly_those_jobs_and_counts_the_ones_still_there(book: Ledger) -> None:
    for job_id, host in (("a", HOST), ("b", HOST), ("b", "127.0.0.1:2"), ("c", HOST)):
        book.add(job_id, host, f"/audio/{job_id}.wav", "m", {})
    chosen = [r for r in book.with_ids(["a", "b"]) if r.host == HOST]
    assert book.remove_jobs(chosen) == 2
    assert book.remove_jobs(chosen) == 0  # already gone
    assert sorted((r.id, r.host) for r in book.list()) == [("b", "127.0.0.1:2"), ("c", HOST)]


def test_remove_jobs_that_fails_part_way_removes_nothing(book: Ledger) -> None:
    for job_id in ("a", "b", "c"):
        book.add(job_id, HOST, f"/audio/{job_id}.wav", "m", {})
    jobs = book.with_ids(["a", "b", "c"])
    other = sqlite3.connect(book.path)  # the third DELETE fails, as a full disk or a damaged page would
    other.execute("CREATE TRIGGER refuse BEFORE DELETE ON jobs WHEN old.id = 'c' BEGIN SELECT RAISE(ABORT, 'no'); END")
    other.commit()
    other.close()
    with pytest.raises(UsageError, match="cannot be used"):
        book.remove_jobs(jobs)
    assert _peek(book.path, "SELECT id FROM jobs ORDER BY id") == [("a",), ("b",), ("c",)]
    assert [r.id for r in book.list()] == ["c", "b", "a"]  # and the ledger goes on working


def test_a_write_interrupted_inside_its_transaction_leaves_nothing_and_the_ledger_usable(
    book: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = book.claim(HOST, _work(1))
    assert isinstance(first, Claimed)

    def interrupt(*args: object) -> bool:
        raise KeyboardInterrupt

    with Ledger(book.path) as other:  # another process's
        with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
            patch.setattr(ledger_module, "owner_alive", interrupt)  # asked inside claim's write transaction
            other.claim(HOST, _work(1))
        assert _peek(book.path, "SELECT owner FROM claims") == [(book.owner,)]  # the claim kept its owner
        assert isinstance(other.claim(HOST, _work(2)), Claimed)  # no transaction was left open


def test_a_locked_ledger_is_one_usage_error_and_works_once_the_lock_goes(
    book: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "BUSY_TIMEOUT", 0.1)
    book.add("a", HOST, "/a.wav", "m", {})
    holder = sqlite3.connect(Path(book.path), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO jobs (id, host, created_at, updated_at, source, model, options, status)"
                       " VALUES ('x', 'h', 0, 0, '/x.wav', 'm', '{}', 'queued')")  # fmt: skip
        assert [r.id for r in book.list()] == ["a"]  # a read does not wait for the writer, nor see its rows
        with pytest.raises(UsageError, match="stayed locked"):
            book.release("some-key")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    book.add("b", HOST, "/b.wav", "m", {})
    assert [r.id for r in book.list()] == ["b", "a"]


def test_an_update_with_nothing_new_writes_nothing(book: Ledger) -> None:
    book.add("a", HOST, "/a.wav", "m", {}, status="processing")
    watcher = sqlite3.connect(book.path)  # PRAGMA data_version moves when another connection commits a change
    try:
        before = watcher.execute("PRAGMA data_version").fetchone()
        book.update("a", HOST, status="processing")
        book.update("nobody", HOST, status="completed")
        assert watcher.execute("PRAGMA data_version").fetchone() == before
        book.update("a", HOST, status="completed", result={"text": "hi"}, output="/out/a.txt")
        assert watcher.execute("PRAGMA data_version").fetchone() != before
    finally:
        watcher.close()
    record = book.get("a", HOST)
    assert record is not None and record.status == "completed" and record.result == {"text": "hi"}
    book.update("a", HOST, result={"text": "changed"}, output="/out/a.srt")
    record = book.get("a", HOST)
    assert record is not None and record.result == {"text": "hi"}  # a stored result never changes
    assert record.outputs == ["/out/a.txt", "/out/a.srt"]
    written = book.output("/out/a.srt")
    assert written is not None and (written.source, written.job_id) == ("/a.wav", "a")


# --- creates in flight ------------------------------------------------------------------------------
def test_record_created_records_the_job_and_drops_the_claim(book: Ledger) -> None:
    claim = book.claim(HOST, _work(1))
    assert isinstance(claim, Claimed) and claim.resumed is None
    assert book.record_created(claim.idempotency_key, "job-1", HOST, _work(1)) is None
    assert _peek(book.path, "SELECT count(*) FROM claims") == [(0,)]
    again = book.claim(HOST, _work(1))
    assert isinstance(again, Reuse) and again.record.id == "job-1" and again.record.source == "/audio/1.wav"


def test_record_created_refuses_an_id_the_ledger_holds_for_other_work(book: Ledger) -> None:
    first = book.claim(HOST, _work(1))
    assert isinstance(first, Claimed)
    book.record_created(first.idempotency_key, "job-1", HOST, _work(1))
    second = book.claim(HOST, _work(2))
    assert isinstance(second, Claimed)
    assert book.record_created(second.idempotency_key, "job-1", HOST, _work(2)) == "/audio/1.wav"
    record = book.get("job-1", HOST)
    assert record is not None and record.source == "/audio/1.wav"  # the first job's row is kept
    [unknown] = book.unknown_creates()  # kept, for the user to see: that create may have made a job
    assert (unknown.idempotency_key, unknown.source) == (second.idempotency_key, "/audio/2.wav")


def test_unknown_creates_are_typed_and_list_only_creates_no_live_process_is_making(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as killed:
        lost = killed.claim(HOST, _work(1))  # its process goes before the create answers
    with Ledger(path) as book:
        cut = book.claim(HOST, _work(2))
        sending = book.claim(HOST, _work(3))  # in flight in this live process: not unknown
        assert isinstance(lost, Claimed) and isinstance(cut, Claimed) and isinstance(sending, Claimed)
        book.mark_unknown(cut.idempotency_key)
        unknown = book.unknown_creates()
        assert [type(u) for u in unknown] == [UnknownCreate, UnknownCreate]
        assert [(u.idempotency_key, u.source, u.model) for u in unknown] == [
            (lost.idempotency_key, "/audio/1.wav", "#g1_whisper-large"),
            (cut.idempotency_key, "/audio/2.wav", "#g1_whisper-large"),
        ]
        assert all(isinstance(u.started_at, float) for u in unknown)
        book.release(cut.idempotency_key)
        assert [u.idempotency_key for u in book.unknown_creates()] == [lost.idempotency_key]


# --- the completion's read ----------------------------------------------------------------------------
def test_recent_jobs_are_typed_newest_first_and_leave_out_ids_that_are_not_text() -> None:
    with Ledger() as book:
        book.add("old-1", HOST, "/audio/old.wav", "m", {})
        book.add("new-2", HOST, "/audio/new.wav", "m", {}, status="completed")
    raw = sqlite3.connect(ledger_path())
    raw.execute("INSERT INTO jobs (id, host, created_at, updated_at, source, model, options, status)"
                " VALUES (x'00ff', 'h', 9e12, 9e12, '/blob.wav', 'm', '{}', 'queued')")  # fmt: skip
    raw.commit()
    raw.close()
    assert recent_jobs(10) == [
        RecentJob("new-2", "/audio/new.wav", "completed"),
        RecentJob("old-1", "/audio/old.wav", "queued"),
    ]
    assert recent_jobs(1) == []  # the newest row is the damaged one: left out, never a crash


def test_recent_jobs_without_a_ledger_is_empty() -> None:
    assert recent_jobs(10) == []
    assert not ledger_path().exists()  # and it made none


# --- the schema: ledgers of earlier releases open and keep their jobs ----------------------------------
_V1_JOBS = """CREATE TABLE jobs (id TEXT NOT NULL, host TEXT NOT NULL, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, source TEXT NOT NULL, source_size INTEGER, source_sha256 TEXT, model TEXT NOT NULL,
    options TEXT NOT NULL, status TEXT NOT NULL, error TEXT, outputs TEXT NOT NULL DEFAULT '[]', result TEXT,
    PRIMARY KEY (host, id))"""


def _version_1(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """A ledger as stt wrote it before the claims and outputs tables: (id, outputs, result) rows."""
    db = sqlite3.connect(path)
    db.execute(_V1_JOBS)
    for n, (job_id, outputs, result) in enumerate(rows):
        db.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, '/audio/a.wav', 10, 'ab', 'm', '{\"language\": \"en\"}', "
            "'completed', NULL, ?, ?)",
            (job_id, HOST, n, n, outputs, result),
        )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_a_version_1_ledger_is_upgraded_and_keeps_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    result = json.dumps({"text": "hi", "metadata": {"duration": 12.5}})
    _version_1(path, [("job-1", '["/out/a.txt"]', result), ("../../x", "[]", "")])
    with Ledger(path) as book:
        [record] = book.list()
        assert (record.id, record.status, record.outputs) == ("job-1", "completed", ["/out/a.txt"])
        assert record.audio_seconds == 12.5
        reused = book.find_work(HOST, work_key("sha256:ab", "m", {"language": "en"}))
        assert reused is not None and reused.id == "job-1" and reused.result == json.loads(result)
        written = book.output("/out/a.txt")
        assert written is not None and written.job_id == "job-1"
    assert _peek(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_a_ledger_of_the_current_schema_opens_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as book:
        book.add("job-1", HOST, "/a.wav", "m", {"language": "en"}, 10, "ab", "completed", "w")
    schema = _peek(path, "SELECT sql FROM sqlite_master ORDER BY name")
    with Ledger(path) as book:
        record = book.get("job-1", HOST)
        assert record is not None and (record.options, record.source_sha256) == ({"language": "en"}, "ab")
    assert _peek(path, "SELECT sql FROM sqlite_master ORDER BY name") == schema


def test_a_version_1_ledger_that_cannot_be_upgraded_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _version_1(path, [("job-1", "[]", ""), ("job-2", "{not json", "")])
    with pytest.raises(UsageError, match="cannot be upgraded") as refused, Ledger(path) as book:
        book.list()
    assert "mv" in (refused.value.hint or "")
    assert _peek(path, "PRAGMA user_version") == [(1,)]
    assert _peek(path, "SELECT id FROM jobs ORDER BY id") == [("job-1",), ("job-2",)]
    assert _peek(path, "SELECT name FROM sqlite_master WHERE type='table'") == [("jobs",)]


def test_a_ledger_of_a_newer_stt_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as book:
        book.add("job-1", HOST, "/a.wav", "m", {})
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(UsageError, match="newer stt"), Ledger(path) as book:
        book.list()
    assert _peek(path, "SELECT id FROM jobs") == [("job-1",)]


def test_a_version_2_ledger_learns_when_each_status_was_seen(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as book:
        book.add("job-1", HOST, "/a.wav", "m", {}, None, None, "processing")
    db = sqlite3.connect(path)  # back to version 2: no seen_at column, nor version 4's
    db.execute("ALTER TABLE jobs DROP COLUMN seen_at")
    for column in ("client_request_id", "inference_id", "credits", "usd"):
        db.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
    db.execute("UPDATE jobs SET updated_at = 1000.0")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Ledger(path) as book:
        record = book.get("job-1", HOST)
        assert record is not None and record.seen_at == 1000.0  # the last update stands for it
        book.update("job-1", HOST, status="processing")  # the same status, seen again much later: recorded
        again = book.get("job-1", HOST)
        assert again is not None and again.seen_at is not None and again.seen_at > 1000.0
    assert _peek(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


# Version 3 exactly as stt wrote it (before the cost columns): its jobs table, indexes, claims and outputs.
_V3_SCHEMA = """
CREATE TABLE jobs (id TEXT NOT NULL, host TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    source TEXT NOT NULL, source_size INTEGER, source_sha256 TEXT, model TEXT NOT NULL, options TEXT NOT NULL,
    status TEXT NOT NULL, error TEXT, outputs TEXT NOT NULL DEFAULT '[]', result TEXT, work TEXT,
    audio_seconds REAL, seen_at REAL, PRIMARY KEY (host, id));
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_work ON jobs (host, work, created_at);
CREATE INDEX jobs_source ON jobs (source);
CREATE TABLE claims (idempotency_key TEXT PRIMARY KEY, host TEXT NOT NULL, work TEXT NOT NULL,
    source TEXT NOT NULL, source_size INTEGER, source_sha256 TEXT, model TEXT NOT NULL, options TEXT NOT NULL,
    owner TEXT NOT NULL, started_at REAL NOT NULL, state TEXT NOT NULL);
CREATE INDEX claims_work ON claims (host, work);
CREATE TABLE outputs (path TEXT PRIMARY KEY, source TEXT NOT NULL, host TEXT NOT NULL, job_id TEXT NOT NULL,
    written_at REAL NOT NULL);
CREATE INDEX outputs_source ON outputs (source);
"""


def test_a_version_3_ledger_is_upgraded_keeps_its_jobs_and_learns_their_cost(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(_V3_SCHEMA)
    result = json.dumps({"text": "hi", "metadata": {"duration": 12.5}})
    db.execute(
        "INSERT INTO jobs VALUES ('job-1', ?, 1, 1, '/audio/a.wav', 10, 'ab', 'm', '{}', 'completed', NULL,"
        " '[\"/out/a.txt\"]', ?, 'w', 12.5, 1)",
        (HOST, result),
    )
    db.execute("INSERT INTO jobs VALUES ('job-2', ?, 2, 2, '/audio/b.wav', 10, 'cd', 'm', '{}', 'processing',"
               " NULL, '[]', NULL, 'w2', NULL, 2)", (HOST,))  # fmt: skip
    db.execute("INSERT INTO outputs VALUES ('/out/a.txt', '/audio/a.wav', ?, 'job-1', 1)", (HOST,))
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    with Ledger(path) as book:
        old = book.get("job-1", HOST)
        assert old is not None and old.result == json.loads(result) and old.outputs == ["/out/a.txt"]
        assert (old.charge, old.client_request_id) == (None, None)  # nothing was said of its cost: nothing shown
        assert old.as_dict()["credits"] is None and old.as_dict()["usd"] is None
        book.update("job-2", HOST, status="completed", charge=Charge(2480, Decimal("0.00124"), "job-2"))
        [newer, older] = book.list()
        assert newer.charge == Charge(2480, Decimal("0.00124"), "job-2") and older.charge is None
        assert newer.as_dict()["usd"] == 0.00124 and newer.as_dict()["credits"] == 2480
    assert _peek(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)] and SCHEMA_VERSION == 4
    assert _peek(path, "SELECT credits, usd FROM jobs WHERE id='job-2'") == [(2480, "0.00124")]


def test_a_job_keeps_the_largest_figure_any_answer_gave(book: Ledger) -> None:
    claimed = book.claim(HOST, _work(1))
    assert isinstance(claimed, Claimed)
    book.record_created(claimed.idempotency_key, "job-1", HOST, _work(1), Charge(0, Decimal(0), "job-1"))
    created = book.get("job-1", HOST)
    assert created is not None and created.client_request_id == claimed.idempotency_key
    assert created.charge == Charge(0, Decimal(0), "job-1")
    book.update("job-1", HOST, status="completed", result={"text": "hi"}, charge=Charge(2480, Decimal("0.00124")))
    book.update("job-1", HOST, charge=Charge(None, Decimal("0.0001")))  # a smaller figure later: kept as it was
    assert book.charge("job-1", HOST) == Charge(2480, Decimal("0.00124"), "job-1")
    assert book.charge("job-9", HOST) is None


def test_a_damaged_cost_in_a_row_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as book:
        book.add("job-1", HOST, "/a.wav", "m", {})
    db = sqlite3.connect(path)
    db.execute("UPDATE jobs SET credits = -5, usd = 'NaN', inference_id = '../x'")
    db.commit()
    db.close()
    with Ledger(path) as book:
        record = book.get("job-1", HOST)
        assert record is not None and record.charge is None


def test_an_unchanged_status_is_written_again_only_once_a_while(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as book:
        book.add("job-1", HOST, "/a.wav", "m", {}, None, None, "processing")
        first = book.get("job-1", HOST)
        book.update("job-1", HOST, status="processing")  # seen a moment ago: nothing written
        assert book.get("job-1", HOST) == first
        book.update("job-1", HOST, status="completed", result={"text": "hi"})
        done = book.get("job-1", HOST)
        assert done is not None and first is not None and done.seen_at is not None
        assert first.seen_at is not None and done.seen_at >= first.seen_at and done.status == "completed"
