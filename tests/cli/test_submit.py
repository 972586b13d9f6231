"""`stt submit`: only the ids on stdout, as lines or JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLE_TEXT, EmulatorHandle


def test_submit_prints_only_the_id_then_status_and_fetch_work(cli, emulator: EmulatorHandle, talk: Path) -> None:
    submitted = cli("submit", str(talk))
    assert submitted.exit_code == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    assert submitted.stdout == job_id + "\n"
    assert [c["generation_id"] for c in emulator.creates()] == [job_id]
    status = cli("status", job_id)
    assert status.exit_code == 0
    assert status.stdout in ("queued\n", "processing\n", "completed\n")
    fetched = cli("fetch", job_id, "-f", "json")
    assert fetched.exit_code == 0, fetched.stderr
    assert json.loads(fetched.stdout)["results"]["channels"][0]["alternatives"][0]["transcript"] == SAMPLE_TEXT
    assert cli("status", job_id).stdout == "completed\n"


def test_submit_json_lines(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("submit", str(talk), "https://example.com/a.mp3", "--json")
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in rows] == [str(talk), "https://example.com/a.mp3"]
    assert {r["generation_id"] for r in rows} == {c["generation_id"] for c in emulator.creates()}
