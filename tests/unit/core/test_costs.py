"""A batch's tally: each job once, whatever number of sources used it; reused only when every one found it."""

from __future__ import annotations

from decimal import Decimal

from stt_cli.api.charge import Charge
from stt_cli.core.costs import Tally


def test_a_job_two_sources_share_is_counted_once() -> None:
    tally = Tally()
    tally.add("job-1", 10.0, Charge(2000, Decimal("0.001")), reused=True)  # the copy found it in the ledger...
    tally.add("job-1", 10.0, Charge(2000, Decimal("0.001")), reused=False)  # ...the batch had just created it
    tally.add("job-2", 5.0, Charge(1000, Decimal("0.0005")), reused=True)
    totals = tally.totals()
    assert (totals.jobs, totals.credits, totals.usd, totals.reused) == (2, 3000, Decimal("0.0015"), 1)
    assert totals.audio_seconds == 15.0 and totals.costed == 2
