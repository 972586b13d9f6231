"""`stt run --json` and `stt fetch --json`: one record per source on stdout, valid against the schema the
docs/output-formats.md documents; every error line on stderr a JSON object; a result on stdout refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from conftest import EmulatorHandle, write_wav

PAGE = Path(__file__).resolve().parents[2] / "docs" / "output-formats.md"


def _schema() -> dict[str, Any]:
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"<!-- record-schema:.*?-->\n```json\n(.*?)\n```", text, re.S)
    assert block, "the record schema block of docs/output-formats.md is missing"
    schema: dict[str, Any] = json.loads(block.group(1))
    return schema


def _records(stdout: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in stdout.splitlines()]
    for record in records:
        jsonschema.validate(record, _schema())
    return records


def _error_lines(stderr: str) -> list[dict[str, Any]]:
    """Every line that reports an error, each parsed as JSON (a plain `error:` line fails the test)."""
    assert not any(line.startswith("error:") for line in stderr.splitlines()), stderr
    return [json.loads(line)["error"] for line in stderr.splitlines() if line.startswith('{"error"')]


def test_a_successful_run_is_one_record_with_its_outputs(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    result = cli("run", str(talk), "-f", "srt,text", "-o", str(tmp_path / "talk"), "--json")
    assert result.exit_code == 0, result.stderr
    [record] = _records(result.stdout)
    assert record["status"] == "completed" and record["exit_code"] == 0 and record["error"] is None
    assert record["generation_id"] == emulator.creates()[0]["generation_id"] and not record["reused"]
    assert record["outputs"] == {"srt": str(tmp_path / "talk.srt"), "text": str(tmp_path / "talk.txt")}
    assert record["duration"] > 10 and record["model"] and record["source"] == str(talk)
    again = cli("run", str(talk), "-f", "srt,text", "-o", str(tmp_path / "talk"), "--json")
    assert _records(again.stdout)[0]["reused"] is True


def test_a_mixed_batch_gives_a_record_for_each_source_and_json_errors(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    good = write_wav(tmp_path / "good.wav", 0.7)
    emulator.next_job(fail="unsupported audio")
    bad = write_wav(tmp_path / "bad.wav", 0.9)
    out = tmp_path / "out"
    result = cli("run", str(bad), str(good), "--output-dir", str(out), "--json", "--concurrency", "1")
    assert result.exit_code == 6, result.stderr  # the one failure's exit code: the job failed on the server
    records = {Path(r["source"]).name: r for r in _records(result.stdout)}
    assert records["good.wav"]["status"] == "completed" and records["good.wav"]["outputs"]
    failed = records["bad.wav"]
    assert failed["status"] == "failed" and failed["exit_code"] == 6 and failed["outputs"] == {}
    assert failed["error"]["code"] == 6 and "unsupported audio" in failed["error"]["message"]
    assert failed["generation_id"]  # the job exists: its id is kept for stt fetch
    errors = _error_lines(result.stderr)
    assert [e["code"] for e in errors] == [6]


def test_json_refuses_a_result_on_stdout_and_bad_input_is_a_json_error(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    for args in ([str(talk), "--json"], [str(talk), "--json", "-o", "-"], [str(tmp_path / "nope.wav"), "--json"]):
        result = cli("run", *args)
        assert result.exit_code == 2 and result.stdout == ""
        [error] = _error_lines(result.stderr)
        assert error["code"] == 2 and error["message"] and error["hint"]
    assert emulator.creates() == []


def test_fetch_json_records_each_job_and_its_failures(
    cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    job = cli("submit", str(talk)).stdout.strip()
    result = cli("fetch", job, "no-such-job", "-f", "vtt", "--output-dir", str(tmp_path / "out"), "--json")
    assert result.exit_code == 4, result.stderr
    records = {r["generation_id"]: r for r in _records(result.stdout)}
    assert records[job]["status"] == "completed" and records[job]["source"].endswith("talk.wav")
    assert records[job]["outputs"] == {"vtt": str(tmp_path / "out" / "talk.vtt")}
    assert records["no-such-job"]["status"] == "failed" and records["no-such-job"]["exit_code"] == 4
    assert [e["code"] for e in _error_lines(result.stderr)] == [4]
