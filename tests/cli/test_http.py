"""The HTTP layer against injected faults on a real loopback server: retries, redirects, ids, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle

from stt_cli.api.client import MAX_ATTEMPTS


def test_polls_retry_server_errors_and_broken_answers(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.next_job(processing_time=1.0)
    job_id = cli("submit", str(talk)).stdout.strip()
    # Each poll has MAX_ATTEMPTS tries: four faults in a row, then a good answer, is within budget.
    emulator.fault(
        "poll",
        {"status": 500},
        {"status": 502},
        {"action": "malformed", "status": 200},
        {"action": "close"},
        {"action": "pass"},
    )
    emulator.fault(
        "poll",
        {"status": 429, "headers": {"Retry-After": "0"}},
        {"action": "truncate", "status": 200},
        {"status": 504},
        {"status": 408},
    )
    result = cli("fetch", job_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    assert len(emulator.polls()) >= 10


def test_polls_give_up_after_the_retry_budget_with_exit_5(cli, emulator: EmulatorHandle, talk: Path) -> None:
    job_id = cli("submit", str(talk)).stdout.strip()
    emulator.fault("poll", *[{"status": 503, "body": {"message": "Service Unavailable"}}] * MAX_ATTEMPTS)
    result = cli("fetch", job_id)
    assert result.exit_code == 5
    assert "HTTP 503" in result.stderr and "Service Unavailable" in result.stderr
    assert len(emulator.polls()) == MAX_ATTEMPTS


def test_create_is_retried_on_429_and_503_with_one_idempotency_key(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.fault("create", {"status": 429}, {"status": 503})
    result = cli("submit", str(talk))
    assert result.exit_code == 0, result.stderr
    creates = emulator.creates()
    assert [c["outcome"] for c in creates] == ["fault", "fault", "created"]
    assert len({c["idempotency_key"] for c in creates}) == 1


def test_create_is_not_retried_on_500(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.fault("create", {"status": 500, "body": {"message": "Internal error"}})
    result = cli("submit", str(talk))
    assert result.exit_code == 5
    assert "Internal error" in result.stderr
    assert len(emulator.creates()) == 1


def test_a_long_retry_after_ends_the_wait_with_when_to_retry(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.fault("create", {"status": 429, "headers": {"Retry-After": "3600"}})
    result = cli("submit", str(talk))
    assert result.exit_code == 5
    assert "wait 3600 s" in result.stderr and "try again after" in result.stderr
    assert len(emulator.creates()) == 1


def test_redirects_are_not_followed(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.fault("create", {"action": "redirect"})
    result = cli("submit", str(talk))
    assert result.exit_code == 4
    assert "does not follow redirects" in result.stderr
    assert len(emulator.requests()) == 1


def test_job_ids_cannot_escape_their_path(cli, emulator: EmulatorHandle) -> None:
    for bad in ("../../_emulator/requests", "..", ".", "a b", "x\ny", "a/b", "$(touch x)", "x" * 129):
        refused = cli("status", bad)
        assert refused.exit_code == 2, bad
        assert "is not a valid job id" in refused.stderr and "\n" not in refused.stderr.rstrip("\n")
    assert emulator.polls() == []  # refused before anything was sent


def test_server_text_is_stripped_of_terminal_control_characters(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.fault("create", {"status": 400, "body": {"message": "bad\x1b[2J\x1b]0;pwned\x07 field\nsecond line"}})
    result = cli("submit", str(talk))
    assert result.exit_code == 4
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "bad" in result.stderr and "second line" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_nested_upstream_error_message_is_unwrapped(cli, emulator: EmulatorHandle, talk: Path) -> None:
    nested = '{"err_code": "INVALID_MODEL", "message": "Model does not support diarize_version"}'
    emulator.fault("create", {"status": 400, "body": {"message": nested, "statusCode": "400"}})
    result = cli("submit", str(talk))
    assert result.exit_code == 4
    assert "Model does not support diarize_version" in result.stderr


def test_a_large_upload_streams_and_arrives_intact(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    import hashlib
    import os

    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        for _ in range(48):
            handle.write(os.urandom(1024 * 1024))
    result = cli("submit", str(big))
    assert result.exit_code == 0, result.stderr
    [create] = emulator.creates()
    assert create["size"] == big.stat().st_size
    assert create["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()


def test_a_slow_answer_times_out_and_the_poll_is_retried(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stt_cli.api.client.READ_TIMEOUT", 0.3)
    job_id = cli("submit", str(talk)).stdout.strip()
    emulator.fault("poll", {"status": 200, "delay": 1.0, "body": {"status": "processing"}})
    result = cli("fetch", job_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    emulator.fault("poll", *[{"status": 200, "delay": 0.6, "body": {"status": "processing"}}] * MAX_ATTEMPTS)
    gave_up = cli("fetch", job_id, "--refresh")
    assert gave_up.exit_code == 5
    assert "timed out waiting for" in gave_up.stderr


def test_a_base_url_without_v1_is_reported_as_the_base_url_not_the_model(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = emulator.base_url.removesuffix("/v1")
    flag = cli("run", str(talk), "--base-url", root)
    assert flag.exit_code == 4
    line = flag.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"{root} has no POST /stt/create (HTTP 404)" in line and "(set by --base-url)" in line
    assert f"--base-url {root}/v1" in line and "model" not in line
    monkeypatch.setenv("AIML_API_BASE", root)
    status = cli("status", "some-job-id")
    assert status.exit_code == 4
    assert "has no GET /stt/some-job-id" in status.stderr and "(set by $AIML_API_BASE)" in status.stderr
    assert emulator.creates() == []


def test_a_job_the_service_forgot_is_still_a_job_problem(cli, emulator: EmulatorHandle) -> None:
    result = cli("status", "no-such-job")
    assert result.exit_code == 4
    assert "job no-such-job was not found (HTTP 404)" in result.stderr and "base URL" not in result.stderr


def test_the_base_url_fix_replaces_a_wrong_path_where_it_was_set(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = emulator.base_url.removesuffix("/v1")
    other = cli("run", str(talk), "--base-url", f"{root}/v2")
    assert other.exit_code == 4 and f"--base-url {root}/v1" in other.stderr and "/v2/v1" not in other.stderr
    monkeypatch.setenv("AIML_API_BASE", root)
    env = cli("run", str(talk))
    assert env.exit_code == 4 and f"export AIML_API_BASE={root}/v1" in env.stderr
