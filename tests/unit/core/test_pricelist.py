"""The cached price list: written whole and private, read back only when it is exactly what stt wrote, for the
service it was fetched from; stale after a day; a quote for an id or alias in any case."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
from decimal import Decimal

from stt_cli.api.prices import Listed
from stt_cli.core import pricelist
from stt_cli.core.pricelist import CATALOGUE_TTL, NO_LIST, NOT_LISTED, PriceList, quote

BASE = "https://api.aimlapi.com/v1"


def _list(fetched_at: float = 1000.0) -> PriceList:
    return PriceList(BASE, fetched_at, 'W/"1-a"', {
        "aai/universal": Listed(("universal",), Decimal("0.000016666667"), "per second"),
        "nova-3": Listed((), None, "priced only once it has run (variable)"),
    })  # fmt: skip


def test_a_saved_list_reads_back_as_it_was() -> None:
    pricelist.save(_list())
    path = pricelist.cache_file(BASE)
    assert path.name == "api.aimlapi.com.json" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pricelist.load(BASE) == _list()
    assert pricelist.load("http://127.0.0.1:8750/v1") is None  # another service: its own file, none yet


def test_a_quote_says_the_price_or_why_there_is_none() -> None:
    assert quote("universal", BASE) == quote("universal", BASE, 0.0)._replace(fetched_at=None, why_none=NO_LIST)
    pricelist.save(_list())
    fresh = quote("UNIVERSAL", BASE, now=1000.0 + 60)
    assert (fresh.usd_per_second, fresh.stale, fresh.fetched_at) == (Decimal("0.000016666667"), False, 1000.0)
    assert fresh.cost(60.2) == Decimal("0.000016666667") * 61  # whole seconds, rounded up
    assert fresh.cost(None) is None
    assert quote("aai/universal", BASE, now=1000.0 + CATALOGUE_TTL + 1).stale
    assert quote("nova-3", BASE, now=1000.0).why_none == "priced only once it has run (variable)"
    assert quote("whisper-large", BASE, now=1000.0).why_none == NOT_LISTED


def test_a_file_stt_did_not_write_is_ignored() -> None:
    pricelist.save(_list())
    path = pricelist.cache_file(BASE)
    good = json.loads(path.read_text())
    for damaged in [
        {**good, "version": 2},
        {**good, "fetched_at": "yesterday"},
        {**good, "fetched_at": float("nan")},
        {**good, "etag": "x" * 1000},
        {**good, "etag": 'W/"\u00e9"'},  # printable, but no header could send it back
        {**good, "models": {"a": {"aliases": [], "usd_per_second": "-1", "pricing": "per second"}}},
        {**good, "models": {"a": {"aliases": "a", "usd_per_second": None, "pricing": "per second"}}},
        {**good, "models": {"": {"aliases": [], "usd_per_second": None, "pricing": "x"}}},
        [good],
    ]:
        path.write_text(json.dumps(damaged))
        assert pricelist.load(BASE) is None, damaged
    path.write_bytes(b"{" * 100_000)
    assert pricelist.load(BASE) is None


def test_a_fifo_or_a_link_in_the_cache_file_s_place_is_never_read() -> None:
    pricelist.save(_list())
    path = pricelist.cache_file(BASE)
    good = path.read_bytes()
    elsewhere = path.with_name("elsewhere")
    elsewhere.write_bytes(good)
    path.unlink()
    path.symlink_to(elsewhere)
    assert pricelist.load(BASE) is None
    path.unlink()
    os.mkfifo(path)

    stop = threading.Event()

    def feed() -> None:  # a reader that opened the FIFO would get a good list (and not hang)
        while not stop.is_set():
            try:
                fifo = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO while no one reads it
            except OSError:
                stop.wait(0.01)
                continue
            with contextlib.suppress(BrokenPipeError):
                os.write(fifo, good)
            os.close(fifo)
            return

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        assert pricelist.load(BASE) is None
        assert quote("universal", BASE).why_none == NO_LIST
    finally:
        stop.set()
        feeder.join()
