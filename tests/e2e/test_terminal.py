"""On a terminal: colour unless NO_COLOR, FORCE_COLOR never changing the output, no spinner in CI, --version,
tables that fit the terminal with the headers a pipe gets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EmulatorHandle, stderr_on_a_terminal, stdout_on_a_terminal, subprocess_env

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


# --- tables: one line a row within the terminal's width, the same headers as on a pipe --------------------
ANSI = r"\x1b\[[0-9;]*m"
LONG_SOURCE = "/home/ada/" + "recordings-of-the-2024-conference/" * 5 + "day-two-keynote-final-v3.wav"
LONG_IDS = ("3f1c9a2e-1b2c-4d5e-8f90-0123456789ab", "3f1c9a2e-9999-4d5e-8f90-0123456789ab")


def _table_env() -> dict[str, str]:
    import os

    env = {**os.environ, "TERM": "xterm"}
    for name in ("NO_COLOR", "FORCE_COLOR", "CI"):
        env.pop(name, None)
    return env


def _long_jobs() -> None:
    from stt_cli.core.ledger import Ledger

    with Ledger() as ledger:
        ledger.add(LONG_IDS[0], "127.0.0.1:1", LONG_SOURCE, "openai/gpt-4o-mini-transcribe", {})
        ledger.add(LONG_IDS[1], "127.0.0.1:1", "/audio/short.wav", "#g1_whisper-large", {})
        ledger.add("XY3D-mYpFxC-WIx-Lv3wh", "127.0.0.1:2", "https://example.com/" + "x" * 150 + ".mp3", "nova-3", {})


def test_jobs_fits_a_terminal_100_columns_wide_one_line_a_job(tmp_path: Path) -> None:
    import re

    from rich.cells import cell_len

    _long_jobs()
    code, shown = stdout_on_a_terminal(["jobs"], _table_env(), tmp_path, columns=100)
    assert code == 0, shown
    assert f"{ESC}1mID" in shown  # bold headers on a terminal
    lines = re.sub(ANSI, "", shown).splitlines()
    assert len(lines) == 4, shown  # the headers, then each job on one line
    assert all(cell_len(line) <= 100 for line in lines), lines
    assert lines[0].split() == ["ID", "WHEN", "SOURCE", "MODEL", "STATUS", "DURATION"]
    assert [line.split()[0] for line in lines[1:]] == ["XY3D-mYp", "3f1c9a2e-9", "3f1c9a2e-1"]
    long_row = lines[3]
    assert "  /home\u2026" in long_row and "-final-v3.wav  " in long_row  # cut in the middle, the end kept
    assert "openai/gpt-4o-mini-transcribe" in long_row
    assert ".mp3" in lines[1] and "\u2026" in lines[1]
    code, wide = stdout_on_a_terminal(["jobs", "--wide"], _table_env(), tmp_path, columns=100)
    wide_lines = re.sub(ANSI, "", wide).splitlines()
    assert code == 0 and len(wide_lines) == 4  # long lines, left to the terminal to wrap, nothing cut or folded
    assert wide_lines[3].startswith(LONG_IDS[0] + " ") and LONG_SOURCE in wide_lines[3]
    assert wide_lines[2].startswith(LONG_IDS[1] + " ") and "\u2026" not in wide


@pytest.mark.parametrize(
    "command", [["jobs"], ["models"], ["config", "list"], ["jobs", "prune", "--dry-run", "0d"]], ids=" ".join
)
def test_tables_have_the_same_headers_on_a_terminal_and_on_a_pipe(command: list[str], tmp_path: Path) -> None:
    import re

    _long_jobs()
    if command[-1] == "0d":
        command = [*command[:-1], "--older-than", "0d"]
    code, shown = stdout_on_a_terminal(command, _table_env(), tmp_path, columns=100)
    piped = subprocess.run(
        [sys.executable, "-m", "stt_cli", *command], env=_table_env(), cwd=tmp_path, capture_output=True, text=True
    )
    assert code == 0 and piped.returncode == 0, (shown, piped.stderr)
    on_terminal = re.sub(ANSI, "", shown).splitlines()[0].split()
    on_pipe = piped.stdout.splitlines()[0].split()
    assert on_terminal == on_pipe and all(word.isupper() for word in on_pipe), (on_terminal, on_pipe)
    assert ESC not in piped.stdout  # bold only on a terminal
