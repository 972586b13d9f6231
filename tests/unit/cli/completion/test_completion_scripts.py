"""The completion scripts: the committed files are what the spec and templates make, and the spec holds
every command and option."""

from __future__ import annotations

from pathlib import Path

import pytest

from stt_cli.cli.app import COMMANDS, app
from stt_cli.cli.completion.scripts import FILE_NAMES, SHELLS, render
from stt_cli.cli.completion.spec import command_specs

ROOT = Path(__file__).resolve().parents[4]


COMPLETIONS = ROOT / "completions"


# --- the files --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shell", SHELLS)
def test_committed_scripts_are_up_to_date(shell: str) -> None:
    committed = (COMPLETIONS / FILE_NAMES[shell]).read_text(encoding="utf-8")
    assert committed == render(shell), f"completions/{FILE_NAMES[shell]} is stale: run python scripts/generate.py"


def test_the_tree_holds_every_command_and_option() -> None:
    specs = {spec.path: spec for spec in command_specs(app, COMMANDS)}
    assert {"", "run", "submit", "status", "fetch", "jobs", "jobs rm", "config set", "auth login", "models"} <= set(
        specs
    )
    run = {name: option for option in specs["run"].options for name in option.names}
    assert run["-f"].choices == ("text", "json", "srt", "vtt", "tsv", "md", "all") and run["-m"].value == "model"
    assert run["-o"].value == "file" and run["--output-dir"].value == "dir" and run["--diarize"].value is None
    assert specs["status"].args == ("id",) and specs["run"].args == ("file...",)
