"""Amounts as a person reads them: dollars, credits, lengths of audio, and a set of jobs' totals in one line
(only the figures the service gave, and for how many of the jobs)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stt_cli.api.charge import Charge
    from stt_cli.core.costs import Totals


def dollars(usd: Decimal) -> str:
    """$4.56 from a dollar up; below, three significant digits ($0.00124, $0.024), never an exponent."""
    if usd >= 1:
        return f"${usd:,.2f}"
    if usd == 0:
        return "$0"
    places = max(2, 2 - usd.adjusted())
    text = f"{usd:.{places}f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def credits_text(credits: int) -> str:
    return f"{credits:,} credit" + ("" if credits == 1 else "s")


def audio_length(seconds: float) -> str:
    """3 h 12 min, 12 min, 45 s."""
    whole = round(seconds)
    hours, minutes = whole // 3600, whole % 3600 // 60
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{whole} s"


def ago(seconds: float) -> str:
    """How long ago, in its largest unit: just now, 5 min, 2 h, 3 d."""
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def charge_text(charge: Charge | None) -> str:
    """One job's cost (`1,234 credits, $4.56`), or "" when the service gave none."""
    if charge is None:
        return ""
    parts = [credits_text(charge.credits)] if charge.credits is not None else []
    if charge.usd is not None:
        parts.append(dollars(charge.usd))
    return ", ".join(parts)


def totals_line(totals: Totals) -> str:
    """42 jobs, 3 h 12 min of audio, 1,234 credits, $4.56 (cost reported for 40 of the 42 jobs)."""
    jobs = totals.jobs
    parts = [f"{jobs} job" + ("" if jobs == 1 else "s")]
    if totals.timed:
        known = f" (length known for {totals.timed})" if totals.timed < jobs else ""
        parts.append(f"{audio_length(totals.audio_seconds)} of audio{known}")
    if totals.credited:
        parts.append(credits_text(totals.credits))
    if totals.priced:
        parts.append(dollars(totals.usd))
    line = ", ".join(parts)
    if totals.costed and totals.costed < jobs:
        line += f" (cost reported for {totals.costed} of the {jobs} jobs)"
    if totals.reused:
        line += f"; {totals.reused} reused from earlier runs, billed then"
    return line
