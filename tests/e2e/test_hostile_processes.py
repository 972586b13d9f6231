"""A hostile server against stt processes: memory ceilings under an address-space limit, trickles and
timeouts, interrupts, full disks, devices and umasks, concurrent processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import (
    SAMPLE_TEXT,
    EmulatorHandle,
    env_without_ci,
    one_error_line,
    run_stt,
    wait_until,
)
from hostile import KEY, Conn, HostileServer, Request, gzip_bomb, sample_result, swallow_first_request

MEMORY_LIMIT = 1024 * 1024 * 1024  # address space for a CLI that reads a 2 GB answer or a gzip bomb


def _spawn(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """stt in its own process, its output kept, for a test that signals or races it."""
    return subprocess.Popen(
        [sys.executable, "-m", "stt_cli", *args],
        cwd=cwd,
        env=env or env_without_ci(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _listener() -> socket.socket:
    """A bare listening socket on loopback, for a server that behaves as no HTTP server should."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    return listener


# --- 7. Ordinary failures are not bugs -------------------------------------------------------------------
def _full_disk(tmp_path: Path) -> tuple[list[str], Path]:
    """A command prefix that runs what follows with `full` a 16 KiB tmpfs filled to the last byte."""
    import shutil

    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is needed for a private, full file system")
    full = tmp_path / "full"
    full.mkdir()
    fill = f'mount -t tmpfs -o size=16k none "{full}" && (cat /dev/zero > "{full}/filler" 2>/dev/null; true) && "$@"'
    prefix = [unshare, "-m" if os.geteuid() == 0 else "-rm", "sh", "-c", fill, "sh"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.strip()}")
    return prefix, full


# --- 2. Bounded answers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sized", [True, False], ids=["content-length", "until-close"])
def test_a_2_gb_answer_stops_at_the_ceiling_under_an_address_space_limit(
    hostile: HostileServer, tmp_path: Path, sized: bool
) -> None:
    def poll(request: Request, conn: Conn) -> None:
        total = 2 * 1024**3
        if sized:
            conn.stream(total, b" " * (1 << 20))
        else:
            conn.head(200)
            while conn.send(b" " * (1 << 20)):
                pass

    hostile.on_poll = poll
    started = time.monotonic()
    done = run_stt("status", "abc123", cwd=tmp_path, memory=MEMORY_LIMIT)
    assert done.returncode == 5, done.stderr
    line = one_error_line(done.stderr)
    assert "larger than 256 MiB" in line
    assert time.monotonic() - started < 30


def test_a_gzip_bomb_stops_at_the_ceiling_under_an_address_space_limit(hostile: HostileServer, tmp_path: Path) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    hostile.on_poll = lambda request, conn: conn.answer(bomb, headers={"Content-Encoding": "gzip"})
    done = run_stt("status", "abc123", cwd=tmp_path, memory=MEMORY_LIMIT)
    assert done.returncode == 5, done.stderr
    assert "larger than 256 MiB" in one_error_line(done.stderr)


def test_a_trickled_status_answer_ends_with_the_timeout(hostile: HostileServer, talk: Path, tmp_path: Path) -> None:
    body = json.dumps({"status": "completed", "result": sample_result()}).encode()
    hostile.on_poll = lambda request, conn: conn.trickle(body, 0.5)
    started = time.monotonic()
    done = run_stt("run", str(talk), "--timeout", "5", cwd=tmp_path)
    took = time.monotonic() - started
    assert done.returncode == 7, done.stderr
    assert "gave up waiting after 5 s" in done.stderr and "stt fetch" in done.stderr
    assert took < 9, took


