"""The local job ledger: one SQLite row per job (WAL, versioned schema), so every job can be found again.

Each job keeps what the service said it cost (api/cost.py: credits, dollars, the inference id the charge is
recorded under) and the X-Client-Request-Id its create carried, which finds it in the provider's usage logs.

Besides the jobs it holds the creates in flight (claims: written before an upload starts, so an interrupted
or killed create is known on the next run and re-sent with the same Idempotency-Key) and the output files
stt wrote (so names stay stable from run to run and `--skip-existing` knows whose file a file is).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec

from stt_cli.api.charge import Charge
from stt_cli.api.cost import usd_of, usd_text
from stt_cli.api.wire import Status, audio_seconds, is_valid_id
from stt_cli.core.config import data_dir
from stt_cli.errors import Fix, SttError, UsageError, command_line, path_word

SCHEMA_VERSION = 4
# SQLite's primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF), to tell a full disk from corruption
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = (
    3,
    5,
    6,
    8,
    10,
    13,
    14,
)
BUSY_TIMEOUT = 10.0  # s: several stt processes may write at once
CLOSE_WAIT = 2.0  # s: how long close() waits for a thread to finish its query (Ctrl-C should not hang)
LEDGER_NAME = "ledger.sqlite3"
# Statuses a job can have in the ledger: the four `stt status` words, and gone (the service answered 404).
GONE = "gone"
STATUSES = (*(s.value for s in Status if s is not Status.UNKNOWN), GONE)
_P = ParamSpec("_P")

_JOBS = """
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
    work          TEXT,
    audio_seconds REAL,
    seen_at       REAL,
    client_request_id TEXT,
    inference_id  TEXT,
    credits       INTEGER,
    usd           TEXT,
    PRIMARY KEY (host, id)
);
"""
# Version 4: what each job cost, as the service said (NULL: it said nothing), and the id its create carried.
_V4_COLUMNS = ("client_request_id TEXT", "inference_id TEXT", "credits INTEGER", "usd TEXT")
_V2 = """
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
CREATE INDEX IF NOT EXISTS jobs_work ON jobs (host, work, created_at);
CREATE INDEX IF NOT EXISTS jobs_source ON jobs (source);
CREATE TABLE IF NOT EXISTS claims (
    idempotency_key TEXT PRIMARY KEY,
    host            TEXT NOT NULL,
    work            TEXT NOT NULL,
    source          TEXT NOT NULL,
    source_size     INTEGER,
    source_sha256   TEXT,
    model           TEXT NOT NULL,
    options         TEXT NOT NULL,
    owner           TEXT NOT NULL,
    started_at      REAL NOT NULL,
    state           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_work ON claims (host, work);
CREATE TABLE IF NOT EXISTS outputs (
    path       TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    host       TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    written_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outputs_source ON outputs (source);
"""
_COLUMNS = (
    "id, host, created_at, updated_at, source, source_size, source_sha256, model, options, status, error, outputs, "
    "audio_seconds, seen_at, client_request_id, inference_id, credits, usd"
)
SEEN_REWRITE = 60.0  # s: an unchanged status is written again (its seen_at) at most this often, to spare fsyncs


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
    audio_seconds: float | None
    seen_at: float | None  # when the service last told its status (None: never asked since it was recorded)
    result: dict[str, Any] | None
    client_request_id: str | None = None  # the X-Client-Request-Id (and Idempotency-Key) its create carried
    charge: Charge | None = None  # what the service said it cost; None: it said nothing

    def as_dict(self) -> dict[str, Any]:
        """What `stt jobs --json` prints of a job (its result stays in the ledger: `stt fetch ID -f json`)."""
        return {
            "generation_id": self.id,
            "host": self.host,
            "created_at": self.created_at,
            "source": self.source,
            "source_size": self.source_size,
            "source_sha256": self.source_sha256,
            "model": self.model,
            "options": self.options,
            "status": self.status,
            "error": self.error,
            "outputs": self.outputs,
            "audio_seconds": self.audio_seconds,
            "seen_at": self.seen_at,
            "client_request_id": self.client_request_id,
            **charge_fields(self.charge),
        }


def charge_fields(charge: Charge | None) -> dict[str, Any]:
    """A job's cost as the JSON outputs print it: null where the service said nothing."""
    usd = charge.usd if charge is not None else None
    return {
        "credits": charge.credits if charge is not None else None,
        "usd": float(usd) if usd is not None else None,
        "inference_id": charge.inference_id if charge is not None else None,
    }


class Work(NamedTuple):
    """What makes two jobs the same: the audio (its sha256, or the URL), the model and the options."""

    source: str  # as recorded: the resolved path, the URL, or "stdin"
    identity: str  # "sha256:<hex>" or "url:<url>"
    model: str
    options: dict[str, Any]
    size: int | None = None
    sha256: str | None = None

    @property
    def key(self) -> str:
        return work_key(self.identity, self.model, self.options)


def work_key(identity: str, model: str, options: dict[str, Any]) -> str:
    return json.dumps([identity, model, options], sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ClaimRecord(NamedTuple):
    idempotency_key: str
    owner: str
    started_at: float
    state: str  # sending | unknown


class Reuse(NamedTuple):
    """A job of the ledger already does this work."""

    record: JobRecord


class Busy(NamedTuple):
    """Another stt process (or another worker of this one) is creating a job for this work right now."""

    owner: str
    since: float


class Claimed(NamedTuple):
    """This process may create the job, with this Idempotency-Key; `resumed` is an earlier create that may exist."""

    idempotency_key: str
    resumed: ClaimRecord | None


class OutputRecord(NamedTuple):
    path: str
    source: str
    host: str
    job_id: str
    written_at: float


class UnknownCreate(NamedTuple):
    """A create that may have made a job no one recorded (its body went out, or its process was killed)."""

    idempotency_key: str
    source: str
    model: str
    started_at: float


class RecentJob(NamedTuple):
    """What a shell's completion shows of a job."""

    id: str
    source: str
    status: str


def ledger_path() -> Path:
    return data_dir() / LEDGER_NAME


def _peek(query: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
    """The rows of one read-only query, without waiting on a writer: no schema check, no migration, no lock
    files; [] on any trouble. For what must answer at once, from a shell's Tab or the parsing of a command."""
    try:
        path = ledger_path()
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would hang the shell's Tab, a device feed it junk
            return []
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
        try:
            return connection.execute(query, args).fetchall()
        finally:
            connection.close()
    except (sqlite3.Error, OSError):
        return []


def recent_jobs(limit: int) -> list[RecentJob]:
    """The newest jobs, for the shells' completion on Tab. A row whose id is not text (a damaged ledger) is
    left out: it could not be a job id."""
    rows = _peek("SELECT id, source, status FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,))
    return [RecentJob(job_id, str(source), str(status)) for job_id, source, status in rows if isinstance(job_id, str)]


def is_recorded(job_id: str) -> bool:
    """Whether some job of the ledger has exactly this id. For the commands' parsing: an argument that starts
    with "-" is a job id only when it is one."""
    return bool(_peek("SELECT 1 FROM jobs WHERE id=? LIMIT 1", (job_id,)))


class Ledger:
    """The ledger of one process: one connection, shared by its threads under a lock; `with Ledger() as
    ledger:` closes it at the end of the block.

    Every method runs in one transaction of `_transaction`: reads see one state of the file, writes take
    the write lock at once, and anything that fails half way leaves nothing behind.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or ledger_path()
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._owner: ProcessLock | None = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection, this thread's alone for the block, which is one transaction; any SQLite error
        (a lock held too long, a full disk, a damaged file) becomes one UsageError naming the ledger."""
        with self._lock:
            try:
                with _atomic(self._connection(), write=write) as db:
                    yield db
            except sqlite3.Error as exc:
                raise self._failure(exc) from None

    def _connection(self) -> sqlite3.Connection:
        """The process's connection, opened on first use (the caller holds the lock): the file made private,
        WAL on, the schema brought up to date."""
        if self._db is not None:
            return self._db
        try:
            # Results are the user's words: the ledger is private (0600 in a 0700 directory).
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.path.exists():
                with contextlib.suppress(FileExistsError):  # another stt made it meanwhile
                    os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
            self._check_regular()
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        except OSError as exc:
            raise UsageError(
                f"the job ledger {self.path} cannot be opened ({exc.strerror})", "check that directory and the disk"
            ) from None
        except sqlite3.Error as exc:
            raise self._failure(exc) from None
        try:
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
                _migrate(db)
        except BaseException as exc:
            db.close()
            if isinstance(exc, sqlite3.Error):
                raise self._failure(exc) from None
            if isinstance(exc, ValueError | TypeError | RecursionError):  # a version 1 row read to be upgraded
                raise UsageError(
                    f"the job ledger {self.path} cannot be upgraded: a job's row is damaged (not valid JSON)",
                    self._move_aside(),
                ) from None
            raise
        self._db = db
        return db

    def _check_regular(self) -> None:
        """SQLite opens the ledger by its path and would block on a FIFO there, or read a device as a damaged
        database: anything but a regular file is refused by name before it is opened."""
        from stt_cli.core.safeopen import kind_of  # lazy for start-up: stt run --help

        mode = os.stat(self.path).st_mode
        if not stat.S_ISREG(mode):
            raise UsageError(f"the job ledger {self.path} is {kind_of(mode)}, not a regular file", self._move_aside())

    def _failure(self, exc: sqlite3.Error) -> UsageError:
        text = str(exc)
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code in (SQLITE_BUSY, SQLITE_LOCKED) or "locked" in text or "busy" in text:
            return UsageError(
                f"the job ledger {self.path} stayed locked for {BUSY_TIMEOUT:g} s by another process",
                "wait for the other stt to finish, then try again",
            )
        if code == SQLITE_FULL or "full" in text:
            return UsageError(f"the job ledger {self.path} cannot grow: the disk is full", "free some space")
        if code in (SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_PERM):
            return UsageError(
                f"the job ledger {self.path} cannot be written ({text})",
                "check that its disk has space and is writable, and the permissions of its directory",
            )
        return UsageError(
            f"the job ledger {self.path} cannot be used ({text})", f"if it is corrupt, {self._move_aside()}"
        )

    def _move_aside(self) -> str:
        return "move it aside and stt starts a new one: " + command_line(
            "mv", path_word(self.path), path_word(f"{self.path}.bak")
        )

    def close(self) -> None:
        """Close the connection once no thread is using it. Closing it under a worker that is still in a
        query (a cancelled batch, its grace over) crashed the interpreter: a worker that outlives CLOSE_WAIT
        keeps the connection, and the process's exit ends both."""
        if not self._lock.acquire(timeout=CLOSE_WAIT):
            return
        try:
            if self._db is not None:
                self._db.close()
                self._db = None
            if self._owner is not None:
                self._owner.release()
                self._owner = None
        finally:
            self._lock.release()

    # --- jobs ----------------------------------------------------------------------------------------
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
        work: str | None = None,
    ) -> None:
        with self._transaction(write=True) as db:
            _insert_job(db, job_id, host, source, model, options, size, sha256, status, work)

    def update(
        self,
        job_id: str,
        host: str,
        *,
        status: str | None = None,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        output: str | None = None,
        output_source: str | None = None,
        charge: Charge | None = None,
    ) -> None:
        """A job's news; `output` a file written from it, for `output_source` (default: the job's own
        source: a job reused for another copy of the same audio writes that copy's files); `charge` what an
        answer about it said of its cost (merged with what the ledger has: Charge.merged)."""
        news = _JobNews(job_id, host, status, error, result, output, charge)
        with self._transaction() as db:
            if news.against(db) is None:
                return  # nothing new: no write lock, no fsync
        with self._transaction(write=True) as db:
            found = news.against(db)  # read again under the write lock: another process may have written since
            if found is None:
                return
            outputs, result, source, cost = found
            now = time.time()
            db.execute(
                "UPDATE jobs SET updated_at=?, status=COALESCE(?, status), error=COALESCE(?, error),"
                " result=COALESCE(?, result), outputs=?, audio_seconds=COALESCE(?, audio_seconds),"
                " seen_at=COALESCE(?, seen_at), credits=?, usd=?, inference_id=? WHERE host=? AND id=?",
                (
                    now,
                    status,
                    error,
                    None if result is None else json.dumps(result, ensure_ascii=False),
                    json.dumps(outputs),
                    None if result is None else audio_seconds(result),
                    None if status is None else now,  # a status is news from the service: seen now
                    *_charge_columns(cost),
                    host,
                    job_id,
                ),
            )
            if output is not None:
                db.execute(
                    "INSERT OR REPLACE INTO outputs (path, source, host, job_id, written_at) VALUES (?,?,?,?,?)",
                    (output, output_source or source, host, job_id, time.time()),
                )

    def get(self, job_id: str, host: str) -> JobRecord | None:
        with self._transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS}, result FROM jobs WHERE host=? AND id=?", (host, job_id)).fetchone()
        return _record(row) if row else None

    def latest(self, host: str) -> JobRecord | None:
        with self._transaction() as db:
            row = db.execute(
                f"SELECT {_COLUMNS}, NULL FROM jobs WHERE host=? ORDER BY created_at DESC, rowid DESC LIMIT 1", (host,)
            ).fetchone()
        return _record(row) if row else None

    def find_work(self, host: str, work: str) -> JobRecord | None:
        """The newest job of the ledger for this very work that can still give its result (indexed)."""
        with self._transaction() as db:
            return _find_work(db, host, work)

    def mark_gone(self, job_id: str, host: str) -> None:
        """The service answered 404: the job cannot be fetched or reused, though a result kept here stays."""
        self.update(job_id, host, status=GONE)

    def older_than(self, seconds: float) -> list[JobRecord]:
        """The jobs created more than `seconds` ago, newest first (what `stt jobs prune` would remove)."""
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS}, NULL FROM jobs WHERE created_at < ? ORDER BY created_at DESC, rowid DESC",
                (time.time() - seconds,),
            ).fetchall()
        return [_record(row) for row in rows]

    def with_ids(self, ids: list[str]) -> list[JobRecord]:
        """The jobs of these ids, on any host (what `stt jobs rm` would remove)."""
        with self._transaction() as db:
            rows = [
                row
                for job_id in dict.fromkeys(ids)
                for row in db.execute(f"SELECT {_COLUMNS}, NULL FROM jobs WHERE id=?", (job_id,)).fetchall()
            ]
        return [_record(row) for row in rows]

    def ids(self) -> list[str]:
        """Every job id of the ledger, on any host, each once (what the short ids shown must tell apart)."""
        with self._transaction() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT id FROM jobs").fetchall()]

    def ids_starting(self, prefix: str, host: str | None = None) -> list[str]:
        """The ids that start with `prefix` (of one host's jobs, or any host's), newest first, each once."""
        query = "SELECT id FROM jobs WHERE substr(id, 1, ?) = ?"
        args: list[object] = [len(prefix), prefix]
        if host is not None:
            query += " AND host=?"
            args.append(host)
        query += " GROUP BY id ORDER BY max(created_at) DESC, id"
        with self._transaction() as db:
            return [row[0] for row in db.execute(query, args).fetchall()]

    def remove_jobs(self, jobs: list[JobRecord]) -> int:
        """Exactly these jobs removed, in one transaction (all of them, or none if it fails); how many were
        still there."""
        with self._transaction(write=True) as db:
            return sum(db.execute("DELETE FROM jobs WHERE id=? AND host=?", (j.id, j.host)).rowcount for j in jobs)

    def list(self, limit: int | None = None, status: str | None = None, since: float | None = None) -> list[JobRecord]:
        """The jobs newest first: at most `limit`, in one status, created at or after `since` (a time)."""
        query = f"SELECT {_COLUMNS}, NULL FROM jobs"
        where: list[str] = []
        args: list[object] = []
        if status:
            where.append("status=?")
            args.append(status)
        if since is not None:
            where.append("created_at >= ?")
            args.append(since)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY created_at DESC, rowid DESC"
        if limit:
            query += " LIMIT ?"
            args.append(limit)
        with self._transaction() as db:
            rows = db.execute(query, args).fetchall()
        return [_record(r) for r in rows]

    # --- creates in flight ---------------------------------------------------------------------------
    @property
    def owner(self) -> str:
        """This process's name in the claims: a lock file it holds while it lives."""
        with self._lock:
            if self._owner is None:
                self._connection()  # the ledger's directory exists, private, before the lock file's
                self._owner = ProcessLock(self.path.parent / "owners")
            return self._owner.name

    def claim(
        self, host: str, work: Work, *, resubmit: bool = False, idempotency_key: str | None = None
    ) -> Reuse | Busy | Claimed:
        """In one transaction: the ledger's job for this work, or the create another process has in flight,
        or a claim for this process to create it (written before the upload's last byte), with
        `idempotency_key` as its key when given (an upload already under way sends it)."""
        owner = self.owner
        key = work.key
        if not resubmit:
            record = self.find_work(host, key)  # the common re-run case, without taking the write lock
            if record is not None:
                return Reuse(record)
        with self._transaction(write=True) as db:
            if not resubmit:
                record = _find_work(db, host, key)
                if record is not None:
                    return Reuse(record)
                row = db.execute(
                    "SELECT idempotency_key, owner, started_at, state FROM claims WHERE host=? AND work=?"
                    " ORDER BY started_at DESC LIMIT 1",
                    (host, key),
                ).fetchone()
                if row is not None:
                    found = ClaimRecord(*row)
                    in_flight = found.owner == owner or owner_alive(self.path.parent, found.owner)
                    if found.state == "sending" and in_flight:
                        return Busy(found.owner, found.started_at)
                    db.execute(
                        "UPDATE claims SET owner=?, state='sending' WHERE idempotency_key=?",
                        (owner, found.idempotency_key),
                    )
                    return Claimed(found.idempotency_key, found)
            else:
                db.execute("DELETE FROM claims WHERE host=? AND work=? AND state='unknown'", (host, key))
            new_key = idempotency_key or str(uuid.uuid4())
            db.execute(
                "INSERT INTO claims (idempotency_key, host, work, source, source_size, source_sha256, model, options,"
                " owner, started_at, state) VALUES (?,?,?,?,?,?,?,?,?,?, 'sending')",
                (new_key, host, key, work.source, work.size, work.sha256, work.model, json.dumps(work.options), owner,
                 time.time()),
            )  # fmt: skip
            return Claimed(new_key, None)

    def record_created(
        self, idempotency_key: str, job_id: str, host: str, work: Work, charge: Charge | None = None
    ) -> str | None:
        """The create answered with a job: record it (with the key its create carried as X-Client-Request-Id,
        and what the answer said of its cost) and drop the claim, in one transaction.

        An id the ledger already holds for other work is not recorded, and that work's source is returned: a
        service that gives one id to two jobs would otherwise overwrite the first job's row, result and outputs.
        """
        with self._transaction(write=True) as db:
            known = db.execute("SELECT work, source FROM jobs WHERE host=? AND id=?", (host, job_id)).fetchone()
            if known is not None and known[0] != work.key:
                db.execute("UPDATE claims SET state='unknown' WHERE idempotency_key=?", (idempotency_key,))
                return str(known[1])
            db.execute("DELETE FROM claims WHERE idempotency_key=?", (idempotency_key,))
            if known is None:
                _insert_job(db, job_id, host, work.source, work.model, work.options, work.size, work.sha256,
                            "queued", work.key, idempotency_key, charge)  # fmt: skip
        if known is not None and charge is not None:  # the same job answered again: its cost may be news
            self.update(job_id, host, charge=charge)
        return None

    def charge(self, job_id: str, host: str) -> Charge | None:
        """What the service said this job cost, as the ledger keeps it (None: nothing, or no such job)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT credits, usd, inference_id FROM jobs WHERE host=? AND id=?", (host, job_id)
            ).fetchone()
        return _charge(*row) if row else None

    def knows_size(self, host: str, size: int) -> bool:
        """Whether a job or a create in flight for this host has a source of this many bytes: only then can a
        file of that size be work the ledger knows (core/submission.py then hashes it before sending it)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT 1 FROM jobs WHERE host=? AND source_size=? UNION ALL"
                " SELECT 1 FROM claims WHERE host=? AND source_size=? LIMIT 1",
                (host, size, host, size),
            ).fetchone()
        return row is not None

    def release(self, idempotency_key: str) -> None:
        """No job can exist for this claim (the body never went out whole, or the server said no)."""
        with self._transaction(write=True) as db:
            db.execute("DELETE FROM claims WHERE idempotency_key=?", (idempotency_key,))

    def mark_unknown(self, idempotency_key: str) -> None:
        """The whole body went out and no usable answer came: the job may exist; keep the key for the re-run."""
        with self._transaction(write=True) as db:
            db.execute("UPDATE claims SET state='unknown' WHERE idempotency_key=?", (idempotency_key,))

    def unknown_creates(self) -> Sequence[UnknownCreate]:
        """Every create that may have made a job no one recorded: cut off after its body went out, or in
        flight in a process that is gone (killed)."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT idempotency_key, source, model, started_at, state, owner FROM claims ORDER BY started_at"
            ).fetchall()
        return [
            UnknownCreate(key, source, model, started)
            for key, source, model, started, state, owner in rows
            if state == "unknown" or not owner_alive(self.path.parent, owner)
        ]

    # --- output files --------------------------------------------------------------------------------
    def output(self, path: str) -> OutputRecord | None:
        """Who wrote this file, if stt did."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT path, source, host, job_id, written_at FROM outputs WHERE path=?", (path,)
            ).fetchone()
        return OutputRecord(*row) if row else None

    def outputs_in(self, directory: str) -> dict[str, OutputRecord]:
        """Every file stt wrote directly in this directory (resolved), by path."""
        prefix = directory.rstrip(os.sep) + os.sep
        with self._transaction() as db:
            rows = db.execute(
                "SELECT path, source, host, job_id, written_at FROM outputs WHERE path >= ? AND path < ?",
                (prefix, prefix[:-1] + chr(ord(os.sep) + 1)),
            ).fetchall()
        return {r[0]: OutputRecord(*r) for r in rows if os.sep not in r[0][len(prefix) :]}


