"""The service's model list with its prices, kept in stt's cache folder: written by `stt models --refresh`, read
by the dry run to price a run. Never fetched by the dry run, and never read at start-up.

One file a service (by host), written atomically, at most MAX_CACHE_BYTES, checked whole when read: a file that
is not what stt wrote is ignored (the dry run then knows no price), never trusted. After CATALOGUE_TTL the
prices are shown as stale, with when they were fetched: only `stt models --refresh` asks the service again.
The built-in catalogue (api/catalogue.json) stays what stt checks models against; it holds no prices, as the
provider's documents give none.
"""

from __future__ import annotations

import json
import math
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from stt_cli.api.cost import usd_of, usd_text
from stt_cli.api.prices import MAX_ALIASES, MAX_MODELS, MAX_NAME, Listed
from stt_cli.core.config import cache_dir
from stt_cli.core.settings import host_of

CACHE_VERSION = 1
CATALOGUE_TTL = 24 * 3600.0  # s: a price list older than a day is shown as stale
MAX_CACHE_BYTES = 4 * 1024 * 1024  # some 400 models take about 60 KB
MAX_ETAG = 200
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class PriceList(NamedTuple):
    """The model list of one service as last fetched: when, its ETag, and each model's names and price."""

    base_url: str
    fetched_at: float  # time.time() of the last fetch (a 304 counts: the list was confirmed unchanged)
    etag: str | None
    models: dict[str, Listed]

    def find(self, name: str) -> tuple[str, Listed] | None:
        """The model an id or alias names, matched case-insensitively (as the service's own lookup does)."""
        folded = name.casefold()
        for model_id, listed in self.models.items():
            if model_id.casefold() == folded or any(alias.casefold() == folded for alias in listed.aliases):
                return model_id, listed
        return None


class Quote(NamedTuple):
    """What the cached list says a model costs a second of audio, and how much it can be trusted."""

    model: str
    usd_per_second: Decimal | None
    why_none: str | None  # when there is no price: "no list", "not listed", or the list's reason
    fetched_at: float | None  # when the list was fetched (None: there is none for this service)
    stale: bool  # fetched more than CATALOGUE_TTL ago

    def cost(self, seconds: float | None) -> Decimal | None:
        """What `seconds` of audio would cost at this price, billed by the whole second as the provider's STT
        pages say (the number of seconds in the audio); None when either is not known."""
        if self.usd_per_second is None or seconds is None:
            return None
        return self.usd_per_second * math.ceil(max(0.0, seconds) - 1e-9)

    def as_dict(self) -> dict[str, Any]:
        """The price as the dry run's --json lines carry it."""
        price = self.usd_per_second
        return {
            "usd_per_second": float(price) if price is not None else None,
            "price_fetched_at": self.fetched_at,
            "price_stale": self.stale,
        }


NO_LIST = "no list"
NOT_LISTED = "not listed"


def cache_file(base_url: str) -> Path:
    """The cache file of one service's list (the host in its name, made safe for a file name)."""
    return cache_dir() / "models" / f"{_SAFE.sub('_', host_of(base_url))[:100] or 'service'}.json"


def save(prices: PriceList) -> None:
    """The list written atomically (a reader sees the old file or the new one); private like the cache folder."""
    from stt_cli.core.files import atomic_write_bytes  # lazy for start-up: stt models

    path = cache_file(prices.base_url)
    data = {
        "version": CACHE_VERSION,
        "base_url": prices.base_url,
        "fetched_at": prices.fetched_at,
        "etag": prices.etag,
        "models": {
            model_id: {
                "aliases": list(listed.aliases),
                "usd_per_second": None if listed.usd_per_second is None else usd_text(listed.usd_per_second),
                "pricing": listed.pricing,
            }
            for model_id, listed in prices.models.items()
        },
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_CACHE_BYTES:
        raise ValueError(f"the model list is {len(body):,} bytes, more than the cache keeps")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write_bytes(path, body, mode=0o600)


def load(base_url: str) -> PriceList | None:
    """The cached list of this service, or None: none fetched, or a file stt did not write as it is (a FIFO or a
    device put in its place is never opened for reading, nor a link followed: the dry run must not hang on it)."""
    from stt_cli.core.safeopen import read_regular  # lazy for start-up: stt models

    try:
        data = json.loads(read_regular(cache_file(base_url), MAX_CACHE_BYTES, follow_links=False).data)
    except (OSError, ValueError, RecursionError):
        return None
    return _checked(data, base_url)


def _checked(data: Any, base_url: str) -> PriceList | None:
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("base_url") != base_url:
        return None
    fetched, etag, models = data.get("fetched_at"), data.get("etag"), data.get("models")
    if isinstance(fetched, bool) or not isinstance(fetched, (int, float)) or not math.isfinite(fetched):
        return None
    if etag is not None and not (
        isinstance(etag, str) and len(etag) <= MAX_ETAG and etag.isascii() and etag.isprintable()
    ):
        return None
    if not isinstance(models, dict) or len(models) > MAX_MODELS:
        return None
    listed: dict[str, Listed] = {}
    for model_id, entry in models.items():
        item = _entry(model_id, entry)
        if item is None:
            return None
        listed[model_id] = item
    return PriceList(base_url, float(fetched), etag, listed)


def _entry(model_id: str, entry: Any) -> Listed | None:
    if not (0 < len(model_id) <= MAX_NAME and model_id.isprintable()) or not isinstance(entry, dict):
        return None
    aliases, price, how = entry.get("aliases"), entry.get("usd_per_second"), entry.get("pricing")
    if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
        return None
    if not all(isinstance(a, str) and 0 < len(a) <= MAX_NAME and a.isprintable() for a in aliases):
        return None
    if not isinstance(how, str) or len(how) > 100 or not how.isprintable():
        return None
    usd = usd_of(price) if price is not None else None
    if price is not None and usd is None:
        return None
    return Listed(tuple(aliases), usd, how)


def quote(model: str, base_url: str, now: float | None = None) -> Quote:
    """What a second of `model`'s audio costs by the cached list of this service (read from the disk only)."""
    prices = load(base_url)
    if prices is None:
        return Quote(model, None, NO_LIST, None, False)
    stale = (time.time() if now is None else now) - prices.fetched_at > CATALOGUE_TTL
    found = prices.find(model)
    if found is None:
        return Quote(model, None, NOT_LISTED, prices.fetched_at, stale)
    _, listed = found
    why = None if listed.usd_per_second is not None else listed.pricing
    return Quote(model, listed.usd_per_second, why, prices.fetched_at, stale)
