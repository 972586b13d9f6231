"""Random argument lists thrown at the CLI in-process: always a documented exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli, start_emulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stt_cli.emulator.results import sample_wav
from stt_cli.emulator.server import Emulator

# `stt emulator` is left out on purpose: with valid options it serves until stopped (it has tests of its own).
COMMANDS = [
    [],
    ["run"],
    ["run", "talk.wav"],
    ["submit"],
    ["submit", "talk.wav"],
    ["status"],
    ["fetch"],
    ["jobs"],
    ["auth", "login"],
    ["auth", "status"],
    ["auth", "logout"],
    ["run", "https://example.com/a.mp3"],
]


SOURCES = ["talk.wav", "talk.wav", "https://example.com/a.mp3", "-"]


WORDS = [
    "run",
    "submit",
    "status",
    "fetch",
    "jobs",
    "auth",
    "login",
    "logout",
    "--help",
    "-h",
    "--version",
    "-f",
    "--format",
    "text",
    "json",
    "srt",
    "vtt",
    "docx",
    "-o",
    "out.txt",
    "-",
    "--force",
    "--output-dir",
    ".",
    "--param",
    "k=v",
    "=",
    "novalue",
    "keyterm=a",
    "--utt-split",
    "1.5",
    "abc",
    "--timeout",
    "0.5",
    "-1",
    "0",
    "--poll-interval",
    "0.1",
    "--model",
    "nova-3",
    "aai/universal",
    "openai/gpt-4o-transcribe",
    "",
    "bogus",
    "--diarize",
    "--no-punctuate",
    "--channel",
    "3",
    "--speaker-names",
    "0=A",
    "bad",
    "--max-size",
    "1k",
    "9G",
    "--json",
    "--no-wait",
    "--refresh",
    "--base-url",
    "http://example.com/v1",
    "http://localhost:1@evil.com",
    "talk.wav",
    "missing.wav",
    "https://example.com/a.mp3",
    "ftp://x/y",
    "../../x",
    "--max-line-width",
    "5",
    "42",
    "--max-lines",
    "--api-key",
    "   ",
    "--custom-topic-mode",
    "strict",
    "loose",
    "--limit",
    "-n",
    "ünïcødé",
    "--min-cue-duration",
    "9",
    "--max-cps",
    "--tag",
    "--search",
    "--keywords",
    "--summarize",
    "--extra",
    "a:b",
]


@pytest.fixture(scope="module")
def fuzz_emulator() -> Iterator[Emulator]:
    server = start_emulator(processing_time=0.0)
    yield server
    server.stop()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    args=st.builds(
        lambda command, tail: [*command, *tail],
        st.sampled_from(COMMANDS),
        st.lists(st.sampled_from(WORDS) | st.sampled_from(SOURCES) | st.text(max_size=6), max_size=7),
    )
)
def test_random_arguments_get_a_documented_exit_code(
    args: list[str], fuzz_emulator: Emulator, isolated_home: Path
) -> None:
    talk = isolated_home / "talk.wav"
    if not talk.exists():
        talk.write_bytes(sample_wav())
    out = isolated_home / "out.txt"
    if out.exists():
        out.unlink()
    env = {"AIML_API_BASE": fuzz_emulator.base_url, "AIML_API_KEY": "fuzz-key-0123456789"}
    result = run_cli(*args, env=env)
    assert result.exit_code in (0, 2, 3, 4, 5, 6, 7), (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code not in (0,):
        lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) <= 1 or "succeeded; failed" in result.stderr, result.stderr
