"""Batches as processes: killed halfway and run again, list-file and folder errors, several stt writing the
ledger at once, several stt sending the same large file at once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    EmulatorHandle,
    _serve,
    big_file,
    recordings,
    sha256_of,
    start_emulator,
    subprocess_env,
    wait_until,
    write_wav,
)


def _stt(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stt_cli", *args],
        env=env,
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_batch_killed_halfway_and_run_again_uploads_only_the_missing_files(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_emulator(processing_time=60)
    emulator = EmulatorHandle(server)
    try:
        files = recordings(tmp_path / "recordings", 8)
        args = ["run", "recordings", "--recursive", "--output-dir", "out", "--concurrency", "4", "-f", "srt"]
        args += ["--audio-prep", "off"]  # the creates are checked by the sha256 of the files' own bytes
        (tmp_path / "out").mkdir()
        proc = _stt(args, subprocess_env(emulator), tmp_path)
        wait_until(lambda: len(emulator.creates()) == 4, timeout=20)
        time.sleep(0.3)  # the four are being polled, the other four wait for a free worker
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=15)
        assert proc.returncode == 130, stderr
        assert "4 job(s) go on running" in stderr and "run the same command again" in stderr
        assert list((tmp_path / "out").iterdir()) == []

        server.state.processing_time = 0.3  # the jobs created from now on are quick
        emulator.advance(120)  # and the four already running are done
        monkeypatch.setenv("AIML_API_BASE", emulator.base_url)
        monkeypatch.setenv("AIML_API_KEY", "k-0123456789abcdef")
        rerun = cli(*args)
        assert rerun.exit_code == 0, rerun.stderr
        assert rerun.stderr.count("reusing") == 4
        creates = emulator.creates()
        assert len(creates) == 8
        assert sorted(c["sha256"] for c in creates) == sorted(sha256_of(f) for f in files)
        assert len(list((tmp_path / "out").glob("*.srt"))) == 8
    finally:
        server.stop()


def test_from_file_errors(cli, emulator: EmulatorHandle, tmp_path: Path) -> None:
    missing = cli("run", "--from-file", "nope.txt")
    assert missing.exit_code == 2 and "cannot read the list nope.txt" in missing.stderr
    (tmp_path / "empty.txt").write_text("# nothing yet\n")
    empty = cli("run", "--from-file", "empty.txt")
    assert empty.exit_code == 2 and "no sources given" in empty.stderr
    listed = tmp_path / "bad.txt"
    listed.write_text("gone.wav\n")
    bad = cli("run", "--from-file", str(listed))
    assert bad.exit_code == 2 and "gone.wav" in bad.stderr
    both = cli("run", "-", "--from-file", "-", input="x")
    assert both.exit_code == 2
    assert emulator.requests() == []


def test_directories_without_audio_or_without_recursive_are_refused(
    cli, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("hello")
    empty = cli("run", "docs", "--recursive")
    assert empty.exit_code == 2 and "docs holds no audio or video files" in empty.stderr
    write_wav(tmp_path / "calls" / "a.wav", 1.0)
    flat = cli("run", "calls")
    assert flat.exit_code == 2 and "--recursive" in flat.stderr
    assert emulator.requests() == []


def test_several_processes_write_the_ledger_at_once(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = subprocess_env(emulator)
    groups = [recordings(tmp_path / f"g{g}", 5) for g in range(3)]
    # the files of each group differ from the other groups' (lengths shift by group)
    for g, group in enumerate(groups):
        for n, path in enumerate(group):
            write_wav(path, 0.5 + g + n / 10)
    procs = [_stt(["submit", *map(str, group)], env, tmp_path) for group in groups]
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        assert len(stdout.split()) == 5
    listed = subprocess.run(
        [sys.executable, "-m", "stt_cli", "jobs", "--json"], env=env, capture_output=True, text=True, check=True
    )
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 15
    assert {r["generation_id"] for r in rows} == {c["generation_id"] for c in emulator.creates()}


def test_several_processes_sending_the_same_large_file_at_once_make_one_job(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each hashes the file as it sends it and claims it before its last byte: the first claim wins, the others
    stop short (no job) or find the claim, wait, and use its job."""
    big = big_file(tmp_path / "notes.bin", 9)  # no media, over submission.HASH_FIRST_BELOW
    for emulator in _serve(monkeypatch, bandwidth=4_000_000):  # 4 MB/s for all: the uploads overlap
        env = subprocess_env(emulator)
        procs = [_stt(["submit", str(big)], env, tmp_path) for _ in range(3)]
        ids = set()
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
            ids.add(stdout.strip())
        assert len(ids) == 1
        made = [c for c in emulator.creates() if c.get("generation_id")]
        assert [c["generation_id"] for c in made] == list(ids)
        assert made[0]["sha256"] == sha256_of(big)
        assert len(emulator.server.state.jobs) == 1


def test_ten_fetches_at_once_record_ten_outputs(cli, emulator: EmulatorHandle, talk: Path, tmp_path: Path) -> None:
    """Each fetch adds its file to the job's outputs: read and written in one transaction, no fetch loses another's
    (issue 25: the list was read before the write lock, and 10 fetches left 3)."""
    submitted = cli("submit", str(talk))
    assert submitted.exit_code == 0, submitted.stderr
    job = submitted.stdout.strip()
    emulator.advance(60)
    (tmp_path / "lost").mkdir()
    env = subprocess_env(emulator)
    procs = [_stt(["fetch", job, "-o", f"lost/o{n}.txt"], env, tmp_path) for n in range(10)]
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
    assert sorted(p.name for p in (tmp_path / "lost").iterdir()) == sorted(f"o{n}.txt" for n in range(10))
    listed = cli("jobs", "--json")
    [record] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(record["outputs"]) == sorted(str((tmp_path / "lost" / f"o{n}.txt").resolve()) for n in range(10))
