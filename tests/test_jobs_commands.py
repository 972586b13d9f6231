"""`stt submit`, `status`, `fetch` and `jobs`: ids on stdout, status words, waiting, the ledger."""

from __future__ import annotations

import json
import time
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


def test_fetch_no_wait_on_a_pending_job_exits_7(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(processing_time=60)
    job_id = cli("submit", str(talk)).stdout.strip()
    result = cli("fetch", job_id, "--no-wait")
    assert result.exit_code == 7
    assert result.stdout == ""
    assert f"stt fetch {job_id}" in result.stderr
    assert len(emulator.polls()) == 1


def test_fetch_waits_for_a_pending_job(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(processing_time=1.0)
    job_id = cli("submit", str(talk)).stdout.strip()
    result = cli("fetch", job_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    assert len(emulator.polls()) >= 2


def test_completed_results_are_served_from_the_ledger(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    assert cli("fetch", job_id).exit_code == 0
    polls = len(emulator.polls())
    emulator.control("expire", {"generation_id": job_id})  # the service forgot it; the ledger did not
    again = cli("fetch", job_id, "-f", "srt")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("1\n00:00:00,300")
    assert len(emulator.polls()) == polls
    again_text = cli("fetch", job_id).stdout
    refreshed = cli("fetch", job_id, "--refresh")  # asked the service, which said 404: the kept result is served
    assert refreshed.exit_code == 0 and refreshed.stdout == again_text
    assert "not found (HTTP 404)" in refreshed.stderr and "the ledger kept" in refreshed.stderr


def test_fetch_of_an_unknown_job_is_a_404(cli, emulator: EmulatorHandle) -> None:
    result = cli("fetch", "no-such-job")
    assert result.exit_code == 4
    assert "not found" in result.stderr


def test_status_without_any_job_says_what_to_do(cli, emulator: EmulatorHandle) -> None:
    result = cli("status")
    assert result.exit_code == 2
    assert "pass a job id" in result.stderr
    assert emulator.requests() == []


def test_jobs_lists_newest_first(cli, emulator: EmulatorHandle, talk: Path) -> None:
    first = cli("submit", str(talk)).stdout.strip()
    time.sleep(0.01)
    second = cli("submit", "https://example.com/x.mp3").stdout.strip()
    result = cli("jobs", "--json")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["generation_id"] for r in rows] == [second, first]
    assert rows[1]["source"] == str(talk.resolve())
    table = cli("jobs")
    assert second in table.stdout.splitlines()[1]


def test_fetch_writes_a_file_and_refuses_to_overwrite(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    assert cli("fetch", job_id, "-f", "vtt", "-o", "talk.vtt").exit_code == 0
    assert Path("talk.vtt").read_text(encoding="utf-8").startswith("WEBVTT\n")
    again = cli("fetch", job_id, "-f", "vtt", "-o", "talk.vtt")  # the same job's same result: nothing to do
    assert again.exit_code == 0 and "already holds this result" in again.stderr
    narrower = cli("fetch", job_id, "-f", "vtt", "-o", "talk.vtt", "--max-line-width", "20")
    assert narrower.exit_code == 2
    assert "already exists and differs" in narrower.stderr and "--force" in narrower.stderr
    Path("other.vtt").write_text("mine")
    foreign = cli("fetch", job_id, "-f", "vtt", "-o", "other.vtt")  # a file stt did not write: refused at once
    assert foreign.exit_code == 2 and "already exists" in foreign.stderr
    assert Path("other.vtt").read_text() == "mine"


def test_the_ledger_is_private(cli, emulator: EmulatorHandle, talk: Path, isolated_home: Path) -> None:
    import stat

    assert cli("run", str(talk)).exit_code == 0
    ledger = isolated_home / "data" / "stt-cli" / "ledger.sqlite3"
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger.parent.stat().st_mode) == 0o700


def test_broken_word_timings_render_with_a_warning(cli, emulator: EmulatorHandle) -> None:
    words = [
        {"word": "b.", "start": 2.0, "end": 2.5},
        {"word": "a", "start": 1.0, "end": 1.4},
        {"word": "c", "start": None, "end": 3.0},
        {"word": "d", "start": -1.0, "end": 0.5},
    ]
    payload = {"results": {"channels": [{"alternatives": [{"transcript": "a b. c d", "words": words}]}]}}
    emulator.fault("poll", {"status": 200, "body": {"status": "completed", "result": payload}})
    result = cli("fetch", "any-id", "-f", "srt")
    assert result.exit_code == 0, result.stderr
    assert "out of order" in result.stderr and "negative" in result.stderr and "missing" in result.stderr
    assert result.stdout.startswith("1\n00:00:00,000 --> ")
