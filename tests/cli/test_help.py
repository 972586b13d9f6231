"""Help that teaches: a summary, examples and 80 columns everywhere, grouped options, the nearest command."""

from __future__ import annotations

import re

import pytest

from stt_cli.cli.app import COMMANDS, app
from stt_cli.cli.completion.spec import command_specs

PATHS = [spec.path for spec in command_specs(app, COMMANDS) if spec.path]


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


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [(["fecth"], "'fetch'"), (["stauts"], "'status'"), (["jobs", "rmm"], "'rm'"), (["config", "lsit"], "'list'")],
)
def test_unknown_commands_suggest_the_nearest(cli, args: list[str], suggestion: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert f"Did you mean {suggestion}" in result.stderr and "--help" in result.stderr


@pytest.mark.parametrize(
    ("typed", "meant"), [("transcribe", "stt run"), ("login", "stt auth login"), ("ls", "stt jobs")]
)
def test_other_tools_names_for_a_command_say_which_command_does_it(cli, typed: str, meant: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(typed, "talk.wav")
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert f"Did you mean '{meant}'" in result.stderr


def test_stt_help_lists_the_topics_and_the_commands(cli) -> None:  # type: ignore[no-untyped-def]
    from stt_cli.cli.app import COMMANDS
    from stt_cli.cli.topics import TOPICS

    result = cli("help")
    assert result.exit_code == 0 and result.stderr == ""
    for name in (*TOPICS, *COMMANDS):
        assert name in result.stdout


def test_each_topic_is_a_page_that_fits_a_terminal(cli) -> None:  # type: ignore[no-untyped-def]
    from stt_cli.cli.topics import TOPICS

    assert set(TOPICS) == {"environment", "exit-codes", "formats", "models", "emulator", "security"}
    for name in TOPICS:
        result = cli("help", name)
        assert result.exit_code == 0, (name, result.stderr)
        lines = result.stdout.splitlines()
        assert len(lines) >= 8, name
        assert max(len(line) for line in lines) <= 80, name


def test_the_generated_topics_name_everything_their_table_holds(cli) -> None:  # type: ignore[no-untyped-def]
    from stt_cli.core.settings import settings_table
    from stt_cli.errors import ExitCode
    from stt_cli.formats.registry import FORMATS

    codes = cli("help", "exit-codes").stdout
    assert all(f"\n  {int(code)} " in codes for code in ExitCode)
    environment = cli("help", "environment").stdout
    assert all(name in environment for setting in settings_table().values() for name in setting.env)
    assert "AIML_API_KEY" in environment and "1h30m" in environment
    formats = cli("help", "formats").stdout
    assert all(f"{name} (.{spec.extension})" in formats for name, spec in FORMATS.items())


def test_help_command_is_the_commands_own_help(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("help", "run").stdout == cli("run", "--help").stdout
    assert cli("help", "jobs prune").stdout == cli("jobs", "prune", "--help").stdout


def test_an_unknown_topic_suggests_the_nearest(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("help", "envirnment")
    assert result.exit_code == 2 and result.stdout == ""
    assert "did you mean environment?" in result.stderr and "exit-codes" in result.stderr


@pytest.mark.parametrize(("typed", "topic"), [("format", "formats"), ("exit", "exit-codes"), ("env", "environment")])
def test_a_topic_may_be_named_by_its_beginning(cli, typed: str, topic: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("help", typed).stdout == cli("help", topic).stdout != ""
