"""What every command shares: -q leaves the result, -v shows each request and never the key, proxies are httpx's."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import EmulatorHandle


def test_quiet_leaves_only_the_result(cli, emulator: EmulatorHandle, talk: Path) -> None:  # type: ignore[no-untyped-def]
    loud = cli("run", str(talk))
    assert loud.exit_code == 0 and "created for" in loud.stderr
    for args in (["-q", "run", str(talk), "--resubmit"], ["run", str(talk), "--resubmit", "--quiet"]):
        quiet = cli(*args)
        assert quiet.exit_code == 0 and quiet.stdout == loud.stdout and quiet.stderr == ""
    # errors still show under -q
    missing = cli("run", "nope.wav", "-q")
    assert missing.exit_code == 2 and missing.stderr.startswith("error: ")
    # the failure of a job, with its id, still shows
    emulator.next_job(fail="decoder exploded")
    failed = cli("run", str(talk), "--resubmit", "-q")
    assert failed.exit_code == 6 and "decoder exploded" in failed.stderr


def test_quiet_and_verbose_together_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("jobs", "-q", "-v")
    assert result.exit_code == 2 and "--quiet and --verbose" in result.stderr


def test_verbose_shows_each_request_and_never_the_key(cli, emulator: EmulatorHandle, talk: Path) -> None:  # type: ignore[no-untyped-def]
    key = "sk-verbose-0123456789-secret"
    emulator.fault("poll", {"status": 503})
    result = cli("-v", "run", str(talk), "--api-key", key)
    assert result.exit_code == 0 and result.stdout.startswith("Welcome")
    lines = [line for line in result.stderr.splitlines() if line.startswith("http: ")]
    assert re.fullmatch(r"http: POST /v1/stt/create -> 20[01] \w+ in \d+\.\d{3} s", lines[0]), lines[0]
    polls = [line for line in lines if line.startswith("http: GET /v1/stt/")]
    assert any("-> 503" in line for line in polls) and polls[-1].split(" -> ")[1].startswith("200")
    assert any("retrying in" in line for line in lines)
    assert len([line for line in lines if " -> " in line]) == len(emulator.requests())
    assert "(from --api-key)" in result.stderr and key[-4:] in result.stderr
    assert key not in result.stderr and key not in result.stdout


def test_verbose_names_a_failed_connection(cli, talk: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("-v", "status", "abc", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "k-123456789")
    assert result.exit_code == 5
    assert "http: GET /v1/stt/abc -> ConnectError after" in result.stderr


def test_proxy_settings_are_left_to_httpx_for_https(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY / NO_PROXY / SSL_CERT_FILE: read (trust_env) for the real service, skipped for loopback."""
    from stt_cli.api.client import ApiClient

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    remote = ApiClient("https://api.example.com/v1", "k")
    local = ApiClient("http://127.0.0.1:8750/v1", "k")
    try:
        assert remote._http._trust_env is True
        assert local._http._trust_env is False
    finally:
        remote.close()
        local.close()
    assert os.environ["HTTPS_PROXY"]


# --- a job id's first characters stand for it: stt status, stt fetch, stt jobs rm -------------------------
def _ledger_jobs(emulator: EmulatorHandle, *ids: str, host: str | None = None) -> None:
    """Jobs of the emulator (or of `host`) written straight into the ledger: ids the emulator never made."""
    import time

    from stt_cli.core.ledger import Ledger
    from stt_cli.core.settings import host_of

    with Ledger() as ledger:
        for job_id in ids:
            ledger.add(job_id, host or host_of(emulator.base_url), f"/audio/{job_id}.wav", "#g1_whisper-large", {})
            time.sleep(0.002)


def test_a_unique_prefix_stands_for_its_job(cli, emulator: EmulatorHandle, talk: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    from conftest import SAMPLE_TEXT

    job = cli("submit", str(talk)).stdout.strip()
    other = cli("submit", "https://example.com/b.wav").stdout.strip()
    assert job[:4] != other[:4]  # two UUIDs: 1 in 65536 would share them
    status = cli("status", job[:8], "--json")
    assert status.exit_code == 0, status.stderr
    assert json.loads(status.stdout)["generation_id"] == job
    assert emulator.polls()[-1]["path"] == f"/v1/stt/{job}"  # the whole id went on the wire
    fetched = cli("fetch", job[:4])
    assert (fetched.exit_code, fetched.stdout) == (0, SAMPLE_TEXT + "\n"), fetched.stderr
    assert cli("fetch", "-", "--no-wait", input=f"{job[:6]}\n").stdout == SAMPLE_TEXT + "\n"
    both = cli("fetch", job[:4], job, "--output-dir", "out")  # two spellings of one job: fetched once
    assert both.exit_code == 0 and sorted(p.name for p in Path("out").iterdir()) == ["talk.txt"]
    assert both.stderr.count("talk.txt") == 1 and " of 2 " not in both.stderr
    removed = cli("jobs", "rm", job[:5], "--yes")
    assert removed.exit_code == 0 and "removed 1 job(s)" in removed.stderr
    assert [json.loads(line)["generation_id"] for line in cli("jobs", "--json").stdout.splitlines()] == [other]


@pytest.mark.parametrize(
    "command", [["status"], ["fetch"], ["fetch", "-o", "x.txt"], ["jobs", "rm", "--yes"]], ids=lambda c: "-".join(c)
)
def test_an_ambiguous_prefix_is_a_usage_error_naming_the_candidates(  # type: ignore[no-untyped-def]
    cli, emulator: EmulatorHandle, command: list[str]
) -> None:
    from conftest import one_error_line

    _ledger_jobs(emulator, "abcd1234-0001", "abcd1234-0002", "abcd9999-0003", "abcd0000-0004")
    few = cli(*command, "abcd1234")
    assert few.exit_code == 2
    line = one_error_line(few.stderr)
    assert "'abcd1234' is ambiguous: 2 jobs start with it (abcd1234-0002, abcd1234-0001)" in line
    assert "type more characters" in line
    many = one_error_line(cli(*command, "abcd").stderr)
    assert "4 jobs start with it (abcd0000-0004, abcd9999-0003, abcd1234-0002, ...)" in many  # a few named
    short = cli(*command, "abc")
    assert short.exit_code == 2 and "too short" in one_error_line(short.stderr)
    assert "at least 4 characters" in short.stderr
    assert emulator.requests() == []  # nothing went on the wire
    assert not Path("x.txt").exists()


def test_ids_matching_no_prefix_or_a_whole_id_are_used_as_given(cli, emulator: EmulatorHandle) -> None:  # type: ignore[no-untyped-def]
    _ledger_jobs(emulator, "abcd1234", "abcd1234-0002")
    _ledger_jobs(emulator, "feed0000-0001", host="127.0.0.1:1")  # another service's job
    for typed in ("abcd1234", "zz", "zzzz9999", "feed0000"):  # whole; short, long, of another host: no match
        result = cli("status", typed)
        assert result.exit_code == 4 and "not found" in result.stderr, (typed, result.stderr)
        assert emulator.polls()[-1]["path"] == f"/v1/stt/{typed}"
    assert emulator.polls()[-1]["path"] == "/v1/stt/feed0000"
    bad = cli("status", "abcd 1234")  # typed ids are still checked before the ledger is searched
    assert bad.exit_code == 2 and "is not a valid job id" in bad.stderr
    assert len(emulator.polls()) == 4
    removed = cli("jobs", "rm", "feed", "--yes")  # rm forgets jobs of any host
    assert removed.exit_code == 0 and "removed 1 job(s)" in removed.stderr
