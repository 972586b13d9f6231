"""Resume hints that work: each command stt prints to pick up a job (a --timeout, Ctrl-C, --no-wait, a batch
item that failed) is pasted, as printed, into a real shell, and writes the files and stdout the original command
would have written."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EmulatorHandle, subprocess_env, wait_until, write_wav

HINT = re.compile(r"(?:resume with|fetch it later|if interrupted): (stt fetch [^\n]*?)\)?$", re.MULTILINE)


def _env(emulator: EmulatorHandle, tmp_path: Path) -> dict[str, str]:
    env = subprocess_env(emulator)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `stt` as the shell finds it
    env["STT_DATA_DIR"] = str(tmp_path / "data")
    env["STT_CONFIG_DIR"] = str(tmp_path / "config")
    env["STT_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def _stt(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stt_cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _paste(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a person pastes it: one line, read and run by bash."""
    return subprocess.run(["bash", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def _hint(stderr: str) -> str:
    found = HINT.findall(stderr)
    assert found, stderr
    return found[-1]


def _reference(env: dict[str, str], tmp_path: Path, args: list[str], name: str) -> str:
    """What the same command writes when nothing interrupts it: run in a folder of its own, on a finished job."""
    other = tmp_path / "reference"
    other.mkdir(exist_ok=True)
    done = _stt(env, other, *args)
    assert done.returncode == 0, done.stderr
    return (other / name).read_text(encoding="utf-8")


def test_a_timeout_prints_a_fetch_that_writes_the_same_subtitles(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = _env(emulator, tmp_path)
    audio = write_wav(tmp_path / "my talk.wav", 1.5)
    args = [str(audio), "-f", "srt", "-o", "my subs.srt", "--max-line-width", "20", "--max-lines", "1"]
    emulator.next_job(processing_time=60)
    waited = _stt(env, tmp_path, "run", *args, "--timeout", "1s")
    assert waited.returncode == 7, waited.stderr
    assert not (tmp_path / "my subs.srt").exists()
    command = _hint(waited.stderr)
    assert "'my subs.srt'" in command  # quoted for the shell
    emulator.advance(120)
    pasted = _paste(command, env, tmp_path)
    assert pasted.returncode == 0, pasted.stderr
    assert pasted.stdout == ""
    written = (tmp_path / "my subs.srt").read_text(encoding="utf-8")
    words = [line for line in written.splitlines() if line and "-->" not in line and not line.isdigit()]
    assert words and max(map(len, words)) <= 20  # the subtitle knobs came along
    assert written == _reference(env, tmp_path, ["run", *args], "my subs.srt")


def test_ctrl_c_while_waiting_prints_a_fetch_that_finishes_the_job(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = _env(emulator, tmp_path)
    audio = write_wav(tmp_path / "a.wav", 1.0)
    emulator.next_job(processing_time=60)
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", "run", str(audio), "-f", "vtt,tsv", "--output-dir", "subs dir"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: len(emulator.polls()) >= 1, 30)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    command = _hint(stderr)
    emulator.advance(120)
    pasted = _paste(command, env, tmp_path)
    assert pasted.returncode == 0, pasted.stderr
    written = sorted(p.name for p in (tmp_path / "subs dir").iterdir())
    assert written == ["a.tsv", "a.vtt"]  # the files the interrupted run would have written, by the same names
    assert (tmp_path / "subs dir" / "a.vtt").read_text(encoding="utf-8").startswith("WEBVTT")


def test_no_wait_prints_a_fetch_for_later_with_stdout_as_the_original(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = _env(emulator, tmp_path)
    emulator.next_job(processing_time=60)
    job = _stt(env, tmp_path, "submit", str(write_wav(tmp_path / "b.wav", 1.0))).stdout.strip()
    early = _stt(env, tmp_path, "fetch", job, "--no-wait", "-f", "json")
    assert early.returncode == 7
    assert "fetch it later:" in early.stderr
    command = _hint(early.stderr)
    emulator.advance(120)
    pasted = _paste(command, env, tmp_path)
    assert pasted.returncode == 0, pasted.stderr
    assert pasted.stdout.lstrip().startswith("{")  # -f json came along, to stdout as the original
    assert pasted.stdout == _stt(env, tmp_path, "fetch", job, "-f", "json").stdout


def test_a_pending_batch_item_prints_a_fetch_to_its_own_file(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = _env(emulator, tmp_path)
    sources = [str(write_wav(tmp_path / "in" / f"r{n}.wav", 1.0 + n / 10)) for n in range(2)]
    emulator.next_job(processing_time=60)
    batch = _stt(env, tmp_path, "run", *sources, "-f", "srt", "--output-dir", "out", "--timeout", "1")
    assert batch.returncode == 7, batch.stderr
    [line] = [line for line in batch.stderr.splitlines() if line.startswith("pending ")]
    command = re.search(r"\(resume with: (stt fetch [^)]*)\)", line)
    assert command is not None, line
    emulator.advance(120)
    pasted = _paste(command.group(1), env, tmp_path)
    assert pasted.returncode == 0, pasted.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r0.srt", "r1.srt"]


@pytest.mark.parametrize("name", ["-dash.srt", "it's.srt", "$(touch pwned).srt"])
def test_a_hint_holds_any_name_safely(emulator: EmulatorHandle, tmp_path: Path, name: str) -> None:
    env = _env(emulator, tmp_path)
    emulator.next_job(processing_time=60)
    waited = _stt(env, tmp_path, "run", str(write_wav(tmp_path / "c.wav", 1.0)), "-o", f"./{name}", "--timeout", "1")
    assert waited.returncode == 7, waited.stderr
    emulator.advance(120)
    pasted = _paste(_hint(waited.stderr), env, tmp_path)
    assert pasted.returncode == 0, pasted.stderr
    assert (tmp_path / name).read_text(encoding="utf-8").startswith("1\n")
    assert not (tmp_path / "pwned").exists()
