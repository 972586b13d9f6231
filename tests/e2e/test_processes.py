"""The real program in a subprocess: entry points, Ctrl-C and SIGTERM while waiting, spinner only on a TTY."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle, one_error_line, stderr_on_a_terminal, subprocess_env


def _start_and_wait_for_job(args: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", *args],
        env=env,
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith("job "), line
    time.sleep(0.3)  # now inside the polling loop
    return proc, line.split()[1]


def test_python_m_and_the_console_script_agree() -> None:
    from stt_cli import __version__

    module = subprocess.run([sys.executable, "-m", "stt_cli", "--version"], capture_output=True, text=True)
    assert (module.returncode, module.stdout) == (0, f"stt {__version__}\n")
    script = Path(sys.executable).parent / "stt"
    if script.exists():
        console = subprocess.run([str(script), "--version"], capture_output=True, text=True)
        assert (console.returncode, console.stdout) == (0, module.stdout)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_while_waiting_prints_the_resume_command_and_exits_130(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    emulator.next_job(processing_time=60)
    args = ["run", str(talk), "-o", "out.srt", "-f", "srt"]
    proc, job_id = _start_and_wait_for_job(args, subprocess_env(emulator), tmp_path)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert f"stt fetch {job_id}" in stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    assert not (tmp_path / "out.srt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_resume_after_interrupt_gets_the_result(emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    emulator.next_job(processing_time=1.5)
    env = subprocess_env(emulator)
    proc, job_id = _start_and_wait_for_job(["run", str(talk)], env, tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=10)
    resumed = subprocess.run(
        [sys.executable, "-m", "stt_cli", "fetch", job_id],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == SAMPLE_TEXT + "\n"


def test_no_spinner_when_stderr_is_not_a_terminal(emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    emulator.next_job(processing_time=1.0)
    done = subprocess.run(
        [sys.executable, "-m", "stt_cli", "run", str(talk)],
        env=subprocess_env(emulator),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    assert "\x1b" not in done.stderr and "⠋" not in done.stderr
    assert len(done.stderr.splitlines()) == 1  # just the job line


def test_a_large_upload_shows_bytes_rate_and_time_left(emulator: EmulatorHandle, tmp_path: Path) -> None:
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF" + bytes(24 * 1024 * 1024))
    emulator.fault("create", {"action": "stall", "delay": 1.0})  # the server stops reading for a second
    code, _, shown = stderr_on_a_terminal(["submit", str(big)], subprocess_env(emulator), tmp_path)
    assert code == 0, shown
    assert "uploading big.wav" in shown
    assert "/25.2 MB" in shown  # bytes sent of the total
    assert "MB/s" in shown or "kB/s" in shown  # the rate
    assert "-:--:--" in shown or "0:00:0" in shown  # time left


def test_a_batch_shows_a_live_table_on_a_terminal(emulator: EmulatorHandle, tmp_path: Path) -> None:
    from conftest import write_wav

    for n in range(3):
        write_wav(tmp_path / f"rec{n}.wav", 0.5 + n / 10)
    args = ["run", "rec0.wav", "rec1.wav", "rec2.wav"]
    code, stdout, shown = stderr_on_a_terminal(args, subprocess_env(emulator), tmp_path)
    assert code == 0, shown
    assert stdout == b""
    assert "source" in shown and "state" in shown and "job" in shown  # the table's header
    assert "3 done" in shown  # the totals
    for create in emulator.creates():
        assert create["generation_id"][:8] in shown  # every job id stays on screen


def test_spinner_on_a_terminal_and_stdout_stays_clean(emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    emulator.next_job(processing_time=1.5)
    code, stdout, text = stderr_on_a_terminal(["run", str(talk)], subprocess_env(emulator), tmp_path)
    assert code == 0
    assert stdout.decode() == SAMPLE_TEXT + "\n"
    assert "processing" in text or "queued" in text
    assert "job " in text


def test_an_unquoted_hash_model_in_a_real_shell_gets_the_quoting_hint(emulator: EmulatorHandle, talk: Path) -> None:
    """What a new user types: bash takes `#g1_...`, and the rest of the line, for a comment; the hint's two
    ways out, pasted into the same shell, both send the id."""
    stt = f"{shlex.quote(sys.executable)} -m stt_cli"

    def bash(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", f"{stt} {line}"], cwd=talk.parent, env=subprocess_env(emulator), capture_output=True,
            text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    eaten = bash("run talk.wav --model #g1_nova-2-general -f srt")
    assert eaten.returncode == 2 and eaten.stdout == ""
    error = one_error_line(eaten.stderr)
    assert "Option '--model' requires an argument" in error and "an unquoted #... is a comment to the shell" in error
    assert emulator.requests() == []
    for fixed in ("--model '#g1_nova-2-general'", "--model nova-2-general"):
        done = bash(f"submit talk.wav {fixed}")
        assert done.returncode == 0, done.stderr
    assert {c["model"] for c in emulator.creates()} == {"#g1_nova-2-general"}
