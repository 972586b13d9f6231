"""`stt completion SHELL` prints the committed script; `stt __complete ids` reads the ledger, newest first."""

from __future__ import annotations

from pathlib import Path

from conftest import IDS

from stt_cli.cli.completion.ids import job_ids

ROOT = Path(__file__).resolve().parents[2]


COMPLETIONS = ROOT / "completions"


def test_stt_completion_prints_the_committed_script(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("completion", "zsh")
    assert result.exit_code == 0
    assert result.stdout == (COMPLETIONS / "_stt").read_text(encoding="utf-8")
    assert cli("completion", "tcsh").exit_code == 2


def test_job_ids_come_from_the_ledger_newest_first(ledger_with_jobs: None) -> None:
    lines = job_ids().splitlines()
    assert [line.split("\t")[0] for line in lines] == list(reversed(IDS))
    assert lines[0].split("\t")[1] == "call-2.wav, queued"
