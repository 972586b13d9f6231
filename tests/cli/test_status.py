"""`stt status`: the four status words, JSON, the newest job by default, failures and unknown words."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLE_TEXT, EmulatorHandle


def test_status_json_and_the_newest_job_by_default(cli, emulator: EmulatorHandle, talk: Path) -> None:
    first = cli("submit", str(talk)).stdout.strip()
    second = cli("submit", "https://example.com/b.wav").stdout.strip()
    assert first != second
    result = cli("status", "--json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["generation_id"] == second
    assert body["status"] in ("queued", "processing", "completed")
    assert emulator.polls()[-1]["generation_id"] == second


def test_status_of_a_failed_job(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(fail="bad audio", processing_time=0)
    job_id = cli("submit", str(talk)).stdout.strip()
    result = cli("status", job_id, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "generation_id": job_id,
        "status": "failed",
        "raw_status": "error",
        "error": "bad audio",
    }
    fetched = cli("fetch", job_id)
    assert fetched.exit_code == 6
    assert "bad audio" in fetched.stderr


def test_every_documented_status_word_maps_to_the_four_printed(cli, emulator: EmulatorHandle) -> None:
    expected = {
        "queued": "queued",
        "waiting": "queued",
        "generating": "processing",
        "active": "processing",
        "processing": "processing",
        "completed": "completed",
        "COMPLETED": "completed",
        "error": "failed",
        "failed": "failed",
        "cancelled": "failed",
        "canceled": "failed",
        "timeout": "failed",
    }
    for raw, shown in expected.items():
        body = (
            {"status": raw, "result": {"results": {"channels": []}}} if raw.lower() == "completed" else {"status": raw}
        )
        emulator.fault("poll", {"status": 200, "body": body})
        result = cli("status", "some-id")
        assert (result.exit_code, result.stdout) == (0, shown + "\n"), raw


def test_unknown_status_warns_and_keeps_waiting(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    emulator.fault(
        "poll",
        {"status": 200, "body": {"status": "thinking"}},
        {"status": 200, "body": {"status": "thinking"}},
    )
    result = cli("fetch", job_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    assert result.stderr.count("unknown status 'thinking'") == 1


def test_status_without_any_job_says_what_to_do(cli, emulator: EmulatorHandle) -> None:
    result = cli("status")
    assert result.exit_code == 2
    assert "pass a job id" in result.stderr
    assert emulator.requests() == []
