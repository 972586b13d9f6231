"""What the service says a request cost, and under which id: its tracing and cost headers, read as untrusted data.

The provider's page (docs/capabilities/request-tracing-and-cost.md, in /work/shared/provider-docs) documents:
a request may carry `X-Client-Request-Id` (1-128 characters of A-Za-z0-9 . _ : -, anything else silently
dropped); an answer carries `x-inference-id` (for an asynchronous job, the generation id that submit returned,
so a submit and its polls share one id), `x-client-request-id` (echoed when valid), and on non-streaming JSON
answers `x-aimlapi-credits-used` (an integer) and `x-aimlapi-usd-spent` (the same amount in US dollars).

A figure that is not what the page says (not plain decimal digits, too long, past any sane charge) is ignored
with a line for -v, never shown and never recorded: where the service does not say, stt says nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from stt_cli.api.charge import Charge
from stt_cli.api.wire import is_valid_id, sanitize, shown_id

CLIENT_REQUEST_ID_HEADER = "X-Client-Request-Id"
INFERENCE_ID_HEADER = "x-inference-id"
CREDITS_HEADER = "x-aimlapi-credits-used"
USD_HEADER = "x-aimlapi-usd-spent"

_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# --- The bounds on a figure: a value past them is no charge the service would make ----------------------
MAX_FIGURE_CHARS = 32  # "0.001240000" is 11; 10 KB of digits is read no further than this
_CREDITS = re.compile(r"[0-9]{1,15}")  # an integer count, no sign, no exponent
_USD = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,12})?")  # plain decimal: no sign, exponent, NaN or Infinity
MAX_USD = Decimal(1_000_000)  # for one request: ten hours of audio at $25 a second is under it
MAX_CREDITS = 2 * 10**12  # MAX_USD at the page's own ratio (2480 credits = $0.00124: 2,000,000 a dollar)


def is_client_request_id(value: str) -> bool:
    """Whether the service would keep this X-Client-Request-Id (it drops any other without a word)."""
    return _CLIENT_REQUEST_ID.fullmatch(value) is not None


Note = Callable[[str], None]


def read_charge(headers: Mapping[str, str], job_id: str, note: Note) -> Charge | None:
    """The cost and id headers of one answer about `job_id`; None when it carries none of them. A bad value is
    left out, and `note` (the -v log) says why."""
    credits = _figure(headers.get(CREDITS_HEADER), CREDITS_HEADER, job_id, note, _credits)
    usd = _figure(headers.get(USD_HEADER), USD_HEADER, job_id, note, _usd)
    inference = _inference_id(headers.get(INFERENCE_ID_HEADER), job_id, note)
    if credits is None and usd is None and inference is None:
        return None
    return Charge(credits, usd, inference)


Parsed = TypeVar("Parsed")


def _figure(
    raw: str | None, name: str, job_id: str, note: Note, parse: Callable[[str], Parsed | None]
) -> Parsed | None:
    if raw is None:
        return None
    text = raw.strip()
    value = parse(text) if len(text) <= MAX_FIGURE_CHARS else None
    if value is None:
        shown = sanitize(text[:MAX_FIGURE_CHARS], 40) + ("..." if len(text) > MAX_FIGURE_CHARS else "")
        note(f"cost: ignored {name} {shown!r} on the answer for job {job_id}: not a charge the service documents")
    return value


def _credits(text: str) -> int | None:
    if _CREDITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= MAX_CREDITS else None


def _usd(text: str) -> Decimal | None:
    return plain_decimal(text, _USD, MAX_USD)


def plain_decimal(text: str, pattern: re.Pattern[str], ceiling: Decimal) -> Decimal | None:
    """`text` as a Decimal when `pattern` (plain digits and a point: no sign, exponent, NaN or Infinity) takes
    it whole and it is at most `ceiling`; None for anything else. Dollars from a header or an option."""
    if pattern.fullmatch(text) is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns admit only plain decimals
        return None
    return value if value.is_finite() and value <= ceiling else None


def _inference_id(raw: str | None, job_id: str, note: Note) -> str | None:
    """The inference id when it is a well-formed id; one that differs from the job's is noted, and the job keeps
    its own id (the page says they are the same)."""
    if raw is None:
        return None
    value = raw.strip()
    if not is_valid_id(value):
        note(f"cost: ignored {INFERENCE_ID_HEADER} {shown_id(value)} on the answer for job {job_id}: not an id")
        return None
    if value != job_id:
        note(f"cost: the answer for job {job_id} names inference id {value}; stt keeps the job's own id")
    return value


def usd_text(usd: Decimal) -> str:
    """A dollar amount as the ledger keeps it: its plain decimal digits, exactly as read."""
    return format(usd, "f")


def usd_of(text: object) -> Decimal | None:
    """A dollar amount the ledger kept, or None for anything that is not one (a damaged row)."""
    return _usd(text) if isinstance(text, str) else None
