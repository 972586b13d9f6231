"""Bad input to any command: one line on stderr naming the problem and the fix, the documented exit code,
nothing sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import EmulatorHandle


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda tmp: str(tmp / "missing.wav"), "no such file"),
        (lambda tmp: (tmp / "empty.wav").write_bytes(b"") or str(tmp / "empty.wav"), "is empty"),
        (lambda tmp: (tmp / "adir").mkdir() or str(tmp / "adir"), "is a directory"),
        (lambda tmp: os.mkfifo(tmp / "fifo") or str(tmp / "fifo"), "not a regular file"),
        (lambda tmp: "ftp://example.com/a.wav", "not a local file or an http(s) URL"),
    ],
    ids=["missing", "empty", "directory", "fifo", "ftp-url"],
)
def test_bad_sources(cli, emulator: EmulatorHandle, tmp_path: Path, make, needle: str) -> None:
    source = make(tmp_path)
    for command in ("run", "submit"):
        result = cli(command, source)
        assert result.exit_code == 2, result.stderr
        assert needle in _one_line_error(result.stderr)
        assert result.stdout == ""
    assert emulator.requests() == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_source(cli, emulator: EmulatorHandle, talk: Path) -> None:
    talk.chmod(0)
    result = cli("run", str(talk))
    assert result.exit_code == 2
    assert "not readable" in _one_line_error(result.stderr)
    assert emulator.requests() == []


def test_empty_stdin(cli, emulator: EmulatorHandle) -> None:
    result = cli("run", "-", input=b"")
    assert result.exit_code == 2
    assert "stdin was empty" in _one_line_error(result.stderr)
    assert emulator.creates() == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-f", "docx"], "'docx' is not one of"),
        (["--param", "novalue"], "is not KEY=VALUE"),
        (["--param", "=x"], "is not KEY=VALUE"),
        (["--utt-split", "soon"], "'soon' is not a valid float"),
        (["--custom-topic-mode", "loose"], "'loose' is not one of 'strict', 'extended'"),
        (["--custom-intent-mode", "x"], "is not one of 'strict', 'extended'"),
        (["--max-line-width", "5"], "--max-line-width"),
        (["--max-lines", "0"], "--max-lines"),
        (["--timeout", "-1"], "--timeout"),
        (["--no-such-flag"], "No such option"),
        (["--model", ""], "--model was given an empty value"),
    ],
)
def test_bad_options(cli, emulator: EmulatorHandle, talk: Path, args: list[str], needle: str) -> None:
    result = cli("run", str(talk), *args)
    assert result.exit_code == 2, result.stderr
    assert needle in _one_line_error(result.stderr)
    assert emulator.requests() == []


@pytest.mark.parametrize(
    ("model", "line"),
    [
        ("nova3", "error: unknown model 'nova3' (from --model); did you mean nova-3, nova-2? ("),
        ("whisper-larg", "error: unknown model 'whisper-larg' (from --model); did you mean whisper-large? ("),
        (
            "#g1_whisper-larg",
            "error: unknown model '#g1_whisper-larg' (from --model); did you mean '#g1_whisper-large',",
        ),
        ("vendor/new-model", "error: unknown model 'vendor/new-model' (from --model) ("),
    ],
)
def test_an_unknown_model_is_refused_before_any_upload_and_without_a_key(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch, model: str, line: str
) -> None:
    monkeypatch.delenv("AIML_API_KEY")  # the name is checked before the key is even looked for
    for command in ("run", "submit"):
        result = cli(command, str(talk), "-m", model)
        assert result.exit_code == 2, result.stderr
        error = _one_line_error(result.stderr)
        assert error.startswith(line), error
        assert "`stt models` lists them; --model-unchecked " in error  # the list and the escape hatch
        assert result.stdout == ""
    assert emulator.requests() == []


@pytest.mark.parametrize("flag", ["--model", "-m", "--model-unchecked"])
def test_a_model_flag_left_without_its_value_by_the_shell_says_why(
    cli, emulator: EmulatorHandle, talk: Path, flag: str
) -> None:
    """`stt run talk.wav --model #g1_nova-2-general` unquoted: the shell drops `#...` as a comment."""
    result = cli("run", str(talk), flag)
    assert result.exit_code == 2
    error = _one_line_error(result.stderr)
    assert f"Option '{flag}' requires an argument" in error and "an unquoted #... is a comment to the shell" in error
    if flag != "--model-unchecked":
        assert f"quote it ({flag} '#g1_nova-2-general') or give its alias without # ({flag} nova-2-general)" in error
    empty = cli("run", str(talk), flag, "")
    assert empty.exit_code == 2 and "an unquoted #... is a comment to the shell" in _one_line_error(empty.stderr)
    assert emulator.requests() == []


def test_model_and_model_unchecked_together_are_refused(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "-m", "nova-3", "--model-unchecked", "vendor/new-model")
    assert result.exit_code == 2
    assert "--model and --model-unchecked were both given" in _one_line_error(result.stderr)
    assert emulator.requests() == []


def test_unknown_command_suggests_the_nearest(cli) -> None:
    result = cli("fetc")
    assert result.exit_code == 2
    assert "Did you mean 'fetch'" in _one_line_error(result.stderr)


def test_no_key_exits_3_and_sends_nothing(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_KEY")
    result = cli("run", str(talk))
    assert result.exit_code == 3
    line = _one_line_error(result.stderr)
    assert "no API key" in line and "stt auth login" in line
    assert emulator.requests() == []


def test_empty_api_key_flag(cli, emulator: EmulatorHandle, talk: Path) -> None:
    result = cli("run", str(talk), "--api-key", "  ")
    assert result.exit_code == 2
    assert "--api-key was given an empty value" in _one_line_error(result.stderr)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/v1",
        "http://localhost:1@evil.com/v1",
        "http://127.0.0.1.nip.io/v1",
        "http://[::2]/v1",
        "ftp://127.0.0.1/v1",
        "https://user:pw@api.example.com/v1",
        "not a url",
    ],
)
def test_refused_base_urls(cli, emulator: EmulatorHandle, talk: Path, url: str) -> None:
    result = cli("run", str(talk), "--base-url", url)
    assert result.exit_code == 2, result.stderr
    _one_line_error(result.stderr)
    assert emulator.requests() == []


def test_base_url_from_the_second_env_var(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_BASE")
    monkeypatch.setenv("AIMLAPI_API_BASE", emulator.base_url)
    monkeypatch.delenv("AIML_API_KEY")
    monkeypatch.setenv("AIMLAPI_API_KEY", "second-var-key")
    assert cli("submit", str(talk)).exit_code == 0
    assert len(emulator.creates()) == 1


def test_base_url_from_the_config_file(
    cli, emulator: EmulatorHandle, talk: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_BASE")
    config = isolated_home / "config" / "stt-cli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'base_url = "{emulator.base_url}"\n', encoding="utf-8")
    assert cli("submit", str(talk)).exit_code == 0
    assert len(emulator.creates()) == 1


def test_corrupt_config_file(
    cli, emulator: EmulatorHandle, talk: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_BASE")
    config = isolated_home / "config" / "stt-cli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("base_url = [unclosed", encoding="utf-8")
    result = cli("run", str(talk))
    assert result.exit_code == 2
    assert "config.toml" in _one_line_error(result.stderr)


def test_flag_beats_env(cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIML_API_BASE", "http://127.0.0.1:9/v1")  # nothing listens there
    result = cli("submit", str(talk), "--base-url", emulator.base_url)
    assert result.exit_code == 0, result.stderr


def test_unreachable_server_exits_5(cli, talk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIML_API_KEY", "k")
    result = cli("run", str(talk), "--base-url", "http://127.0.0.1:9/v1")
    assert result.exit_code == 5
    assert "could not connect" in _one_line_error(result.stderr)


def test_a_tilde_naming_no_user_is_a_plain_name_not_a_crash(cli, emulator: EmulatorHandle) -> None:
    for args in (["run", "~0"], ["run", "~nosuchuser-stt/talk.wav"], ["fetch", "-o", "~nosuchuser-stt/x.txt"]):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "unexpected" not in result.stderr and result.stderr.startswith("error: ")


def test_a_file_named_like_an_option_is_told_how_to_be_named(cli, emulator: EmulatorHandle, talk: Path) -> None:
    Path("-x.wav").write_bytes(talk.read_bytes())
    result = cli("run", "-x.wav")
    assert result.exit_code == 2 and "No such option: -x" in result.stderr
    assert "write it as ./-x.wav" in result.stderr and emulator.requests() == []
    assert cli("run", "./-x.wav").exit_code == 0
