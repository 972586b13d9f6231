"""stt(1): made from the help, the same as the committed man/stt.1, and valid roff that man renders."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stt_cli.cli.app import COMMANDS, app
from stt_cli.cli.manpage import EXIT_MEANINGS, _helps
from stt_cli.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]


def _plain(roff: str) -> str:
    """The page's text with its escapes undone (what man shows inside the .nf blocks)."""
    return roff.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def test_stt_man_prints_the_committed_page(cli: Any) -> None:
    result = cli("--man")
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "man" / "stt.1").read_text(encoding="utf-8")  # else: python scripts/generate.py
    assert result.stdout.startswith(".TH STT 1 ")


def test_each_command_s_section_is_its_help_as_printed(tmp_path: Path) -> None:
    page = _plain((ROOT / "man" / "stt.1").read_text(encoding="utf-8"))
    paths = [path for path, _ in _helps(app, COMMANDS)]
    assert {"stt", "stt run", "stt jobs prune", "stt completion", "stt emulator"} <= set(paths)
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    for path in paths:
        words = path.split()[1:]
        shown = subprocess.run([sys.executable, "-m", "stt_cli", *words, "--help"], capture_output=True, text=True,
                               env=env, cwd=tmp_path, check=True).stdout  # fmt: skip
        section = page.split(f"\n.SS {path}\n.nf\n", 1)[1].split("\n.fi\n", 1)[0]
        assert section == shown.rstrip("\n"), path


def test_every_exit_code_is_in_the_page() -> None:
    assert set(EXIT_MEANINGS) == set(ExitCode)
    page = (ROOT / "man" / "stt.1").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f".TP\n\\fB{int(code)}\\fR\n" in page


def test_no_line_of_the_page_is_read_as_a_request_by_mistake() -> None:
    page = (ROOT / "man" / "stt.1").read_text(encoding="utf-8")
    requests = {line.split()[0] for line in page.splitlines() if re.match(r"^[.']", line)}
    assert requests <= {".TH", '.\\"', ".SH", ".SS", ".B", ".nf", ".fi", ".TP"}


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_groff_reads_the_page_without_a_warning() -> None:
    page = ROOT / "man" / "stt.1"
    done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True, text=True,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_renders_the_page_from_stdin_as_the_help_says(tmp_path: Path) -> None:
    man_page = subprocess.run([sys.executable, "-m", "stt_cli", "--man"], capture_output=True, check=True).stdout
    shown = subprocess.run(["man", "-l", "-"], input=man_page, capture_output=True, cwd=tmp_path,
                           env={**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "100"})  # fmt: skip
    text = re.sub(r".\x08", "", shown.stdout.decode())
    assert shown.returncode == 0, shown.stderr
    assert "stt - transcribe audio" in text and "stt run" in text and "EXIT STATUS" in text
