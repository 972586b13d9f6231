"""The emulator's prices and its model list: the cost and tracing headers of its answers, `GET /v1/models` and
`GET /model/{id}`, in the shapes of the provider's pages (request-tracing-and-cost.md, complete-model-list.md).

The provider's documents give no price for any speech-to-text model, so the emulator's is its own figure,
EMULATOR_PRICE_PER_SECOND (or --price-per-second), labelled as such wherever it is shown. A job is billed per
second of its audio, as the provider's STT pages say ("based on the number of seconds in the input audio
file"), whole seconds rounded up; credits follow at the page's own ratio (2480 credits = $0.00124).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stt_cli.api.catalogue import all_models, family_of
from stt_cli.api.catalogue import model as catalogue_model
from stt_cli.api.cost import plain_decimal

EMULATOR_PRICE_PER_SECOND = Decimal("0.0001")  # USD: the emulator's own figure, not the provider's price
MAX_PRICE_PER_SECOND = Decimal(100)
CREDITS_PER_USD = 2_000_000  # the page's example: 2480 credits = $0.00124
USD_PLACES = Decimal("0.000000001")  # the page's example writes nine places: 0.001240000
# Where each charge goes: every answer about the job repeats it (the page records it under the inference id
# that a submit and its polls share), or only the create's, or only the completed poll's (POST
# /_emulator/next-job {"charge_on": ...}, to test a client against each reading of the page).
CHARGE_ON = ("every", "create", "completed")

# Who makes each family's models (the `info.developer` of the model list).
DEVELOPERS = {
    "Whisper": "Open AI",
    "Nova-2": "Deepgram",
    "Nova-3": "Deepgram",
    "AssemblyAI": "AssemblyAI",
    "OpenAI": "Open AI",
    "Microsoft": "Microsoft",
}
MODEL_TYPE = "stt"  # the endpoint type its models are served through
SECTIONS = ("pricing", "modalities", "capabilities")
_PRICE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,12})?")


def parse_price(text: str) -> Decimal | None:
    """--price-per-second: plain decimal dollars (0.0001), at most MAX_PRICE_PER_SECOND; None for anything else."""
    return plain_decimal(text.strip(), _PRICE, MAX_PRICE_PER_SECOND)


def charge(seconds: float, price: Decimal) -> tuple[int, Decimal]:
    """A job's credits and dollars: its whole seconds of audio (rounded up) at `price`."""
    billed = math.ceil(max(0.0, seconds) - 1e-9)
    usd = (price * billed).quantize(USD_PLACES, rounding=ROUND_HALF_UP)
    credits = int((usd * CREDITS_PER_USD).to_integral_value(rounding=ROUND_HALF_UP))
    return credits, usd


def cost_headers(seconds: float, price: Decimal) -> dict[str, str]:
    credits, usd = charge(seconds, price)
    return {"x-aimlapi-credits-used": str(credits), "x-aimlapi-usd-spent": f"{usd:f}"}


def carries_charge(charge_on: str, answer: str) -> bool:
    """Whether an answer (create, pending, completed, failed) carries the job's charge under `charge_on`."""
    if charge_on == "create":
        return answer == "create"
    if charge_on == "completed":
        return answer == "completed"
    return True


# --- The model list ---------------------------------------------------------------------------------------
def _entry(model_id: str, sections: set[str], price: Decimal) -> dict[str, Any]:
    """One model as the list shows it: id, aliases, type, info, tags, and the sections asked for."""
    found = catalogue_model(model_id)
    family = family_of(model_id)
    family_name = family.name if family is not None else ""
    item: dict[str, Any] = {
        "id": model_id,
        "aliases": list(found.aliases) if found is not None else [],
        "type": MODEL_TYPE,
        "info": {"name": model_id.rsplit("/", 1)[-1].lstrip("#"), "developer": DEVELOPERS.get(family_name, "")},
        "tags": [],
    }
    if "pricing" in sections:
        item["pricing"] = {
            "kind": "fixed",
            "currency": "USD",
            "units": [{"name": "second", "price": float(price), "per": 1}],
        }
    if "modalities" in sections:
        item["modalities"] = {"input": ["audio"], "output": ["text"]}
    if "capabilities" in sections:
        item["capabilities"] = []
    return item


def _values(query: dict[str, list[str]], name: str) -> set[str]:
    """A filter's values, comma-separated or repeated (both merge), case-folded; empty: no filter."""
    return {v.strip().casefold() for raw in query.get(name, []) for v in raw.split(",") if v.strip()}


def _sections(query: dict[str, list[str]]) -> set[str]:
    wanted = _values(query, "include")
    if "all" in wanted or "true" in _values(query, "details"):
        return set(SECTIONS)
    return wanted & set(SECTIONS)  # unknown values are ignored, not refused


def _names(item: dict[str, Any]) -> set[str]:
    return {str(item["id"]).casefold(), *(str(alias).casefold() for alias in item["aliases"])}


def _kept(item: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """The page's filters: values of one parameter OR'd, parameters AND'd, matched case-insensitively."""
    full = _entry(str(item["id"]), set(SECTIONS), Decimal(0))
    modalities = full["modalities"]
    tests: Iterable[tuple[str, set[str]]] = (
        ("id", _names(item)),
        ("type", {MODEL_TYPE}),
        ("tags", {t.casefold() for t in item["tags"]}),
        ("modalities", {*modalities["input"], *modalities["output"]}),
        ("input_modalities", set(modalities["input"])),
        ("output_modalities", set(modalities["output"])),
        ("capabilities", set(full["capabilities"])),
    )
    return all(not (wanted := _values(query, name)) or wanted & have for name, have in tests)


def model_list(query: dict[str, list[str]], price: Decimal) -> dict[str, Any]:
    """GET /v1/models: {"object": "list", "data": [...]}, filtered and expanded as the query asks."""
    sections = _sections(query)
    items = [_entry(model_id, sections, price) for model_id in all_models()]
    return {"object": "list", "data": [item for item in items if _kept(item, query)]}


def one_model(name: str, query: dict[str, list[str]], price: Decimal) -> dict[str, Any] | None:
    """GET /model/{id}: {"object": "model", "data": {...}} for an id or alias in any case; None: no such model."""
    folded = name.casefold()
    for model_id in all_models():
        item = _entry(model_id, _sections(query), price)
        if folded in _names(item):
            return {"object": "model", "data": item}
    return None


def etag_of(body: bytes) -> str:
    """A weak ETag over the whole answer, as the page shows them (W/"<length in hex>-<digest>")."""
    return f'W/"{len(body):x}-{hashlib.sha256(body).hexdigest()[:27]}"'


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match names this ETag (or is *): then the answer is 304 with no body."""
    if not if_none_match:
        return False
    tags = {tag.strip() for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags or etag.removeprefix("W/") in {t.removeprefix("W/") for t in tags}
