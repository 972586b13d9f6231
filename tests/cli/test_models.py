"""`stt models`: every documented model id listed, with its aliases; one model shown by its id or an alias; `--refresh`
fetches the service's priced list, which the dry run reads (and nothing else)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle
from hostile import HostileServer


# --- stt models -----------------------------------------------------------------------------------------
def test_models_lists_every_documented_id(cli) -> None:  # type: ignore[no-untyped-def]
    rows = [json.loads(line) for line in cli("models", "--json").stdout.splitlines()]
    ids = {row["model"] for row in rows}
    assert {"#g1_whisper-large", "#g1_nova-2-meeting", "nova-3-medical", "aai/slam-1"} <= ids
    assert len(ids) == 23
    by_id = {row["model"]: row for row in rows}
    assert by_id["#g1_whisper-large"]["default"] is True
    assert by_id["openai/gpt-4o-transcribe"]["word_timings"] is False
    assert by_id["microsoft/mai-transcribe-1.5"]["speakers"] is False
    assert by_id["#g1_nova-2-general"]["word_timings"] is True and by_id["#g1_nova-2-general"]["speakers"] is True
    table = cli("models").stdout
    assert re.search(r"^#g1_whisper-large \(default\)\s+whisper-large\s+Whisper\s+yes$", table, re.M)
    assert re.search(r"^openai/gpt-4o-mini-transcribe\s+gpt-4o-mini-transcribe\s+OpenAI\s+no$", table, re.M)
    assert "--diarize" in table.split("Whisper: ", 1)[1].split("\n", 1)[0]  # speakers: the families' flags
    assert "--diarize" not in table.split("OpenAI: ", 1)[1].split("\n", 1)[0]


def test_models_shows_each_id_s_aliases_beside_it(cli) -> None:  # type: ignore[no-untyped-def]
    rows = {row["model"]: row for row in map(json.loads, cli("models", "--json").stdout.splitlines())}
    assert rows["#g1_nova-2-general"]["aliases"] == ["nova-2-general", "nova-2"]
    assert rows["aai/slam-1"]["aliases"] == ["slam-1"] and rows["nova-3"]["aliases"] == []
    table = cli("models").stdout
    assert re.search(r"^#g1_nova-2-general\s+nova-2-general, nova-2\s+Nova-2\s", table, re.M)
    assert re.search(r"^aai/universal\s+universal\s+AssemblyAI\s", table, re.M)
    assert "-m takes an id or an alias; an alias is sent as its id" in table


def test_one_model_by_its_alias_in_any_case(cli) -> None:  # type: ignore[no-untyped-def]
    shown = cli("models", "Whisper-Large")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith("#g1_whisper-large (Whisper)")
    assert "aliases: whisper-large (sent as #g1_whisper-large)" in shown.stdout
    described = json.loads(cli("models", "slam-1", "--json").stdout)
    assert described["model"] == "aai/slam-1" and described["aliases"] == ["slam-1"]


def test_an_unknown_model_gets_the_nearest_names(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("models", "nova3")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "error: unknown model 'nova3'; did you mean nova-3, nova-2? (`stt models` lists the ids and their aliases)\n"
    )


def test_a_model_s_fields_say_what_their_schema_limits(cli) -> None:  # type: ignore[no-untyped-def]
    """slam-1's schema says language_detection is for universal only: its row says so (and stt refuses it)."""
    slam = cli("models", "slam-1")
    [row] = [line for line in slam.stdout.splitlines() if line.startswith("language_detection ")]
    assert row.endswith("(universal only)")
    universal = cli("models", "universal", "--json")
    [field] = [f for f in json.loads(universal.stdout)["fields"] if f["field"] == "language_detection"]
    assert field["schema"]["only_for"] == ["universal"]


# --- stt models --refresh: the service's list and its prices, kept for the dry run ------------------------
def _cache(emulator: EmulatorHandle) -> Path:
    host = emulator.base_url.split("/")[2].replace(":", "_")
    return Path(os.environ["STT_CACHE_DIR"]) / "models" / f"{host}.json"


def _model_requests(emulator: EmulatorHandle) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r.get("kind") == "models"]