def test_a_trickle_in_the_headers_ends_with_the_timeout(hostile: HostileServer, talk: Path, tmp_path: Path) -> None:
    body = json.dumps({"status": "completed", "result": sample_result()}).encode()
    hostile.on_poll = lambda request, conn: conn.trickle(body, 0.5, headers_too=True)
    started = time.monotonic()
    done = run_stt("run", str(talk), "--timeout", "4", cwd=tmp_path)
    assert done.returncode == 7, done.stderr
    assert time.monotonic() - started < 8


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["interrupt", "kill"])
def test_a_create_cut_off_after_the_whole_body_is_resent_with_the_same_key(
    hostile: HostileServer, talk: Path, tmp_path: Path, how: signal.Signals
) -> None:
    swallow_first_request(hostile)
    proc = _spawn("run", str(talk), cwd=tmp_path)
    assert hostile.body_received.wait(20)
    time.sleep(0.3)
    proc.send_signal(how)
    _, stderr = proc.communicate(timeout=20)
    if how == signal.SIGINT:
        assert proc.returncode == 130
        assert "no job was created" not in stderr
        assert "may exist" in stderr and hostile.creates()[0].idempotency_key in stderr
        assert "--resubmit" in stderr
    listed = run_stt("jobs", cwd=tmp_path)  # interrupted or killed, the create is listed with its key
    assert "may have reached the service" in listed.stderr and hostile.creates()[0].idempotency_key in listed.stderr
    again = run_stt("run", str(talk), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "same Idempotency-Key" in again.stderr
    assert again.stdout == "hello world\n"
    first, second = hostile.creates()
    assert first.idempotency_key == second.idempotency_key
    assert len(hostile.jobs) == 1  # one job: billed once
    hostile.on_create = hostile.honest_create
    fresh = run_stt("run", str(talk), "--resubmit", cwd=tmp_path)
    assert fresh.returncode == 0
    assert hostile.creates()[-1].idempotency_key != first.idempotency_key


def test_an_interrupt_during_the_upload_says_no_job_was_created(tmp_path: Path) -> None:
    """A server that accepts and never reads: the upload stalls mid-body, so no job can exist."""
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF" + os.urandom(32 * 1024 * 1024))
    listener = _listener()
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", "run", str(big)],
        cwd=tmp_path,
        env=env_without_ci(AIML_API_BASE=f"http://127.0.0.1:{listener.getsockname()[1]}/v1", AIML_API_KEY=KEY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: accepted, 20)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        listener.close()
    assert proc.returncode == 130
    assert "no job was created" in stderr and "may exist" not in stderr


def test_five_processes_and_the_same_three_files_make_three_jobs(emulator: EmulatorHandle, tmp_path: Path) -> None:
    from conftest import subprocess_env, write_wav

    emulator.server.state.processing_time = 1.0
    files = [str(write_wav(tmp_path / "in" / f"f{n}.wav", 1.0 + n / 10, tone=n)) for n in range(3)]
    env = subprocess_env(emulator)
    procs = []
    for n in range(5):
        out = tmp_path / f"out{n}"
        out.mkdir()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "stt_cli", "run", *files, "--output-dir", str(out)],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    errors = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=90)
        errors.append(stderr)
        assert proc.returncode == 0, stderr
    creates = emulator.creates()
    shown = [(c.get("outcome"), c.get("idempotency_key"), c.get("generation_id")) for c in creates]
    assert len(creates) == 3, (shown, errors)
    for n in range(5):
        assert sorted(p.name for p in (tmp_path / f"out{n}").iterdir()) == ["f0.txt", "f1.txt", "f2.txt"]


