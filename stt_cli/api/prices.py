"""The service's model list (`GET /v1/models?include=pricing`, complete-model-list.md) read for what stt needs of
it: each model's id, its aliases, and its price per second of audio where the list quotes one. Untrusted data:
bounded counts and lengths, numbers that are finite, non-negative and sane; anything else is left out.

The page: `pricing.kind` says how the rest is shaped (`fixed`: one rate a unit in `units[]`; `variants`: a rate
per combination of request parameters; `variable`: none can be quoted ahead); `price` is the charge for `per`
units, never to be read without `per`; prices are in USD.
"""

from __future__ import annotations

import math
from decimal import Decimal, DecimalException, InvalidOperation
from typing import Any, NamedTuple

MAX_MODELS = 10_000  # the list held some 400 early in 2026
MAX_NAME = 200  # characters of an id or alias
MAX_ALIASES = 50
MAX_UNITS = 50
MAX_PER_SECOND = Decimal(100)  # USD: no speech-to-text second costs more
SECONDS_IN = {"second": 1, "minute": 60, "hour": 3600}  # per-time units, in seconds
PLACES = Decimal("1e-12")  # of a dollar: what a price a second is kept to

# Why a model has no price a second, as the list shows it (words for the dry run to say).
PER_OTHER_UNIT = "priced by another unit than time"
VARIES = "priced by its options (variants)"
NOT_AHEAD = "priced only once it has run (variable)"
NO_PRICE = "listed without a price"


class Listed(NamedTuple):
    """One model of the list: its aliases, and its price a second (None: `pricing` says why not)."""

    aliases: tuple[str, ...]
    usd_per_second: Decimal | None
    pricing: str  # "per second", or why there is no price a second


def read_model_list(body: object) -> dict[str, Listed] | None:
    """The models of a `GET /v1/models` answer by id; None when it is not a model list at all.

    The current page wraps them as {"object": "list", "data": [...]}; earlier revisions of the provider's schema
    answered a bare array: both are read. An item without a usable id is skipped.
    """
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list) or len(items) > MAX_MODELS:
        return None
    models: dict[str, Listed] = {}
    for item in items:
        if not isinstance(item, dict) or not _is_name(item.get("id")):
            continue
        aliases = item.get("aliases")
        names = tuple(a for a in aliases[:MAX_ALIASES] if _is_name(a)) if isinstance(aliases, list) else ()
        price, how = per_second(item.get("pricing"))
        models[item["id"]] = Listed(names, price, how)
    return models


def _is_name(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME and value.isprintable()


def per_second(pricing: object) -> tuple[Decimal | None, str]:
    """A pricing block's price for one second of audio, or None and why there is none."""
    if not isinstance(pricing, dict):
        return None, NO_PRICE
    kind = pricing.get("kind")
    if pricing.get("currency", "USD") != "USD":
        return None, NO_PRICE
    if kind == "fixed":
        units = pricing.get("units")
        rates = [_rate(u, "name") for u in units[:MAX_UNITS]] if isinstance(units, list) else []
        timed = {rate for rate in rates if rate is not None}
        return (timed.pop(), "per second") if len(timed) == 1 else (None, PER_OTHER_UNIT if rates else NO_PRICE)
    if kind == "variants":
        variants = pricing.get("variants")
        rates = [_rate(v, "unit") for v in variants[:MAX_UNITS]] if isinstance(variants, list) else []
        timed = {rate for rate in rates if rate is not None}
        if len(timed) == 1 and None not in rates:  # every combination costs the same a second
            return timed.pop(), "per second"
        return None, VARIES
    if kind == "variable":
        return None, NOT_AHEAD
    return None, NO_PRICE


def _rate(unit: object, name_key: str) -> Decimal | None:
    """One rate's price a second, when its unit is a span of time and its figures are sane."""
    if not isinstance(unit, dict):
        return None
    name = unit.get(name_key)
    seconds = SECONDS_IN.get(name.casefold()) if isinstance(name, str) else None
    price, per = _number(unit.get("price")), _number(unit.get("per", 1))
    if seconds is None or price is None or per is None or per <= 0:
        return None
    try:
        rate = price / (per * seconds)
        return rate.quantize(PLACES) if rate <= MAX_PER_SECOND else None  # a per-minute price divides without end
    except DecimalException:  # past the context's precision: no price of this world
        return None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - str() of a finite number is always one
        return None
    return number if number >= 0 else None
