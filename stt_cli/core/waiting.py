"""Waiting for a job: the poll schedule and the loop that ends in a result, a failure or a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from stt_cli.api.client import JobGone, OutOfTime
from stt_cli.api.wire import JobState, Status
from stt_cli.core.ledger import keep_in_ledger
from stt_cli.core.settings import host_of
from stt_cli.errors import (
    Fix,
    Interrupted,
    JobFailed,
    ServerError,
    StillPending,
)

if TYPE_CHECKING:
    from stt_cli.api.charge import Charge
    from stt_cli.api.client import ApiClient
    from stt_cli.core.ledger import Ledger


# --- The poll schedule: fast at first (short clips finish in seconds), then in proportion to the wait ----
# Polls at 0.5, 1, 1.5, 2, 3, 4, 5, 6, 7.2, 8.6 s, ... : 10 in the first 10 s, 26 in the first 2 minutes,
# and a result is seen at most a fifth of the time already waited after it is ready (bench/run.py ttr).
EARLY_POLL_GAP = 0.5  # s, for the first...
EARLY_POLL_SPAN = 2.0  # ...2 s
POLL_GAP_MIN = 1.0  # s; after that, gaps of a fifth of the time waited so far, at least 1 s...
POLL_GAP_SHARE = 0.2
# ...and at most --poll-interval (defaults.DEFAULT_POLL_INTERVAL)


def poll_delays(poll_interval: float) -> Iterator[float]:
    """The gaps between polls: every half second for 2 s, then a fifth of the wait so far, capped at poll_interval."""
    waited = 0.0
    while True:
        early = waited < EARLY_POLL_SPAN - 1e-9
        delay = min(EARLY_POLL_GAP if early else max(POLL_GAP_MIN, POLL_GAP_SHARE * waited), poll_interval)
        waited += delay
        yield delay


def wait(
    client: ApiClient,
    ledger: Ledger,
    job_id: str,
    *,
    timeout: float,
    poll_interval: float,
    on_status: Callable[[JobState], None] | None = None,
    warn: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    no_wait: bool = False,
    fresh: bool = False,
) -> dict[str, Any]:
    """Poll until the job completes (its payload), fails (JobFailed) or the deadline passes (StillPending).

    A job known to be running is asked at once; a `fresh` one (just created) only after the first gap. The
    deadline also ends a status request in flight. A job the service no longer knows is marked gone in the
    ledger (JobGone is raised).
    """

    host = host_of(client.base_url)
    deadline = clock() + timeout if timeout > 0 else None
    delays = poll_delays(poll_interval)
    warned: set[str] = set()
    last_recorded: str | None = None
    last_charge: Charge | None = None  # the cost headers last recorded: a poll that repeats them writes nothing
    shown = "submitted"

    def gave_up() -> StillPending:
        return StillPending(
            f"gave up waiting after {timeout:g} s; job {job_id} is still {shown}", fix=Fix.RESUME, job_id=job_id
        )

    try:
        if fresh:
            first = next(delays)
            sleep(first if deadline is None else max(0.0, min(first, deadline - clock())))
        while True:
            until = None if deadline is None else time.monotonic() + (deadline - clock())
            try:
                state = client.get_job(job_id, until=until)
            except OutOfTime:
                raise gave_up() from None
            except JobGone:
                keep_in_ledger(job_id, warn, ledger.mark_gone, job_id, host)
                raise
            if on_status is not None:
                on_status(state)
            charge = state.charge if state.charge != last_charge else None
            if charge is not None:
                last_charge = charge
            if state.status is Status.UNKNOWN and state.raw_status not in warned:
                warned.add(state.raw_status)
                warn(f"the service reported an unknown status {state.raw_status!r}; still waiting")
            if state.status is Status.COMPLETED:
                if state.payload is None:
                    raise ServerError(
                        f"the service says job {job_id} completed but sent no result",
                        "try again in a moment",
                        fix=Fix.FETCH_AGAIN,
                        job_id=job_id,
                        then=True,
                    )
                keep_in_ledger(
                    job_id,
                    warn,
                    ledger.update,
                    job_id,
                    host,
                    status=Status.COMPLETED.value,
                    result=state.payload,
                    charge=charge,
                )
                return state.payload
            if state.status is Status.FAILED:
                message = state.error or f"status {state.raw_status}"
                keep_in_ledger(
                    job_id, warn, ledger.update, job_id, host, status=Status.FAILED.value, error=message, charge=charge
                )
                raise JobFailed(
                    f"job {job_id} failed on the server: {message}", "check the source and options, then submit again"
                )
            shown = state.status.shown
            if shown != last_recorded or charge is not None:
                keep_in_ledger(job_id, warn, ledger.update, job_id, host, status=shown, charge=charge)
                last_recorded = shown
            if no_wait:
                raise StillPending(f"job {job_id} is still {shown}", fix=Fix.RESUME, job_id=job_id, later=True)
            delay = next(delays)
            if deadline is not None:
                remaining = deadline - clock()
                if remaining <= 0:
                    raise gave_up()
                delay = min(delay, remaining)
            sleep(delay)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; job {job_id} goes on running on the server", fix=Fix.RESUME, job_id=job_id
        ) from None
