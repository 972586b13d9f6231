"""Asking about jobs: which job a command means, one job's status from the service, the ledger's list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NamedTuple

from stt_cli.errors import UsageError

if TYPE_CHECKING:
    from stt_cli.api.wire import JobState
    from stt_cli.core.ledger import JobRecord, Ledger
    from stt_cli.core.session import Session


def resolve_job_id(job_id: str | None, ledger: Ledger, host: str) -> str:
    """The id given (checked: it goes into a URL and a file name), or the newest job of the ledger."""
    from stt_cli.api.client import quote_id

    if job_id:
        job_id = job_id.strip()
        quote_id(job_id)
        return job_id
    latest = ledger.latest(host)
    if latest is None:
        raise UsageError(f"no job recorded for {host} on this machine yet", "pass a job id, or submit one first")
    return latest.id


def status(
    job_id: str | None, *, connect: Callable[[], AbstractContextManager[Session]], warn: Callable[[str], None]
) -> JobState:
    """One question to the service about one job; the ledger learns the answer (or that the job is gone)."""
    from stt_cli.api.client import JobGone
    from stt_cli.api.wire import Status
    from stt_cli.core.ledger import keep_in_ledger

    with connect() as sess:
        job = resolve_job_id(job_id, sess.ledger, sess.host)
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
        )
    if state.status is Status.UNKNOWN:
        warn(f"the service reported an unknown status {state.raw_status!r}; shown as processing")
    return state


class Listing(NamedTuple):
    records: list[JobRecord]
    unknown_creates: Sequence[Any]  # creates that may have reached the service with no answer


def list_jobs(limit: int, only: str | None) -> Listing:
    """The ledger's jobs, newest first (in one status, if given), and its creates of unknown outcome."""
    from stt_cli.core.ledger import STATUSES, Ledger

    if only is not None and only not in STATUSES:
        raise UsageError(f"--status {only!r} is not a status", f"use one of: {', '.join(STATUSES)}")
    ledger = Ledger()
    try:
        return Listing(ledger.list(limit=limit, status=only), ledger.unknown_creates())
    finally:
        ledger.close()


def forgetting(ids: list[str]) -> tuple[list[JobRecord], list[str]]:
    """What `stt jobs rm` would remove: the ledger's jobs of these ids, and the ids it does not hold."""
    from stt_cli.core.ledger import Ledger

    ledger = Ledger()
    try:
        found = ledger.with_ids(ids)
    finally:
        ledger.close()
    known = {job.id for job in found}
    return found, [job_id for job_id in dict.fromkeys(ids) if job_id not in known]


def pruning(older_than: float) -> list[JobRecord]:
    """What `stt jobs prune` would remove."""
    from stt_cli.core.ledger import Ledger

    ledger = Ledger()
    try:
        return ledger.older_than(older_than)
    finally:
        ledger.close()


def remove(jobs: list[JobRecord]) -> int:
    """Exactly the jobs listed (and confirmed) removed from the ledger; how many went."""
    from stt_cli.core.ledger import Ledger

    ledger = Ledger()
    try:
        return ledger.remove_jobs(jobs)
    finally:
        ledger.close()


def forget(ids: list[str]) -> list[str]:
    """Remove jobs from the ledger (the service is not asked); the ids it did not hold."""
    from stt_cli.core.ledger import Ledger

    ledger = Ledger()
    try:
        return [job_id for job_id in ids if ledger.remove(job_id) == 0]
    finally:
        ledger.close()


def prune(older_than: float) -> int:
    """Forget the jobs older than this many seconds; how many went."""
    from stt_cli.core.ledger import Ledger

    ledger = Ledger()
    try:
        return ledger.prune(older_than)
    finally:
        ledger.close()
