"""`scripts/generate.py --check` reports stale generated files and rewrites them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from stt_cli.cli.completion.scripts import render

ROOT = Path(__file__).resolve().parents[2]


def test_generate_check_reports_stale_files_and_rewrites_them(tmp_path: Path) -> None:
    for part in ("scripts", "completions", "man", "docs"):
        shutil.copytree(ROOT / part, tmp_path / part)
    script = str(tmp_path / "scripts" / "generate.py")
    assert subprocess.run([sys.executable, script, "--check"], capture_output=True).returncode == 0
    (tmp_path / "completions" / "stt.fish").write_text("# edited by hand\n")
    usage = (tmp_path / "docs" / "usage.md").read_text()
    (tmp_path / "docs" / "usage.md").write_text(usage.replace("Show the version and exit", "Show the version"))
    check = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert check.returncode == 1 and "completions/stt.fish" in check.stderr and "docs/usage.md" in check.stderr
    assert (tmp_path / "completions" / "stt.fish").read_text() == "# edited by hand\n"  # --check never writes
    fix = subprocess.run([sys.executable, script], capture_output=True, text=True)
    assert fix.returncode == 0 and (tmp_path / "completions" / "stt.fish").read_text() == render("fish")
    assert (tmp_path / "docs" / "usage.md").read_text() == usage
    (tmp_path / "man" / "stt.1").unlink()  # a page nobody regenerated is reported, and written again
    check = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert check.returncode == 1 and "man/stt.1" in check.stderr
    assert subprocess.run([sys.executable, script], capture_output=True).returncode == 0
    assert (tmp_path / "man" / "stt.1").read_text() == (ROOT / "man" / "stt.1").read_text()
