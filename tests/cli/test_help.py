"""Help that teaches: a summary, examples and 80 columns everywhere, grouped options, the nearest command."""

from __future__ import annotations

import re

import pytest

from stt_cli.cli.completion.spec import command_specs

PATHS = [spec.path for spec in command_specs() if spec.path]


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
