"""`stt models --refresh`: the service's model list with its prices fetched into stt's cache (core/pricelist.py),
asked with the ETag of the copy in hand so that an unchanged list costs a 304; and a model's cached price."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.api.prices import read_model_list
from stt_cli.core import pricelist
from stt_cli.errors import Fix, ServerError, UsageError

if TYPE_CHECKING:
    from stt_cli.api.client import ApiClient
    from stt_cli.core.pricelist import Quote


class Refreshed(NamedTuple):
    """What a refresh did: how many models the list holds, how many with a price a second, whether it had
    changed since the copy in hand, and where it is kept."""

    models: int
    priced: int
    unchanged: bool
    path: str


def refresh(client: ApiClient) -> Refreshed:
    """GET /models?include=pricing (If-None-Match: the cached copy's ETag), kept in the cache; the client sends
    no key (the list needs none)."""
    kept = pricelist.load(client.base_url)
    answer = client.list_models(kept.etag if kept is not None else None)
    now = time.time()
    if answer.body is None and kept is not None:  # 304: the copy in hand is the list, confirmed now
        prices = kept._replace(fetched_at=now, etag=answer.etag or kept.etag)
        unchanged = True
    else:
        models = read_model_list(answer.body)
        if models is None:
            raise ServerError(
                "the server's model list is not one (no list of models under data)", fix=Fix.NOT_THE_SERVICE
            )
        prices = pricelist.PriceList(client.base_url, now, answer.etag, models)
        unchanged = False
    try:
        pricelist.save(prices)
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(
            f"the model list could not be kept in {pricelist.cache_file(client.base_url)} ({why})",
            "check that folder and the disk",
        ) from None
    priced = sum(1 for listed in prices.models.values() if listed.usd_per_second is not None)
    return Refreshed(len(prices.models), priced, unchanged, str(pricelist.cache_file(client.base_url)))


def price_of(model: str, base_url: str) -> Quote:
    """What the cached list says a second of this model's audio costs (the disk only: nothing is asked)."""
    return pricelist.quote(model, base_url)