@contextmanager
def _atomic(db: sqlite3.Connection, *, write: bool) -> Iterator[sqlite3.Connection]:
    """The block as one transaction, committed at its end and rolled back if anything in it (or the commit)
    fails. A write takes the write lock at once (BEGIN IMMEDIATE): no other process writes between its reads
    and its writes, and it cannot fail half way on a read lock that would have to be upgraded."""
    try:
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # in the try: a Ctrl-C just after it leaves none open
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise


class _JobNews(NamedTuple):
    """What an update brings to a job's row."""

    job_id: str
    host: str
    status: str | None
    error: str | None
    result: dict[str, Any] | None
    output: str | None
    charge: Charge | None = None

    def against(self, db: sqlite3.Connection) -> tuple[list[str], dict[str, Any] | None, str, Charge | None] | None:
        """The row's outputs with this one added, the result to store, the job's source and its charge with
        this news merged in; None when the job is not in the ledger or nothing would change."""
        row = db.execute(
            "SELECT outputs, status, result IS NOT NULL, source, seen_at, credits, usd, inference_id FROM jobs"
            " WHERE host=? AND id=?",
            (self.host, self.job_id),
        ).fetchone()
        if row is None:
            return None
        outputs: list[str] = json.loads(row[0])
        if self.output is not None and self.output not in outputs:
            outputs.append(self.output)
        result = None if row[2] else self.result  # a completed result never changes: kept as first stored
        unchanged = self.status is None or self.status == row[1]
        if self.status is not None and (row[4] is None or time.time() - row[4] > SEEN_REWRITE):
            unchanged = False  # the same status, seen again a while later: when it was seen is news
        kept = _charge(row[5], row[6], row[7])
        cost = (kept or Charge()).merged(self.charge) if self.charge is not None else kept
        if unchanged and self.error is None and result is None and self.output is None and cost == kept:
            return None
        return outputs, result, str(row[3]), cost


