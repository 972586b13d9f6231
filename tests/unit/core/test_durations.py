"""One duration syntax for --timeout, --poll-interval, --older-than and their config keys."""

from __future__ import annotations

import pytest

from stt_cli.core.defaults import MAX_DURATION, parse_duration, shown_duration


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("90", 90.0),
        ("0", 0.0),
        ("0.05", 0.05),
        (".5", 0.5),
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1H30M", 5400.0),
        ("1h 30m", 5400.0),
        ("1.5h", 5400.0),
        ("2d", 172800.0),
        ("1w2d", 777600.0),
        ("1h0m5s", 3605.0),
        (" 30d ", 2592000.0),
        (3600.0, 3600.0),  # a number from the config file
        (8, 8.0),
    ],
)
def test_durations(raw: str | float, seconds: float) -> None:
    assert parse_duration(raw) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("soon", "not a number"),
        ("5x", "'x' is not a unit"),
        ("5min", "'min' is not a unit"),
        ("30m1h", "largest first"),
        ("1h1h", "largest first"),
        ("-5", "negative"),
        ("-5m", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        ("1e3", "not a number"),
        ("5m-", "not a number"),
        ("m", "not a number"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (-1.0, "negative"),
        ("999999999w", "100 years"),
    ],
)
def test_what_is_not_a_duration(raw: str | float, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_duration(raw)


def test_the_cap_keeps_a_sleep_from_overflowing() -> None:
    import threading

    assert MAX_DURATION < threading.TIMEOUT_MAX
    assert parse_duration(MAX_DURATION) == MAX_DURATION


@pytest.mark.parametrize(
    ("seconds", "shown"), [(3600, "1h"), (8, "8s"), (90, "1m30s"), (5400, "1h30m"), (0.5, "0.5s"), (0, "0s")]
)
def test_shown_durations_read_back_as_the_same_number(seconds: float, shown: str) -> None:
    assert shown_duration(seconds) == shown
    assert parse_duration(shown) == seconds
