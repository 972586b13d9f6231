"""`stt models`: every documented model id listed."""

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
    assert re.search(r"^#g1_whisper-large \(default\)\s+Whisper\s+yes\s+yes$", table, re.M)
    assert re.search(r"^openai/gpt-4o-mini-transcribe\s+OpenAI\s+no\s+no$", table, re.M)
