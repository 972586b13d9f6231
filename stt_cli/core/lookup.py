"""Which job a command means: an id checked, a prefix made whole from the ledger, or the newest job; and the
short forms of ids that `stt jobs` shows."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stt_cli.api.client import quote_id
from stt_cli.api.wire import shown_id
from stt_cli.errors import Fix, UsageError

if TYPE_CHECKING:
    from stt_cli.core.ledger import Ledger


MIN_PREFIX = 4  # characters of a job id that stand for it, when no other job of the ledger starts with them
SHORT_ID = 8  # characters of a job id that `stt jobs` shows, more when two ids of the ledger share them
CANDIDATES_SHOWN = 3  # ids named by the error of an ambiguous prefix


def resolve_job_id(job_id: str | None, ledger: Ledger, host: str) -> str:
    """The id given (checked: it goes into a URL and a file name), the whole id of the ledger's one job of
    this host it is a prefix of, or the newest job of the ledger."""

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
