"""Asking about jobs: which job a command means, one job's status from the service, the ledger's list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.errors import Fix, UsageError

if TYPE_CHECKING:
    from stt_cli.api.wire import JobState
    from stt_cli.core.ledger import JobRecord, Ledger, UnknownCreate
    from stt_cli.core.session import Session


MIN_PREFIX = 4  # characters of a job id that stand for it, when no other job of the ledger starts with them
SHORT_ID = 8  # characters of a job id that `stt jobs` shows, more when two ids of the ledger share them
CANDIDATES_SHOWN = 3  # ids named by the error of an ambiguous prefix


def resolve_job_id(job_id: str | None, ledger: Ledger, host: str) -> str:
    """The id given (checked: it goes into a URL and a file name), the whole id of the ledger's one job of
    this host it is a prefix of, or the newest job of the ledger."""
    from stt_cli.api.client import quote_id

    if job_id:
        job_id = job_id.strip()
        quote_id(job_id)
        return resolve_prefix(job_id, ledger, host)
    latest = ledger.latest(host)
    if latest is None:
        raise UsageError(f"no job recorded for {host} on this machine yet", fix=Fix.NO_JOB_YET)
    return latest.id


def resolve_prefix(typed: str, ledger: Ledger, host: str | None = None) -> str:
    """A typed id made whole: an id of the ledger (of `host`, or of any host) as it is; a prefix of just
    one such id (MIN_PREFIX characters at least) that id; anything matching none as typed, for the service
    to answer. Two ids or more starting with it, or a prefix too short, is a usage error (exit 2)."""
    from stt_cli.api.wire import shown_id

    matches = ledger.ids_starting(typed, host)
    if not matches or typed in matches:
        return typed
    if len(typed) < MIN_PREFIX:
        raise UsageError(
            f"job id {shown_id(typed)} is too short to stand for a job of the ledger ({len(typed)} of the"
            f" {MIN_PREFIX} characters needed at least)",
            fix=Fix.JOB_PREFIX,
            short=MIN_PREFIX,
        )
    if len(matches) == 1:
        return matches[0]
    named = ", ".join(matches[:CANDIDATES_SHOWN]) + (", ..." if len(matches) > CANDIDATES_SHOWN else "")
    raise UsageError(
        f"job id {shown_id(typed)} is ambiguous: {len(matches)} jobs start with it ({named})", fix=Fix.JOB_PREFIX
    )


def short_ids(ids: Sequence[str], among: Sequence[str]) -> list[str]:
    """Each id cut to its first SHORT_ID characters, or more: as many as make it a prefix of no other id
    in `among` (the whole id if it is itself the start of another)."""
    import bisect

    ordered = sorted(set(among) | set(ids))
    shown = []
    for job_id in ids:
        at = bisect.bisect_left(ordered, job_id)
        shared = max(
            (_common(job_id, ordered[n]) for n in (at - 1, at + 1) if 0 <= n < len(ordered)),
            default=0,
        )
        shown.append(job_id[: max(SHORT_ID, shared + 1)])
    return shown


def _common(a: str, b: str) -> int:
    """How many first characters two strings share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


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
    unknown_creates: Sequence[UnknownCreate]  # creates that may have reached the service with no answer
    short_ids: list[str]  # each record's id as short as the ledger's other ids allow (SHORT_ID characters or more)


def list_jobs(limit: int, only: str | None) -> Listing:
    """The ledger's jobs, newest first (in one status, if given), and its creates of unknown outcome."""
    from stt_cli.core.ledger import STATUSES, Ledger

    if only is not None and only not in STATUSES:
        raise UsageError(f"{{option}} {only!r} is not a status", f"use one of: {', '.join(STATUSES)}", option="status")
    with Ledger() as ledger:
        records = ledger.list(limit=limit, status=only)
        return Listing(records, ledger.unknown_creates(), short_ids([r.id for r in records], ledger.ids()))


def forgetting(ids: list[str]) -> tuple[list[JobRecord], list[str]]:
    """What `stt jobs rm` would remove: the ledger's jobs of these ids (or of the one id, on any host, each
    is a prefix of), and the ids it does not hold."""
    from stt_cli.core.ledger import Ledger

    with Ledger() as ledger:
        whole = {job_id: resolve_prefix(job_id, ledger) for job_id in dict.fromkeys(ids)}
        found = ledger.with_ids(list(whole.values()))
    known = {job.id for job in found}
    return found, [typed for typed, job_id in whole.items() if job_id not in known]


def pruning(older_than: float) -> list[JobRecord]:
    """What `stt jobs prune` would remove."""
    from stt_cli.core.ledger import Ledger

    with Ledger() as ledger:
        return ledger.older_than(older_than)


def remove(jobs: list[JobRecord]) -> int:
    """Exactly the jobs listed (and confirmed) removed from the ledger, all or none; how many went."""
    from stt_cli.core.ledger import Ledger

    with Ledger() as ledger:
        return ledger.remove_jobs(jobs)
