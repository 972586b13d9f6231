"""What a set of jobs held and cost, summed from what the service said of each (a batch's summary line, and
`stt jobs --total`): a figure no job reported is never guessed, and how many jobs reported it is kept beside it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stt_cli.api.charge import Charge


@dataclass
class Totals:
    """Sums over `jobs` jobs, each figure with the number of jobs it counts (the others said nothing)."""

    jobs: int = 0
    audio_seconds: float = 0.0
    timed: int = 0  # jobs whose audio length is known
    credits: int = 0
    credited: int = 0  # jobs whose credits the service gave
    usd: Decimal = Decimal(0)
    priced: int = 0  # jobs whose dollars the service gave
    reused: int = 0  # jobs of earlier runs (billed then, not again)

    def add(self, seconds: float | None, charge: Charge | None, reused: bool = False) -> None:
        """One job."""
        self.jobs += 1
        self.reused += reused
        if seconds is not None:
            self.audio_seconds += seconds
            self.timed += 1
        if charge is not None and charge.credits is not None:
            self.credits += charge.credits
            self.credited += 1
        if charge is not None and charge.usd is not None:
            self.usd += charge.usd
            self.priced += 1

    @property
    def costed(self) -> int:
        """The jobs the service gave any cost for."""
        return max(self.credited, self.priced)

    def as_dict(self) -> dict[str, Any]:
        """The totals as `--json` prints them: null for a figure no job reported."""
        return {
            "jobs": self.jobs,
            "audio_seconds": round(self.audio_seconds, 3) if self.timed else None,
            "jobs_timed": self.timed,
            "credits": self.credits if self.credited else None,
            "jobs_credited": self.credited,
            "usd": float(self.usd) if self.priced else None,
            "jobs_priced": self.priced,
        }


class Tally:
    """A batch's jobs as its workers finish them, each job once (two copies of the same audio share one job,
    billed once); a job counts as reused only when every source that used it found it in the ledger."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, tuple[float | None, Charge | None, bool]] = {}

    def add(self, job_id: str, seconds: float | None, charge: Charge | None, reused: bool = False) -> None:
        with self._lock:
            known = self._jobs.get(job_id)
            self._jobs[job_id] = (seconds, charge, reused and (known is None or known[2]))

    def totals(self) -> Totals:
        with self._lock:
            jobs = list(self._jobs.values())
        totals = Totals()
        for seconds, charge, reused in jobs:
            totals.add(seconds, charge, reused)
        return totals
