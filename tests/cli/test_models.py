"""`stt models`: every documented model id listed, with its aliases; one model shown by its id or an alias."""

from __future__ import annotations

import json
import re


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