def test_a_character_device_is_written_through_never_renamed_over(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    """/dev/null's own node, in a temp dir (root) or bind-mounted in a private mount namespace: never the real /dev."""
    import shutil
    import stat

    from conftest import subprocess_env

    env = subprocess_env(emulator)
    node = tmp_path / "null"
    run = [sys.executable, "-m", "stt_cli", "run", str(talk), "-o", str(node), "--force"]
    if os.geteuid() == 0:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert stat.S_ISCHR(node.lstat().st_mode)
        return
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs root or unshare for a device node outside /dev")
    node.write_bytes(b"")
    script = f'mount --bind /dev/null "{node}" && "$@" && test -c "{node}"'
    done = subprocess.run(
        [unshare, "-rm", "sh", "-c", script, "sh", *run], env=env, capture_output=True, text=True, timeout=60
    )
    if "mount" in done.stderr and done.returncode != 0:
        pytest.skip(f"no private mount namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr


def test_new_files_honour_the_umask_and_force_keeps_the_mode(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    import stat

    from conftest import subprocess_env

    env = subprocess_env(emulator)

    def run(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "stt_cli", "run", str(talk), *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=lambda: os.umask(0o027),
        )
        assert done.returncode == 0, done.stderr

    run("-o", "new.txt")
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    private = tmp_path / "private.txt"
    private.write_text("old")
    private.chmod(0o600)
    run("-o", "private.txt", "--force")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text() == SAMPLE_TEXT + "\n"
    link = tmp_path / "link.json"  # the name says json; the link leads to private.txt
    link.symlink_to(private)
    run("-o", "link.json", "-f", "json", "--force")
    assert link.is_symlink() and json.loads(private.read_text())["metadata"]


def test_a_full_disk_on_the_output_is_one_line_and_leaves_nothing(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    from conftest import subprocess_env

    prefix, full = _full_disk(tmp_path)
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "stt_cli", "run", str(talk), "-o", str(full / "out.txt")],
        env=subprocess_env(emulator),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    line = one_error_line(done.stderr)
    assert "No space left on device" in line and "stt fetch " in line and f"-o {full / 'out.txt'}" in line


@pytest.mark.parametrize("what", ["config", "key"])
def test_a_full_disk_on_the_config_or_key_file_is_one_line(tmp_path: Path, what: str) -> None:
    prefix, full = _full_disk(tmp_path)
    env = env_without_ci(STT_CONFIG_DIR=str(full / "config"))
    argv = ["config", "set", "format", "srt"] if what == "config" else ["auth", "login", "--no-check"]
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "stt_cli", *argv],
        env=env,
        input="sk-0123456789abcdef0123\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "No space left on device" in one_error_line(done.stderr)


def test_an_interrupted_batch_continues_when_run_again(emulator: EmulatorHandle, tmp_path: Path) -> None:
    from conftest import subprocess_env, write_wav

    files = [str(write_wav(tmp_path / "in" / f"r{n}.wav", 0.5 + n / 10, tone=n)) for n in range(6)]
    out = tmp_path / "out"
    out.mkdir()
    env = subprocess_env(emulator)
    emulator.server.state.processing_time = 0.3
    argv = [sys.executable, "-m", "stt_cli", "run", *files, "--output-dir", str(out), "--concurrency", "2"]
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: len(list(out.glob("*.txt"))) >= 2, 30)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "run the same command again" in stderr
    done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "6 done, 0 failed" in done.stderr and "already exists" not in done.stderr
    # Six jobs: a create cut off by the interrupt after its body went out is sent again with its key, and
    # the emulator, like a service that honours Idempotency-Key, answers it with the same job.
    # (A create Ctrl-C stopped before its body ended made no job, and has no id in the log.)
    assert len({c["generation_id"] for c in emulator.creates() if c.get("generation_id")}) == 6


def test_many_small_objects_are_refused_before_they_are_built(hostile: HostileServer, tmp_path: Path) -> None:
    import gzip

    body = b'{"status": "completed", "result": {"x": [' + b"{}," * 30_000_000 + b"{}]}}"
    packed = gzip.compress(body, 1)
    hostile.on_poll = lambda request, conn: conn.answer(packed, headers={"Content-Encoding": "gzip"})
    done = run_stt("status", "abc123", cwd=tmp_path, memory=MEMORY_LIMIT)
    assert done.returncode == 5, done.stderr
    assert "objects and arrays" in one_error_line(done.stderr)


def test_dev_stderr_and_fd_paths_are_written_through_never_renamed(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    from conftest import subprocess_env

    log = tmp_path / "stt.log"
    log.write_text("old line\n")
    with log.open("a") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "stt_cli", "run", str(talk), "--force", "-o", "/dev/./stderr"],
            env=subprocess_env(emulator),
            stderr=handle,
            stdout=subprocess.PIPE,
            timeout=60,
        )
    assert done.returncode == 0
    text = log.read_text()
    assert text.startswith("old line\n") and SAMPLE_TEXT in text
    extra = tmp_path / "fd3.txt"
    extra.write_text("kept\n")
    fd = os.open(extra, os.O_WRONLY | os.O_APPEND)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "stt_cli", "run", str(talk), "-o", f"/dev/fd/{fd}"],
            env=subprocess_env(emulator),
            capture_output=True,
            pass_fds=(fd,),
            timeout=60,
        )
    finally:
        os.close(fd)
    assert done.returncode == 0, done.stderr
    assert extra.read_text() == "kept\n" + SAMPLE_TEXT + "\n"


def test_an_interrupt_while_writing_says_so_with_the_job_id(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    from conftest import subprocess_env

    fifo = tmp_path / "nobody-reads"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "stt_cli", "run", str(talk), "-q", "-o", str(fifo)],
        env=subprocess_env(emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: emulator.polls() and emulator.polls()[-1].get("status") == "completed", 20)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130
    job_id = emulator.creates()[0]["generation_id"]
    assert "interrupted" in stderr and f"stt fetch {job_id}" in stderr