def _charge_columns(charge: Charge | None) -> tuple[int | None, str | None, str | None]:
    """A charge as the row keeps it: credits, usd (its decimal digits), inference_id."""
    if charge is None:
        return None, None, None
    return charge.credits, None if charge.usd is None else usd_text(charge.usd), charge.inference_id


def _insert_job(
    db: sqlite3.Connection,
    job_id: str,
    host: str,
    source: str,
    model: str,
    options: dict[str, Any],
    size: int | None,
    sha256: str | None,
    status: str,
    work: str | None,
    client_request_id: str | None = None,
    charge: Charge | None = None,
) -> None:
    now = time.time()
    db.execute(
        "INSERT OR REPLACE INTO jobs (id, host, created_at, updated_at, source, source_size, source_sha256,"
        " model, options, status, work, seen_at, client_request_id, credits, usd, inference_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (job_id, host, now, now, source, size, sha256, model, json.dumps(options), status, work, now,
         client_request_id, *_charge_columns(charge)),
    )  # fmt: skip


def _find_work(db: sqlite3.Connection, host: str, work: str) -> JobRecord | None:
    """Failed jobs are never reused; gone ones only when the ledger kept their result (no request needed)."""
    row = db.execute(
        f"SELECT {_COLUMNS}, result FROM jobs WHERE host=? AND work=? AND status != 'failed'"
        " AND (status != ? OR result IS NOT NULL) ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (host, work, GONE),
    ).fetchone()
    return _record(row) if row else None


