"""The local job ledger: one SQLite row per job (WAL, versioned schema), so every job can be found again."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from stt_cli.config import data_dir
from stt_cli.errors import SttError, UsageError

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 10.0  # s: several stt processes may write at once
LEDGER_NAME = "ledger.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id            TEXT NOT NULL,
    host          TEXT NOT NULL,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    source        TEXT NOT NULL,
    source_size   INTEGER,
    source_sha256 TEXT,
    model         TEXT NOT NULL,
    options       TEXT NOT NULL,
    status        TEXT NOT NULL,
    error         TEXT,
    outputs       TEXT NOT NULL DEFAULT '[]',
    result        TEXT,
    PRIMARY KEY (host, id)
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
"""


class JobRecord(NamedTuple):
    id: str
    host: str
    created_at: float
    updated_at: float
    source: str
    source_size: int | None
    source_sha256: str | None
    model: str
    options: dict[str, Any]
    status: str
    error: str | None
    outputs: list[str]
    result: dict[str, Any] | None


def ledger_path() -> Path:
    return data_dir() / LEDGER_NAME


class Ledger:
    """The ledger of one process: one connection, shared by its threads under a lock."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or ledger_path()
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield from self._open()

    def _open(self) -> Iterator[sqlite3.Connection]:
        try:
            if self._db is None:
                # Results are the user's words: the ledger is private (0600 in a 0700 directory).
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                if not self.path.exists():
                    os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL keeps the file consistent through a crash; only the last commit before
                # a power cut may be lost, and every job can be fetched again by id. It saves an fsync a write.
                db.execute("PRAGMA synchronous=NORMAL")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise UsageError(
                        f"the job ledger {self.path} was written by a newer stt (schema {version})",
                        "upgrade stt-cli, or move the file aside",
                    )
                if version < SCHEMA_VERSION:
                    db.executescript(_SCHEMA)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db = db
            yield self._db
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise UsageError(
                    f"the job ledger {self.path} stayed locked for {BUSY_TIMEOUT:g} s by another process",
                    "wait for the other stt to finish, then try again",
                ) from None
            raise UsageError(
                f"the job ledger {self.path} cannot be used ({exc})",
                f"if it is corrupt, move it aside (mv {self.path} {self.path}.bak); stt starts a new one",
            ) from None
        except sqlite3.DatabaseError as exc:
            raise UsageError(
                f"the job ledger {self.path} cannot be used ({exc})",
                f"if it is corrupt, move it aside (mv {self.path} {self.path}.bak); stt starts a new one",
            ) from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def add(
        self,
        job_id: str,
        host: str,
        source: str,
        model: str,
        options: dict[str, Any],
        size: int | None = None,
        sha256: str | None = None,
        status: str = "queued",
    ) -> None:
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO jobs (id, host, created_at, updated_at, source, source_size, source_sha256,"
                " model, options, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (job_id, host, now, now, source, size, sha256, model, json.dumps(options), status),
            )

    def update(
        self,
        job_id: str,
        host: str,
        *,
        status: str | None = None,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        output: str | None = None,
    ) -> None:
        with self._connect() as db:
            row = db.execute(
                "SELECT outputs, status, result IS NOT NULL FROM jobs WHERE host=? AND id=?", (host, job_id)
            ).fetchone()
            if row is None:
                return
            outputs = json.loads(row[0])
            if output is not None and output not in outputs:
                outputs.append(output)
            if row[2]:
                result = None  # a completed result never changes: kept as first stored
            if (status is None or status == row[1]) and error is None and result is None and output is None:
                return  # nothing new: no write, no fsync
            db.execute(
                "UPDATE jobs SET updated_at=?, status=COALESCE(?, status), error=COALESCE(?, error),"
                " result=COALESCE(?, result), outputs=? WHERE host=? AND id=?",
                (
                    time.time(),
                    status,
                    error,
                    None if result is None else json.dumps(result, ensure_ascii=False),
                    json.dumps(outputs),
                    host,
                    job_id,
                ),
            )

    def get(self, job_id: str, host: str) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE host=? AND id=?", (host, job_id)).fetchone()
        return _record(row) if row else None

    def latest(self, host: str) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM jobs WHERE host=? ORDER BY created_at DESC, rowid DESC LIMIT 1", (host,)
            ).fetchone()
        return _record(row) if row else None

    def candidates(
        self, host: str, model: str, *, size: int | None = None, source: str | None = None
    ) -> list[JobRecord]:
        """Jobs that may be the same work: same host and model, and the same file size or the same URL."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE host=? AND model=? AND status != 'failed' AND (source_size=? OR source=?)"
                " ORDER BY created_at DESC, rowid DESC",
                (host, model, size, source),
            ).fetchall()
        return [_record(r) for r in rows]

    def remove(self, job_id: str) -> int:
        with self._connect() as db:
            return db.execute("DELETE FROM jobs WHERE id=?", (job_id,)).rowcount

    def prune(self, older_than: float) -> int:
        with self._connect() as db:
            return db.execute("DELETE FROM jobs WHERE created_at < ?", (time.time() - older_than,)).rowcount

    def list(self, limit: int | None = None, status: str | None = None) -> list[JobRecord]:
        query = "SELECT * FROM jobs"
        args: list[Any] = []
        if status:
            query += " WHERE status=?"
            args.append(status)
        query += " ORDER BY created_at DESC, rowid DESC"
        if limit:
            query += " LIMIT ?"
            args.append(limit)
        with self._connect() as db:
            rows = db.execute(query, args).fetchall()
        return [_record(r) for r in rows]


def _record(row: tuple[Any, ...]) -> JobRecord:
    (job_id, host, created, updated, source, size, sha, model, options, status, error, outputs, result) = row
    return JobRecord(
        job_id,
        host,
        created,
        updated,
        source,
        size,
        sha,
        model,
        json.loads(options),
        status,
        error,
        json.loads(outputs),
        json.loads(result) if result else None,
    )


def keep_in_ledger(job_id: str, write: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """A ledger write that cannot fail the job: the job exists on the server whatever the ledger says."""
    try:
        write(*args, **kwargs)
    except SttError as exc:
        from stt_cli.output import warn

        warn(f"job {job_id} is fine, but the ledger could not record it: {exc.message}; keep the id to fetch it")