def test_a_full_disk_under_the_ledger_gets_the_right_advice(
    emulator: EmulatorHandle, talk: Path, tmp_path: Path
) -> None:
    from conftest import subprocess_env

    prefix, full = _full_disk(tmp_path)
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "stt_cli", "run", str(talk)],
        env={**subprocess_env(emulator), "STT_DATA_DIR": str(full / "data")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    line = one_error_line(done.stderr)
    assert "move it aside" not in line and ("disk" in line or "space" in line)


def test_closed_stdout_is_one_line(emulator: EmulatorHandle, talk: Path) -> None:
    from conftest import subprocess_env

    done = subprocess.run(
        [sys.executable, "-m", "stt_cli", "run", str(talk)],
        env=subprocess_env(emulator),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 2, done.stderr
    assert "stdout is closed" in one_error_line(done.stderr)


def test_a_resent_create_is_the_same_bytes(hostile: HostileServer, talk: Path, tmp_path: Path) -> None:
    seen: list[bytes] = []

    def create(request: Request, conn: Conn) -> None:
        seen.append(request.body)
        if len(seen) == 1:
            return  # take the whole body, then drop the connection: the outcome is unknown
        conn.answer({"generation_id": "same-job"})

    hostile.on_create = create
    assert run_stt("run", str(talk), cwd=tmp_path).returncode == 5
    assert run_stt("run", str(talk), cwd=tmp_path).returncode == 0
    assert len(seen) == 2 and seen[0] == seen[1]


# --- found by a second adversarial pass -----------------------------------------------------------------
def test_tiny_values_past_the_value_bound_are_refused(hostile: HostileServer, tmp_path: Path) -> None:
    import gzip

    body = b'{"status": "completed", "result": {"x": [' + '"\u0101",'.encode() * 8_100_000 + b'"\xc4\x81"]}}'
    packed = gzip.compress(body, 1)
    hostile.on_poll = lambda request, conn: conn.answer(packed, headers={"Content-Encoding": "gzip"})
    done = run_stt("status", "abc123", cwd=tmp_path, memory=MEMORY_LIMIT)
    assert done.returncode == 5, done.stderr
    assert "values" in one_error_line(done.stderr)


def test_a_file_that_grows_while_it_is_sent_is_one_line(tmp_path: Path) -> None:
    """A recording still being written: stt sends the size it announced, never more, and says what happened."""
    big = tmp_path / "growing.wav"
    big.write_bytes(b"RIFF" + os.urandom(8 * 1024 * 1024))
    listener = _listener()
    reading = threading.Event()

    def slow_reader() -> None:  # takes the upload at about 6 MB/s, so the file grows while it is sent
        conn, _ = listener.accept()
        reading.set()
        with conn:
            while conn.recv(65536):
                time.sleep(0.01)

    threading.Thread(target=slow_reader, daemon=True).start()
    proc = _spawn(
        "submit",
        str(big),
        cwd=tmp_path,
        env=env_without_ci(AIML_API_BASE=f"http://127.0.0.1:{listener.getsockname()[1]}/v1", AIML_API_KEY=KEY),
    )
    try:
        assert reading.wait(20)
        with big.open("ab") as handle:
            handle.write(os.urandom(1024 * 1024))
        _, stderr = proc.communicate(timeout=60)
    finally:
        listener.close()
    assert proc.returncode == 2, stderr
    assert "changed size while it was being uploaded" in one_error_line(stderr)


def test_a_cancelled_batch_counts_the_creates_it_cut_off(hostile: HostileServer, tmp_path: Path) -> None:
    from conftest import write_wav

    files = [str(write_wav(tmp_path / "in" / f"c{n}.wav", 0.5 + n / 10, tone=n)) for n in range(4)]
    hostile.on_create = lambda request, conn: conn.hang(60)  # every body is taken whole; no answer comes
    proc = _spawn("run", *files, "--output-dir", str(tmp_path), "--concurrency", "4", cwd=tmp_path)
    wait_until(lambda: len(hostile.creates()) == 4, 30)
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - started < 6  # all workers together get a short grace, not one each
    assert "4 create(s) sent whole may have made one" in stderr
    listed = run_stt("jobs", cwd=tmp_path)
    assert listed.stderr.count("may have reached the service") == 4