def _record(row: tuple[Any, ...]) -> JobRecord:
    try:
        return _parse_record(row)
    except (ValueError, TypeError, RecursionError):
        raise UsageError(
            f"job {row[0]!r} of the ledger is damaged (a field is not valid JSON)", fix=Fix.FORGET_JOB, job_id=row[0]
        ) from None


def _parse_record(row: tuple[Any, ...]) -> JobRecord:
    """A row of _COLUMNS and its result as a JobRecord: its JSON fields read (options, outputs, result)."""
    *plain, options, status, error, outputs, seconds, seen, request_id, inference, credits, usd, result = row
    parsed = [json.loads(options), status, error, json.loads(outputs), seconds, seen, json.loads(result or "null")]
    return JobRecord._make([*plain, *parsed, request_id, _charge(credits, usd, inference)])


def _charge(credits: object, usd: object, inference: object) -> Charge | None:
    """The charge a row keeps; a figure that is not one (a damaged row) is left out, like a bad header."""
    charge = Charge(
        credits if isinstance(credits, int) and credits >= 0 else None,
        usd_of(usd),
        inference if isinstance(inference, str) and is_valid_id(inference) else None,
    )
    return charge if charge != Charge() else None


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a ledger to SCHEMA_VERSION in one transaction (version 0: a new file)."""

    with _atomic(db, write=True):
        version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have just done it
        if version < SCHEMA_VERSION:
            for statement in filter(str.strip, (_JOBS if version == 0 else "").split(";")):
                db.execute(statement)
            if version == 1:
                db.execute("ALTER TABLE jobs ADD COLUMN work TEXT")
                db.execute("ALTER TABLE jobs ADD COLUMN audio_seconds REAL")
            if version in (1, 2):  # version 3: when each status was last seen (the last update, for older rows)
                db.execute("ALTER TABLE jobs ADD COLUMN seen_at REAL")
                db.execute("UPDATE jobs SET seen_at = updated_at")
            if version in (1, 2, 3):  # version 4: the cost and ids; NULL for older rows (nothing was said)
                for column in _V4_COLUMNS:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {column}")
            for statement in filter(str.strip, _V2.split(";")):
                db.execute(statement)
            if version == 1:
                _upgrade_rows(db, is_valid_id)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _upgrade_rows(db: sqlite3.Connection, is_valid_id: Callable[[object], bool]) -> None:
    """Version 1 rows: work keys, audio lengths and the outputs table filled in; rows with unusable ids dropped."""
    rows = db.execute("SELECT host, id, source, source_sha256, model, options, outputs, result FROM jobs").fetchall()
    for host, job_id, source, sha, model, options, outputs, result in rows:
        if not is_valid_id(job_id):  # an older stt stored what a server sent: it can be neither fetched nor shown
            db.execute("DELETE FROM jobs WHERE host=? AND id=?", (host, job_id))
            continue
        identity = f"sha256:{sha}" if sha else (f"url:{source}" if source.startswith(("http://", "https://")) else None)
        work = work_key(identity, model, json.loads(options)) if identity else None
        seconds = None
        if result:
            with contextlib.suppress(ValueError, RecursionError):
                parsed = json.loads(result)
                seconds = audio_seconds(parsed) if isinstance(parsed, dict) else None
        db.execute("UPDATE jobs SET work=?, audio_seconds=? WHERE host=? AND id=?", (work, seconds, host, job_id))
        for path in json.loads(outputs):
            db.execute(
                "INSERT OR REPLACE INTO outputs (path, source, host, job_id, written_at) VALUES (?,?,?,?,?)",
                (path, source, host, job_id, time.time()),
            )


# --- Which process owns a claim: a lock file held while it lives ---------------------------------------
class ProcessLock:
    """A file under owners/ that this process holds locked (flock) until it exits; the kernel drops the lock
    of a process that is killed, so a claim's owner is known to be alive or not, whatever became of its pid."""

    def __init__(self, directory: Path) -> None:
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._path = directory / f"{self.name}.lock"
        self._fd: int | None = None
        try:
            import fcntl  # POSIX only

            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._fd = fd
        except (ImportError, OSError):
            self._fd = None  # no lock file: other processes see the pid only

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def owner_alive(ledger_dir: Path, owner: str) -> bool:
    """Whether the process named `owner` still runs (its lock file is held)."""
    path = ledger_dir / "owners" / f"{owner}.lock"
    try:
        import fcntl  # POSIX only
    except ImportError:  # no flock: trust the pid
        return _pid_alive(owner)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return _pid_alive(owner)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return _pid_alive(owner)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)  # its process is gone: the lock file is litter
        return False
    finally:
        os.close(fd)


def _pid_alive(owner: str) -> bool:
    from stt_cli.core.files import pid_alive  # lazy for start-up: stt run --help

    pid = owner.split("-", 1)[0]
    return pid.isdigit() and pid_alive(int(pid))


def keep_in_ledger(
    job_id: str, warn: Callable[[str], None], write: Callable[_P, None], *args: _P.args, **kwargs: _P.kwargs
) -> None:
    """A ledger write that cannot fail the job (it exists on the server whatever the ledger says): a failure
    is handed to `warn`."""
    try:
        write(*args, **kwargs)
    except SttError as exc:
        warn(f"job {job_id} is fine, but the ledger could not record it: {exc.message}; keep the id to fetch it")
