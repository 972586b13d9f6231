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
