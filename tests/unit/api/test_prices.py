"""The service's model list read for its prices: `kind` first, `price` always with `per`, only USD, bounded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stt_cli.api.prices import NO_PRICE, NOT_AHEAD, PER_OTHER_UNIT, VARIES, per_second, read_model_list


@pytest.mark.parametrize(
    ("pricing", "price", "how"),
    [
        ({"kind": "fixed", "currency": "USD", "units": [{"name": "second", "price": 0.0001, "per": 1}]},
         Decimal("0.0001"), "per second"),
        ({"kind": "fixed", "units": [{"name": "Minute", "price": 0.006, "per": 1}]}, Decimal("0.0001"), "per second"),
        ({"kind": "fixed", "units": [{"name": "second", "price": 0.5, "per": 1000}]}, Decimal("0.0005"), "per second"),
        ({"kind": "fixed", "units": [{"name": "token", "measure": "output", "price": 3.25, "per": 1000000}]},
         None, PER_OTHER_UNIT),
        ({"kind": "variants", "dimensions": ["resolution"], "variants": [
            {"when": {"resolution": "720p"}, "price": 0.39, "unit": "second", "per": 1},
            {"when": {"resolution": "1080p"}, "price": 0.65, "unit": "second", "per": 1}]}, None, VARIES),
        ({"kind": "variants", "variants": [{"when": {}, "price": 0.2, "unit": "second", "per": 1}]},
         Decimal("0.2"), "per second"),
        ({"kind": "variable"}, None, NOT_AHEAD),
        ({"kind": "fixed", "currency": "EUR", "units": [{"name": "second", "price": 1, "per": 1}]}, None, NO_PRICE),
        ({"kind": "fixed", "units": [{"name": "second", "price": -1, "per": 1}]}, None, PER_OTHER_UNIT),
        ({"kind": "fixed", "units": [{"name": "second", "price": 1, "per": 0}]}, None, PER_OTHER_UNIT),
        ({"kind": "fixed", "units": [{"name": "second", "price": True, "per": 1}]}, None, PER_OTHER_UNIT),
        ({"kind": "fixed", "units": [{"name": "second", "price": 1e300, "per": 1e-300}]}, None, PER_OTHER_UNIT),
        ({"kind": "fixed", "units": [{"name": "second", "price": 500, "per": 1}]}, None, PER_OTHER_UNIT),
        ({"kind": "fixed", "units": "a second"}, None, NO_PRICE),
        ({"kind": "mystery"}, None, NO_PRICE),
        (None, None, NO_PRICE),
    ],
)  # fmt: skip
def test_a_pricing_block_gives_a_price_a_second_or_why_not(pricing: object, price: Decimal | None, how: str) -> None:
    assert per_second(pricing) == (price, how)


def test_the_list_in_either_shape_with_bad_items_skipped() -> None:
    items = [
        {"id": "a/one", "aliases": ["one", 5, "x" * 500], "pricing": {"kind": "variable"}},
        {"id": ""},
        {"id": "bad\x1bid"},
        "text",
        {"aliases": ["orphan"]},
    ]
    for body in ({"object": "list", "data": items}, items):
        models = read_model_list(body)
        assert models is not None and list(models) == ["a/one"]
        assert models["a/one"].aliases == ("one",) and models["a/one"].pricing == NOT_AHEAD
    assert read_model_list({"data": "no"}) is None and read_model_list("no") is None
    assert read_model_list({"data": [{"id": "x"}] * 10_001}) is None
