"""`stt config`: set, get, list, unset and path; comments kept; bad values refused; the precedence of flag,
environment, file and default; stt's own directory variables."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from conftest import EmulatorHandle

from stt_cli.core.config import config_file


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
    assert config_file().read_text() == (
        '# my defaults\nmodel = "aai/universal"  # the fast one\nformat = "vtt"\n\n[future]\nx = 1\n'
    )  # the inline comment stays with its key
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


def test_config_set_model_stores_the_id_of_an_alias_and_refuses_an_unknown_name(cli) -> None:  # type: ignore[no-untyped-def]
    stored = cli("config", "set", "model", "Whisper-Large")
    assert stored.exit_code == 0, stored.stderr
    assert stored.stderr == f"model = #g1_whisper-large in {config_file()} (Whisper-Large is its alias)\n"
    assert config_file().read_text() == 'model = "#g1_whisper-large"\n'
    refused = cli("config", "set", "model", "whisper-larg")
    assert refused.exit_code == 2 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith("error: unknown model 'whisper-larg'; did you mean whisper-large? (")
    assert "`stt config set model-unchecked whisper-larg` keeps an id stt does not know" in refused.stderr
    assert config_file().read_text() == 'model = "#g1_whisper-large"\n'  # nothing written


def test_config_set_model_unchecked_keeps_any_id_and_replaces_model(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("config", "set", "model", "nova-3").exit_code == 0
    kept = cli("config", "set", "model-unchecked", "my/new-model")
    assert kept.exit_code == 0 and f"removed model from {config_file()}" in kept.stderr
    assert config_file().read_text() == 'model_unchecked = "my/new-model"\n'
    assert cli("config", "get", "model-unchecked").stdout == "my/new-model\n"
    assert re.search(
        r"^model_unchecked\s+my/new-model\s+config file\s+\$STT_MODEL_UNCHECKED$", cli("config", "list").stdout, re.M
    )
    assert cli("config", "set", "model", "nova-2").exit_code == 0
    assert config_file().read_text() == 'model = "#g1_nova-2-general"\n'
    assert cli("config", "get", "model-unchecked").stdout == "\n"


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def test_a_stored_model_stt_does_not_know_fails_runs_naming_the_file_and_the_fix(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    config_file().parent.mkdir(parents=True)
    config_file().write_text('model = "whisper-larg"\n')  # stored by an older stt, or by hand
    monkeypatch.delenv("AIML_API_KEY")  # refused before the key is even looked for
    for command in ("run", "submit"):
        result = cli(command, str(talk))
        assert result.exit_code == 2, result.stderr
        line = _one_line(result.stderr)
        assert (
            f"unknown model 'whisper-larg' (model = \"whisper-larg\" in {config_file()}); did you mean whisper-large?"
            in line
        )
        assert "`stt config set model whisper-large` or `stt config unset model`" in line
    assert emulator.requests() == []


def test_a_model_from_the_environment_is_named_by_its_variable(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STT_MODEL", "nova3")
    result = cli("run", str(talk))
    assert result.exit_code == 2
    line = _one_line(result.stderr)
    assert "unknown model 'nova3' (from $STT_MODEL); did you mean nova-3, nova-2?" in line
    assert "set STT_MODEL to a name of `stt models`, or unset it" in line
    assert emulator.requests() == []
    assert cli("run", str(talk), "-m", "nova-3").exit_code == 0  # the flag wins over the environment
    monkeypatch.setenv("STT_MODEL", "nova-2")  # an alias in the environment is sent as its id
    assert cli("run", str(talk)).exit_code == 0
    assert [c["model"] for c in emulator.creates()] == ["nova-3", "#g1_nova-2-general"]


def test_model_unchecked_from_the_file_is_sent_as_it_is_and_a_flag_still_wins(
    cli, emulator: EmulatorHandle, talk: Path
) -> None:  # type: ignore[no-untyped-def]
    assert cli("config", "set", "model-unchecked", "vendor/new-model").exit_code == 0
    sent = cli("run", str(talk))
    assert sent.exit_code == 4  # the emulator, like the service, knows no such model
    [create] = emulator.creates()
    assert create["outcome"] == 400 and "'vendor/new-model' is not one of the available models" in create["message"]
    assert cli("run", str(talk), "-m", "whisper-large").exit_code == 0
    assert emulator.creates()[-1]["model"] == "#g1_whisper-large"


def test_model_and_model_unchecked_from_the_same_place_are_refused(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    config_file().parent.mkdir(parents=True)
    config_file().write_text('model = "nova-3"\nmodel_unchecked = "vendor/new-model"\n')
    both = cli("run", str(talk))
    assert both.exit_code == 2
    assert f"model and model_unchecked are both set in {config_file()}" in _one_line(both.stderr)
    monkeypatch.setenv("STT_MODEL", "nova-3")  # the environment wins over the file
    assert cli("run", str(talk)).exit_code == 0
    monkeypatch.setenv("STT_MODEL_UNCHECKED", "vendor/new-model")
    twice = cli("run", str(talk))
    assert twice.exit_code == 2 and "$STT_MODEL and $STT_MODEL_UNCHECKED are both set" in _one_line(twice.stderr)
    assert [c["model"] for c in emulator.creates()] == ["nova-3"]


def test_a_flag_the_config_s_model_cannot_take_names_the_file(cli, emulator: EmulatorHandle, talk: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("config", "set", "model", "gpt-4o-transcribe").exit_code == 0
    result = cli("run", str(talk), "--diarize")
    assert result.exit_code == 2
    line = _one_line(result.stderr)
    assert "--diarize is not an option of openai/gpt-4o-transcribe (OpenAI)" in line
    assert f'the model comes from model = "openai/gpt-4o-transcribe" in {config_file()}' in line
    assert emulator.requests() == []


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


def test_stt_s_own_directory_variables_win_over_xdg(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("STT_CONFIG_DIR", str(tmp_path / "mine"))
    assert cli("config", "path").stdout == f"{tmp_path / 'mine' / 'config.toml'}\n"
    monkeypatch.delenv("STT_CONFIG_DIR")
    assert cli("config", "path").stdout == f"{tmp_path / 'xdg' / 'stt-cli' / 'config.toml'}\n"


def test_set_keeps_inline_and_full_line_comments_and_the_order(cli) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '# mine\nformat = "srt"  # subtitles by default\nmodel = "a#b" # hash in a string\n\ntimeout = 60\n'
    )
    assert cli("config", "set", "format", "vtt").exit_code == 0
    assert cli("config", "set", "model", "#g1_whisper-base").exit_code == 0
    assert cli("config", "unset", "timeout").exit_code == 0
    assert path.read_text() == (
        '# mine\nformat = "vtt"  # subtitles by default\nmodel = "#g1_whisper-base" # hash in a string\n\n'
    )


def test_a_value_that_starts_with_a_dash_is_a_value_not_an_option(cli) -> None:
    result = cli("config", "set", "poll-interval", "-3")
    assert result.exit_code == 2
    assert "below its minimum" in result.stderr and "No such option" not in result.stderr


def test_a_bad_value_in_the_file_is_listed_and_its_error_says_how_to_fix_it(cli, emulator, talk: Path) -> None:  # type: ignore[no-untyped-def]
    config_file().parent.mkdir(parents=True)
    config_file().write_text('timeout = "5x"\n')
    listed = cli("config", "list")
    assert listed.exit_code == 0
    assert re.search(r"^timeout\s+\(not usable\)", listed.stdout, re.M) and "is not a duration" in listed.stderr
    run = cli("run", str(talk))
    assert run.exit_code == 2 and emulator.requests() == []
    assert "`stt config set timeout 1h`, or `stt config unset timeout`" in run.stderr
    assert "config file" in run.stderr


def test_config_set_writes_through_a_dotfiles_link_and_keeps_the_mode(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A config.toml that links into a dotfiles folder stays a link; its target gets the edit, atomically in
    its own folder, and keeps its mode (issue 25)."""
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "stt.toml"
    real.write_text('# mine\nformat = "srt"\n')
    real.chmod(0o600)
    config_file().parent.mkdir(parents=True)
    config_file().symlink_to(real)
    assert cli("config", "set", "max_lines", "3").exit_code == 0
    assert config_file().is_symlink() and os.readlink(config_file()) == str(real)
    assert real.read_text() == '# mine\nformat = "srt"\nmax_lines = 3\n'
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in dotfiles.iterdir()) == ["stt.toml"]  # no temp file left beside it
    assert cli("config", "unset", "format").exit_code == 0
    assert config_file().is_symlink() and real.read_text() == "# mine\nmax_lines = 3\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert cli("config", "get", "max_lines").stdout == "3\n"
