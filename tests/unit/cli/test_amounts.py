"""Amounts as a person reads them, and a set of jobs' totals: only the figures the service gave, and for how many."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stt_cli.api.charge import Charge
from stt_cli.cli.amounts import audio_length, charge_text, dollars, totals_line
from stt_cli.core.costs import Totals


@pytest.mark.parametrize(
    ("usd", "shown"),
    [
        ("4.56", "$4.56"),
        ("1234.5", "$1,234.50"),
        ("0.00124", "$0.00124"),
        ("0.024", "$0.024"),
        ("0.5", "$0.50"),
        ("0", "$0"),
        ("0.000000123", "$0.000000123"),
        ("0.999", "$0.999"),
        ("0.12345", "$0.123"),
    ],
)
def test_dollars(usd: str, shown: str) -> None:
    assert dollars(Decimal(usd)) == shown


@pytest.mark.parametrize(("seconds", "shown"), [(11520, "3 h 12 min"), (7200, "2 h"), (720.4, "12 min"), (45, "45 s")])
def test_audio_length(seconds: float, shown: str) -> None:
    assert audio_length(seconds) == shown


def test_a_batch_whose_every_job_reported_its_cost() -> None:
    totals = Totals()
    for _ in range(42):
        totals.add(274.3, Charge(29, Decimal("0.10857")))
    assert totals_line(totals) == "42 jobs, 3 h 12 min of audio, 1,218 credits, $4.56"
    assert totals.as_dict() == {
        "jobs": 42, "audio_seconds": pytest.approx(11520.6), "jobs_timed": 42, "credits": 1218, "jobs_credited": 42,
        "usd": pytest.approx(4.55994), "jobs_priced": 42,
    }  # fmt: skip


def test_only_what_the_service_said_is_shown() -> None:
    totals = Totals()
    totals.add(60, None)
    totals.add(None, Charge(200, Decimal("0.0001")), reused=True)
    totals.add(60, Charge(None, None, "job-3"))  # an id, no figure: no cost
    assert totals_line(totals) == (
        "3 jobs, 2 min of audio (length known for 2), 200 credits, $0.0001 (cost reported for 1 of the 3 jobs); "
        "1 reused from earlier runs, billed then"
    )
    silent = Totals()
    silent.add(30, None)
    assert totals_line(silent) == "1 job, 30 s of audio"  # no cost said: none shown, none guessed
    assert silent.as_dict()["credits"] is None and silent.as_dict()["usd"] is None
    assert charge_text(None) == "" and charge_text(Charge(1, Decimal("0.5"))) == "1 credit, $0.50"
