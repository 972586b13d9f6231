"""On a terminal: colour unless NO_COLOR, FORCE_COLOR never changing the output, no spinner in CI, --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EmulatorHandle, stderr_on_a_terminal, subprocess_env

from stt_cli import __version__

ESC = "\x1b["


# --- colour, spinners, -q, -v ----------------------------------------------------------------------------
def _env(emulator: EmulatorHandle, **extra: str) -> dict[str, str]:
    env = subprocess_env(emulator)
    for name in ("NO_COLOR", "FORCE_COLOR", "CI", "TERM"):
        env.pop(name, None)
    env["TERM"] = "xterm"
    env.update(extra)
    return env


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    for flag in ("--version", "-V"):
        result = cli(flag)
        assert result.exit_code == 0 and result.stdout == f"stt {__version__}\n"
    done = subprocess.run([sys.executable, "-m", "stt_cli", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"stt {__version__}\n"


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


@pytest.mark.parametrize(("answer", "left"), [(b"n\n", 1), (b"y\n", 0)])
def test_jobs_prune_asks_on_a_terminal(answer: bytes, left: int, ledger_with_jobs: None, tmp_path: Path) -> None:
    """On a terminal, prune lists what it would remove and asks; only a yes removes."""
    import os
    import pty
    import sqlite3
    import subprocess
    import sys

    database = Path(os.environ["STT_DATA_DIR"]) / "ledger.sqlite3"
    db = sqlite3.connect(database)
    count = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
    db.execute("UPDATE jobs SET created_at = created_at - 90 * 86400 WHERE rowid = (SELECT min(rowid) FROM jobs)")
    db.commit()
    main, secondary = pty.openpty()
    env = {**os.environ}
    env.pop("CI", None)
    argv = [sys.executable, "-m", "stt_cli", "jobs", "prune", "--older-than", "30d"]
    proc = subprocess.Popen(argv, stdin=secondary, stderr=secondary, stdout=subprocess.PIPE, env=env, cwd=tmp_path)
    os.close(secondary)
    seen = b""
    while b"[y/N]" not in seen:
        seen += os.read(main, 4096)
    os.write(main, answer)
    proc.wait(timeout=20)
    os.close(main)
    assert proc.returncode == 0
    assert b"1 job(s) older than 30d" in seen
    remaining = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
    db.close()
    assert remaining == count - 1 + left
