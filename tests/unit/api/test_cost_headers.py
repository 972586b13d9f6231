"""The cost and tracing headers read as untrusted data: a figure the provider's page does not describe is ignored
with a -v note, never a crash; a job's figures from several answers combine into the largest."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stt_cli.api.charge import Charge
from stt_cli.api.cost import is_client_request_id, read_charge, usd_of, usd_text


def _read(headers: dict[str, str], job_id: str = "job-1") -> tuple[Charge | None, list[str]]:
    notes: list[str] = []
    return read_charge(headers, job_id, notes.append), notes


def test_the_documented_headers_are_read() -> None:
    charge, notes = _read(
        {"x-inference-id": "job-1", "x-aimlapi-credits-used": "2480", "x-aimlapi-usd-spent": "0.001240000"}
    )
    assert charge == Charge(2480, Decimal("0.00124"), "job-1") and notes == []
    assert usd_text(Decimal("0.001240000")) == "0.001240000" and usd_of("0.001240000") == Decimal("0.00124")


def test_an_answer_without_them_says_nothing() -> None:
    assert _read({"content-type": "application/json"}) == (None, [])


@pytest.mark.parametrize(
    "value",
    [
        "1e309",
        "-5",
        "NaN",
        "nan",
        "Infinity",
        "-0.1",
        "1e3",
        "0x10",
        "",
        " ",
        "1,5",
        "$1",
        "١٢",
        "0." + "1" * 40,
        "9" * 10_000,
        "2000000",
        "1.5.5",
        "+1",
    ],
)
def test_a_dollar_figure_that_is_no_charge_is_ignored_with_a_note(value: str) -> None:
    charge, notes = _read({"x-aimlapi-usd-spent": value, "x-aimlapi-credits-used": "12"})
    assert charge == Charge(12, None, None)  # the good figure stays, the bad one is dropped
    assert len(notes) == 1 and "x-aimlapi-usd-spent" in notes[0] and "job-1" in notes[0]
    assert len(notes[0]) < 200  # 10 KB of digits is not echoed whole


@pytest.mark.parametrize("value", ["1e3", "-1", "1.0", "NaN", "9" * 10_000, "3000000000000", "0x1"])
def test_a_credit_count_that_is_no_integer_or_past_any_charge_is_ignored(value: str) -> None:
    charge, notes = _read({"x-aimlapi-credits-used": value})
    assert charge is None and len(notes) == 1 and "x-aimlapi-credits-used" in notes[0]


def test_an_inference_id_other_than_the_jobs_is_noted_and_the_job_keeps_its_own() -> None:
    charge, notes = _read({"x-inference-id": "V1StGXR8Z5jdHi6BmyT8k"})
    assert charge == Charge(None, None, "V1StGXR8Z5jdHi6BmyT8k")
    assert len(notes) == 1 and "keeps the job's own id" in notes[0]
    bad, notes = _read({"x-inference-id": "../../etc\x1b[31m"})
    assert bad is None and len(notes) == 1 and "\x1b" not in notes[0]


def test_the_largest_figure_of_a_jobs_answers_stands() -> None:
    create = Charge(0, Decimal(0), "job-1")
    completed = Charge(2480, Decimal("0.00124"), "job-1")
    assert create.merged(completed) == completed
    assert completed.merged(create) == completed  # a later 0 does not undo a charge
    assert completed.merged(completed) == completed  # the same figure twice is one charge, not two
    assert Charge(None, Decimal("0.5")).merged(Charge(7, None, "x")) == Charge(7, Decimal("0.5"), "x")
    assert completed.merged(None) == completed


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("order-8f21c4", True),
        ("a" * 128, True),
        ("a:b.c_d-E9", True),
        ("a" * 129, False),
        ("", False),
        ("a b", False),
        ("ü", False),
        ("a/b", False),
    ],
)
def test_the_client_request_id_alphabet_is_the_documented_one(value: str, kept: bool) -> None:
    assert is_client_request_id(value) is kept
