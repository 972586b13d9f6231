"""`stt status` and `stt jobs`: one job asked of the service; the ledger listed (its pending jobs asked again
with --refresh, a few at a time), and tidied (rm, prune)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.api.client import JobGone
from stt_cli.api.wire import Status
from stt_cli.core.ledger import STATUSES, Ledger, keep_in_ledger
from stt_cli.core.lookup import resolve_job_id, resolve_prefix, short_ids
from stt_cli.errors import SttError, UsageError

if TYPE_CHECKING:
    from stt_cli.api.wire import JobState
    from stt_cli.core.costs import Totals
    from stt_cli.core.ledger import JobRecord, Ledger, UnknownCreate
    from stt_cli.core.session import Session

Connect = Callable[..., AbstractContextManager["Session"]]
Warn = Callable[[str], None]
REFRESH_CONCURRENCY = 8  # status queries in flight at once for `stt jobs --refresh`
FINAL = frozenset({"completed", "failed", "gone"})  # statuses that never change: not asked again


def learn(sess: Session, job: str, warn: Warn) -> JobState:
    """One question to the service about one job; the ledger learns the answer (or that the job is gone)."""

    try:
        state = sess.client.get_job(job)
    except JobGone:
        keep_in_ledger(job, warn, sess.ledger.mark_gone, job, sess.host)
        raise
    keep_in_ledger(
        job,
        warn,
        sess.ledger.update,
        job,
        sess.host,
        status=state.status.shown,
        error=state.error if state.status is Status.FAILED else None,
        result=state.payload if state.status is Status.COMPLETED else None,
        charge=state.charge,
    )
    return state


def status(job_id: str | None, *, connect: Connect, warn: Warn) -> JobState:
    """`stt status`: one job's status, asked of the service."""

    with connect() as sess:
        state = learn(sess, resolve_job_id(job_id, sess.ledger, sess.host), warn)
    if state.status is Status.UNKNOWN:
        warn(f"the service reported an unknown status {state.raw_status!r}; shown as processing")
    return state


class Listing(NamedTuple):
    records: list[JobRecord]
    unknown_creates: Sequence[UnknownCreate]  # creates that may have reached the service with no answer
    short_ids: list[str]  # each record's id as short as the ledger's other ids allow (SHORT_ID characters or more)


class Refreshed(NamedTuple):
    """What `stt jobs --refresh` learnt: how many pending jobs were asked, how many failed to answer, and how
    many belong to another service (the base URL in use cannot ask about them)."""

    asked: int
    failed: int
    elsewhere: int


def _check_status(only: str | None) -> None:

    if only is not None and only not in STATUSES:
        raise UsageError(f"{{option}} {only!r} is not a status", f"use one of: {', '.join(STATUSES)}", option="status")


def _listing(ledger: Ledger, limit: int, only: str | None, since: float | None = None) -> Listing:
    records = ledger.list(limit=limit, status=only, since=since)
    return Listing(records, ledger.unknown_creates(), short_ids([r.id for r in records], ledger.ids()))


def list_jobs(limit: int, only: str | None, since: float | None = None) -> Listing:
    """`stt jobs`: the ledger's jobs, newest first (in one status, created since a time, if given), and its
    creates of unknown outcome."""

    _check_status(only)
    with Ledger() as ledger:
        return _listing(ledger, limit, only, since)


def total_jobs(only: str | None, since: float | None) -> dict[str, Totals]:
    """`stt jobs --total`: every job of the ledger (in one status, created since a time) summed, a service (host)
    apart: the emulator's made-up prices never mix with the service's."""
    from stt_cli.core.costs import Totals  # lazy for start-up: stt status

    _check_status(only)
    with Ledger() as ledger:
        records = ledger.list(status=only, since=since)
    totals: dict[str, Totals] = {}
    for record in records:
        totals.setdefault(record.host, Totals()).add(record.audio_seconds, record.charge)
    return totals


def refresh_jobs(limit: int, only: str | None, *, connect: Connect, warn: Warn) -> tuple[Listing, Refreshed]:
    """`stt jobs --refresh`: the pending jobs among those listed asked of the service (REFRESH_CONCURRENCY at a
    time), then the listing as the ledger now has it. A job that cannot be asked keeps its last status."""
    from stt_cli.core.pool import Pool  # lazy for start-up: stt status

    _check_status(only)
    with connect() as sess:
        pending = [r for r in sess.ledger.list(limit=limit, status=only) if r.status not in FINAL]
        mine = [r for r in pending if r.host == sess.host]

        def ask(_: int, record: JobRecord) -> None:
            with contextlib.suppress(JobGone):  # an answer too: the ledger says gone now
                learn(sess, record.id, warn)

        failed: list[SttError] = []
        if mine:
            outcomes = Pool(REFRESH_CONCURRENCY).run(mine, ask, on_cancel=sess.abort)
            failed = [o.error for o in outcomes if o.error is not None]
        if failed:
            warn(
                f"{len(failed)} of {len(mine)} job(s) could not be asked ({failed[0].message}); "
                "each keeps the status last seen"
            )
        return _listing(sess.ledger, limit, only), Refreshed(len(mine), len(failed), len(pending) - len(mine))


def forgetting(ids: list[str]) -> tuple[list[JobRecord], list[str]]:
    """What `stt jobs rm` would remove: the ledger's jobs of these ids (or of the one id, on any host, each
    is a prefix of), and the ids it does not hold."""

    with Ledger() as ledger:
        whole = {job_id: resolve_prefix(job_id, ledger) for job_id in dict.fromkeys(ids)}
        found = ledger.with_ids(list(whole.values()))
    known = {job.id for job in found}
    return found, [typed for typed, job_id in whole.items() if job_id not in known]


def pruning(older_than: float) -> list[JobRecord]:
    """What `stt jobs prune` would remove."""

    with Ledger() as ledger:
        return ledger.older_than(older_than)


def remove(jobs: list[JobRecord]) -> int:
    """Exactly the jobs listed (and confirmed) removed from the ledger, all or none; how many went."""

    with Ledger() as ledger:
        return ledger.remove_jobs(jobs)
