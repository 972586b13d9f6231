"""Help that teaches, terminal conventions (colour, -q, -v), `stt config` and `stt models`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EmulatorHandle, stderr_on_a_terminal, subprocess_env

from stt_cli import __version__
from stt_cli.completion.spec import command_specs
from stt_cli.core.config import config_file

PATHS = [spec.path for spec in command_specs() if spec.path]
ESC = "\x1b["


# --- help -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["", *PATHS])
def test_every_help_has_a_summary_examples_and_fits_80_columns(cli, path: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*path.split(), "--help")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Usage: stt {path}".rstrip())
    assert lines[1] == "" and lines[2].strip() and lines[3] == ""  # a one-line summary, then a blank line
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    start = lines.index("  Examples:")
    examples = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        examples.append(line.strip())
    assert 2 <= len(examples) <= 3, examples
    assert all(re.match(r"(stt |id=\$\(stt |fmt=\$\(stt |printf |export |\$EDITOR )", e) for e in examples)


def test_run_help_groups_its_options_in_order(cli) -> None:  # type: ignore[no-untyped-def]
    text = cli("run", "--help").stdout
    headings = [line for line in text.splitlines() if line.endswith("options:")]
    assert headings == [
        "Source options:",
        "Batch options:",
        "Transcription options:",
        "Output options:",
        "Waiting options:",
        "Connection options:",
        "Other options:",
    ]
    assert "-m, --model MODEL" in text


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    for flag in ("--version", "-V"):
        result = cli(flag)
        assert result.exit_code == 0 and result.stdout == f"stt {__version__}\n"
    done = subprocess.run([sys.executable, "-m", "stt_cli", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"stt {__version__}\n"


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [(["fecth"], "'fetch'"), (["stauts"], "'status'"), (["jobs", "rmm"], "'rm'"), (["config", "lsit"], "'list'")],
)
def test_unknown_commands_suggest_the_nearest(cli, args: list[str], suggestion: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert f"Did you mean {suggestion}" in result.stderr and "--help" in result.stderr


# --- colour, spinners, -q, -v ----------------------------------------------------------------------------
def _env(emulator: EmulatorHandle, **extra: str) -> dict[str, str]:
    env = subprocess_env(emulator)
    for name in ("NO_COLOR", "FORCE_COLOR", "CI", "TERM"):
        env.pop(name, None)
    env["TERM"] = "xterm"
    env.update(extra)
    return env


def test_colour_on_a_terminal_and_no_colour_when_asked(emulator: EmulatorHandle, tmp_path: Path) -> None:
    missing = ["run", str(tmp_path / "missing.wav")]
    code, _, shown = stderr_on_a_terminal(missing, _env(emulator), tmp_path)
    assert code == 2 and f"{ESC}1;31merror:" in shown
    code, _, shown = stderr_on_a_terminal(missing, _env(emulator, NO_COLOR="1"), tmp_path)
    assert code == 2 and ESC not in shown and "error: " in shown
    code, _, shown = stderr_on_a_terminal(missing, _env(emulator, CI="true"), tmp_path)
    assert code == 2 and ESC not in shown
    code, _, shown = stderr_on_a_terminal(missing, _env(emulator, CI="true", FORCE_COLOR="1"), tmp_path)
    assert code == 2 and f"{ESC}1;31merror:" in shown


def test_force_colour_reaches_a_pipe_but_never_changes_the_output(emulator: EmulatorHandle, tmp_path: Path) -> None:
    odd = tmp_path / "notes.wav"
    odd.write_bytes(b"not audio at all, which stt warns about" * 100)

    def run(**extra: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "stt_cli", "run", str(odd), "-f", "srt"],
            env=_env(emulator, **extra),
            capture_output=True,
            timeout=60,
        )

    plain, forced = run(), run(FORCE_COLOR="1")
    assert plain.returncode == forced.returncode == 0
    assert plain.stdout == forced.stdout and plain.stdout.startswith(b"1\n00:00:00,")
    assert b"warning:" in plain.stderr and ESC.encode() not in plain.stderr
    assert f"{ESC}33mwarning:".encode() in forced.stderr and ESC.encode() not in forced.stdout
    assert b"\xe2\xa0" not in forced.stderr  # a pipe never gets a spinner, forced colour or not


def test_no_spinner_on_a_terminal_in_ci(emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    code, stdout, shown = stderr_on_a_terminal(["run", str(talk)], _env(emulator, CI="true"), tmp_path)
    assert code == 0 and stdout.decode().startswith("Welcome")
    assert "⠋" not in shown and "⠙" not in shown and ESC not in shown
    code, stdout_live, shown = stderr_on_a_terminal(["run", str(talk), "--resubmit"], _env(emulator), tmp_path)
    assert code == 0 and stdout_live == stdout  # what is written never depends on the terminal


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


# --- stt config -----------------------------------------------------------------------------------------
def test_config_set_get_list_unset_path(cli) -> None:  # type: ignore[no-untyped-def]
    path = cli("config", "path")
    assert path.exit_code == 0 and path.stdout.strip() == str(config_file())
    assert not config_file().exists()
    assert cli("config", "get", "format").stdout == "text\n"
    assert cli("config", "set", "format", "SRT").exit_code == 0
    assert cli("config", "set", "poll-interval", "2.5").exit_code == 0
    assert cli("config", "set", "max_lines", "3").exit_code == 0
    assert config_file().read_text() == 'format = "srt"\npoll_interval = 2.5\nmax_lines = 3\n'
    assert cli("config", "get", "format").stdout == "srt\n"
    assert json.loads(cli("config", "list", "--json").stdout)["poll_interval"] == 2.5
    table = cli("config", "list").stdout
    assert re.search(r"^format\s+srt\s+config file\s+\$STT_FORMAT$", table, re.M)
    assert re.search(r"^model\s+#g1_whisper-large\s+default", table, re.M)
    assert cli("config", "unset", "format").exit_code == 0
    assert "format" not in config_file().read_text()
    again = cli("config", "unset", "format")
    assert again.exit_code == 0 and "is not set" in again.stderr


def test_config_keeps_comments_and_other_tables(cli) -> None:  # type: ignore[no-untyped-def]
    config_file().parent.mkdir(parents=True)
    config_file().write_text('# my defaults\nmodel = "nova-3"  # the fast one\n\n[future]\nx = 1\n')
    assert cli("config", "set", "format", "vtt").exit_code == 0
    assert cli("config", "set", "model", "aai/universal").exit_code == 0
    assert config_file().read_text() == '# my defaults\nmodel = "aai/universal"\nformat = "vtt"\n\n[future]\nx = 1\n'
    assert cli("config", "unset", "model").exit_code == 0
    assert config_file().read_text() == '# my defaults\nformat = "vtt"\n\n[future]\nx = 1\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "format", "docx"], "format = 'docx' is not a choice"),
        (["set", "max_lines", "0"], "below its minimum, 1"),
        (["set", "timeout", "soon"], "is not a number"),
        (["set", "poll_interval", "nan"], "not a finite number"),
        (["set", "concurrency", "2.5"], "is not a whole number"),
        (["set", "base_url", "http://example.com/v1"], "refusing plain http://"),
        (["set", "modle", "x"], "did you mean model?"),
        (["get", "colour"], "unknown setting 'colour'"),
    ],
)
def test_config_refuses_bad_values_and_writes_nothing(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", *args)
    assert result.exit_code == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not config_file().exists()


def test_config_set_model_warns_about_an_unknown_id_and_stores_it(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "set", "model", "my/new-model")
    assert result.exit_code == 0 and "not one of the known model ids" in result.stderr
    assert cli("config", "get", "model").stdout == "my/new-model\n"


def test_a_broken_config_file_is_named_with_the_fix(cli, emulator: EmulatorHandle, talk: Path) -> None:  # type: ignore[no-untyped-def]
    config_file().parent.mkdir(parents=True)
    config_file().write_text("format = srt\n")  # not TOML: the string is not quoted
    result = cli("run", str(talk))
    assert result.exit_code == 2 and "is not valid TOML" in result.stderr and ".bak" in result.stderr
    assert emulator.requests() == []
    config_file().write_text('max_lines = "many"\n')
    result = cli("run", str(talk))
    assert result.exit_code == 2 and "max_lines = 'many' is not a whole number" in result.stderr
    assert str(config_file()) in result.stderr and emulator.requests() == []


def test_precedence_flag_then_env_then_file_then_default(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    first = cli("run", str(talk))
    assert first.stdout.startswith("Welcome")  # default: text
    cli("config", "set", "format", "srt")
    assert cli("run", str(talk)).stdout.startswith("1\n00:00:00,")  # file
    monkeypatch.setenv("STT_FORMAT", "vtt")
    assert cli("run", str(talk)).stdout.startswith("WEBVTT")  # env over file
    listed = cli("config", "list").stdout
    assert re.search(r"^format\s+vtt\s+\$STT_FORMAT", listed, re.M)
    assert cli("run", str(talk), "-f", "json").stdout.startswith("{")  # flag over env
    monkeypatch.setenv("STT_FORMAT", "docx")
    bad = cli("run", str(talk))
    assert bad.exit_code == 2 and "(set by $STT_FORMAT)" in bad.stderr


def test_config_model_and_subtitle_limits_reach_the_request_and_the_writer(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:  # type: ignore[no-untyped-def]
    cli("config", "set", "model", "#g1_nova-2-meeting")
    cli("config", "set", "max_line_width", "20")
    cli("config", "set", "max_lines", "1")
    result = cli("run", str(talk), "-f", "srt")
    assert result.exit_code == 0
    assert emulator.creates()[-1]["model"] == "#g1_nova-2-meeting"
    text_lines = [line for line in result.stdout.splitlines() if line and not line[0].isdigit()]
    assert text_lines and max(len(line) for line in text_lines) <= 20
    blocks = result.stdout.strip().split("\n\n")
    assert all(len(block.splitlines()) == 3 for block in blocks)  # number, times, one line
    # a flag still wins over the file
    wide = cli("run", str(talk), "-f", "srt", "--max-line-width", "42", "--max-lines", "2")
    assert max(len(line) for line in wide.stdout.splitlines()) > 20


def test_config_base_url_is_used_and_env_wins(cli, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AIML_API_BASE")
    cli("config", "set", "base_url", emulator.base_url)
    status = cli("auth", "status")
    assert f"base URL: {emulator.base_url} (from config file" in status.stdout


def test_an_unknown_key_in_the_file_is_warned_about(cli) -> None:  # type: ignore[no-untyped-def]
    config_file().parent.mkdir(parents=True)
    config_file().write_text('fromat = "srt"\n')
    result = cli("config", "list")
    assert result.exit_code == 0 and "unknown setting 'fromat'" in result.stderr


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


def test_stt_s_own_directory_variables_win_over_xdg(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("STT_CONFIG_DIR", str(tmp_path / "mine"))
    assert cli("config", "path").stdout == f"{tmp_path / 'mine' / 'config.toml'}\n"
    monkeypatch.delenv("STT_CONFIG_DIR")
    assert cli("config", "path").stdout == f"{tmp_path / 'xdg' / 'stt-cli' / 'config.toml'}\n"