def test_refresh_fetches_the_priced_list_without_a_key_then_asks_with_its_etag(
    cli, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_KEY")  # the list needs none
    first = cli("models", "--refresh", "--json")
    assert first.exit_code == 0, first.stderr
    rows = {row["model"]: row for row in map(json.loads, first.stdout.splitlines())}
    assert len(rows) == 23 and rows["aai/universal"]["usd_per_second"] == 0.0001
    assert "23 models, 23 with a price a second" in first.stderr
    cache = _cache(emulator)
    assert cache.exists() and stat.S_IMODE(cache.stat().st_mode) == 0o600
    again = cli("models", "--refresh", "universal")
    assert again.exit_code == 0 and "unchanged since it was last fetched" in again.stderr
    assert re.search(r"^aai/universal\s+\$0\.0001\s+per second$", again.stdout, re.M)
    asked, confirmed = _model_requests(emulator)
    assert asked["path"] == "/v1/models?include=pricing" and asked["if_none_match"] is None
    assert confirmed["outcome"] == 304 and confirmed["if_none_match"] == json.loads(cache.read_text())["etag"]
    assert all(r["path"].startswith("/v1/models") for r in emulator.requests())  # nothing else was asked


def test_the_dry_run_prices_the_run_from_the_cached_list_and_says_where_from(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    unknown = cli("run", str(talk), "--dry-run")
    assert unknown.exit_code == 0
    assert "no price known for #g1_whisper-large: run stt models --refresh" in unknown.stderr
    assert "COST" not in unknown.stdout  # no price: no column, nothing guessed
    assert cli("models", "--refresh").exit_code == 0
    before = len(emulator.requests())
    other = talk.with_name("other.wav")
    other.write_bytes(talk.read_bytes())
    priced = cli("run", str(talk), str(other), "--dry-run", "--model", "nova-3")
    assert priced.exit_code == 0, priced.stderr
    assert len(emulator.requests()) == before  # the dry run asks nothing
    assert "$0.0001 a second of audio for nova-3, from the service's model list, fetched just now" in priced.stderr
    header, *rows = priced.stdout.splitlines()
    assert header.split()[4] == "COST" and all("~$0.0019" in row for row in rows[:2])  # 18.3 s: 19 seconds billed
    assert "~$0.0038" in rows[2] and rows[2].startswith("total: 2 sources")
    as_json = [json.loads(line) for line in cli("submit", str(talk), "--dry-run", "--json").stdout.splitlines()]
    assert as_json[0]["estimated_usd"] == 0.0019 and as_json[0]["usd_per_second"] == 0.0001
    assert as_json[0]["price_stale"] is False and as_json[0]["price_fetched_at"] > 0


def test_a_list_over_a_day_old_is_shown_as_stale_and_a_damaged_one_ignored(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:
    assert cli("models", "--refresh").exit_code == 0
    cache = _cache(emulator)
    data = json.loads(cache.read_text())
    data["fetched_at"] -= 3 * 86400
    cache.write_text(json.dumps(data))
    stale = cli("run", str(talk), "--dry-run")
    assert "fetched 3 d ago; it is over a day old: stt models --refresh fetches the current one" in stale.stderr
    for damaged in ('{"version": 1', json.dumps({**data, "models": {"#g1_whisper-large": {"usd_per_second": "NaN"}}}),
                    json.dumps({**data, "base_url": "https://elsewhere/v1"}), "x" * (5 * 1024 * 1024)):  # fmt: skip
        cache.write_text(damaged)
        ignored = cli("run", str(talk), "--dry-run")
        assert ignored.exit_code == 0 and "no price known for #g1_whisper-large: run stt models" in ignored.stderr


def test_a_model_the_list_does_not_price_by_the_second_is_said_so(cli, hostile: HostileServer, talk: Path) -> None:
    listing = {"object": "list", "data": [
        {"id": "#g1_whisper-large", "aliases": ["whisper-large"], "type": "stt", "info": {}, "tags": [],
         "pricing": {"kind": "fixed", "currency": "USD", "units": [{"name": "token", "price": 3.25, "per": 1e6}]}},
        {"id": "nova-3", "type": "stt", "pricing": {"kind": "variable"}},
        {"id": "aai/universal", "pricing": {"kind": "fixed", "units": [{"name": "minute", "price": 0.0065, "per": 1}]}},
        {"id": "x" * 10_000}, "not a model", {"id": "aai/slam-1", "pricing": {"kind": "fixed", "units": [
            {"name": "second", "price": 1e300, "per": 1}]}},
    ]}  # fmt: skip
    hostile.on_poll = lambda request, conn: conn.answer(listing, headers={"ETag": 'W/"1"'})
    refreshed = cli("models", "--refresh", "--json")
    assert refreshed.exit_code == 0, refreshed.stderr
    rows = {row["model"]: row for row in map(json.loads, refreshed.stdout.splitlines())}
    assert rows["#g1_whisper-large"]["pricing"] == "priced by another unit than time"
    assert rows["nova-3"]["pricing"] == "priced only once it has run (variable)"
    assert rows["aai/universal"]["usd_per_second"] == pytest.approx(0.0065 / 60)
    assert rows["aai/slam-1"]["usd_per_second"] is None and rows["#g1_nova-2-general"]["pricing"] == "not listed"
    dry = cli("run", str(talk), "--dry-run", "-m", "whisper-large")
    assert "no price a second for #g1_whisper-large: the service's model list, fetched just now, has it priced by " \
           "another unit than time" in dry.stderr  # fmt: skip
    hostile.on_poll = lambda request, conn: conn.answer({"message": "nope"}, status=500)
    failed = cli("models", "--refresh")
    assert failed.exit_code == 5 and "Traceback" not in failed.stderr
    assert "no price a second for #g1_whisper-large" in cli("run", str(talk), "--dry-run").stderr  # the copy stays


@pytest.mark.parametrize("etag", ['W/"\u00e9"', 'W/"\x01"', "W/" + "9" * 300])
def test_an_etag_that_could_not_be_sent_back_is_not_kept(cli, hostile: HostileServer, etag: str) -> None:
    listing = {
        "data": [{"id": "nova-3", "pricing": {"kind": "fixed", "units": [{"name": "second", "price": 1, "per": 1}]}}]
    }
    asked: list[str | None] = []

    def answer(request: Any, conn: Any) -> None:
        asked.append(request.headers.get("if-none-match"))
        conn.answer(listing, headers={"ETag": etag})

    hostile.on_poll = answer
    for _ in range(2):
        refreshed = cli("models", "--refresh")
        assert refreshed.exit_code == 0, refreshed.stderr
    assert asked == [None, None]


def test_a_304_to_a_request_that_sent_no_etag_is_not_called_a_redirect(cli, hostile: HostileServer) -> None:
    hostile.on_poll = lambda request, conn: conn.answer(b"", status=304)
    refreshed = cli("models", "--refresh")
    assert refreshed.exit_code == 5, refreshed.stderr
    assert "redirect" not in refreshed.stderr and "304" in refreshed.stderr
    assert len(refreshed.stderr.strip().splitlines()) == 1
