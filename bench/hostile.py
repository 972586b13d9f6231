"""Robustness figures: stt against a hostile server, and batches and ledgers at scale. Reported, not asserted.

    python bench/hostile.py            # full sizes (a few minutes): a 2,000-file batch, a 5,000-row ledger
    python bench/hostile.py --quick    # small sizes, for CI
    python bench/hostile.py --only abuse   # some of: bounds hostile creates abuse terminal render ledger

- the JSON size of a 10-hour diarized result (what the answer ceiling is set against);
- peak RSS of `stt status` against a 2 GB answer and against a gzip bomb (1 MB inflating to 1 GiB);
- seconds for `stt run --timeout 5` to exit against a status answer trickling a byte every 0.5 s;
- creates the emulator sees for 5 processes started together on the same 3 files;
- the emulator under abuse: 1,000 bad requests and a client that stops reading its request log, while stt
  runs 50 jobs against it: the jobs that finish, and the emulator's memory (RSS) above its rest;
- a batch of small files with stderr on a terminal (live table) and off one: wall time and CPU;
- a re-run answered entirely from the ledger: 1,000 files among 5,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import random
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))  # the hostile server the tests use

from hostile import HostileServer, gzip_bomb, sample_result  # noqa: E402
from run import BIN, KEY, ROWS, EmulatorProcess, home_env, machine, report, table, verdict, write_wav  # noqa: E402

STT = str(BIN / "stt")


def ten_hour_result(words_per_minute: int = 180, speakers: int = 3) -> dict[str, Any]:
    """A Deepgram-shaped, diarized result of 10 hours with paragraphs and utterances, as full as they come."""
    rng = random.Random(10)
    vocab = ("the", "conversation", "about", "quarterly", "results", "we", "should", "really", "consider", "point")
    words, t, speaker = [], 0.0, 0
    for n in range(10 * 60 * words_per_minute):
        if n % 40 == 0:
            speaker = (speaker + 1) % speakers
        length = rng.uniform(0.15, 0.45)
        word = rng.choice(vocab)
        words.append(
            {
                "word": word,
                "start": round(t, 3),
                "end": round(t + length, 3),
                "confidence": rng.random(),
                "punctuated_word": word.capitalize() + "." if n % 12 == 11 else word,
                "speaker": speaker,
                "speaker_confidence": rng.random(),
            }
        )
        t += length + 0.02
    text = " ".join(w["punctuated_word"] for w in words)
    sentences = [
        {
            "text": " ".join(w["punctuated_word"] for w in words[s : s + 12]),
            "start": words[s]["start"],
            "end": words[min(s + 11, len(words) - 1)]["end"],
        }
        for s in range(0, len(words), 12)
    ]
    paragraphs = [
        {
            "sentences": sentences[p : p + 4],
            "speaker": 0,
            "num_words": 48,
            "start": sentences[p]["start"],
            "end": sentences[min(p + 3, len(sentences) - 1)]["end"],
        }
        for p in range(0, len(sentences), 4)
    ]
    utterances = [
        {
            "start": words[u]["start"],
            "end": words[min(u + 39, len(words) - 1)]["end"],
            "confidence": rng.random(),
            "channel": 0,
            "transcript": " ".join(w["punctuated_word"] for w in words[u : u + 40]),
            "words": words[u : u + 40],
            "speaker": words[u]["speaker"],
            "id": str(rng.random()),
        }
        for u in range(0, len(words), 40)
    ]
    alternative = {
        "transcript": text,
        "confidence": 0.9,
        "words": words,
        "paragraphs": {"transcript": text, "paragraphs": paragraphs},
    }
    return {
        "metadata": {"duration": t},
        "results": {"channels": [{"alternatives": [alternative]}], "utterances": utterances},
    }


def bench_ceiling() -> None:
    from stt_cli.api.client import MAX_ANSWER_BYTES

    payload = ten_hour_result()
    compact = len(json.dumps(payload))
    indented = len(json.dumps(payload, indent=2))
    report(
        "bounds",
        "10-hour diarized result (paragraphs, utterances)",
        f"{compact / 1e6:.1f} MB",
        f"indented {indented / 1e6:.1f} MB",
        f"ceiling {MAX_ANSWER_BYTES / 2**20:.0f} MiB",
        3 * indented < MAX_ANSWER_BYTES,
    )


def _peak(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, float, int, str]:
    """Exit code, wall time, peak RSS (MiB) and stderr of one run.

    The peak is read by /usr/bin/time: a child forked from this (large) process would start its high-water
    mark at the parent's, so wait4's own figure is no measure of stt.
    """
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("r") as peak, tempfile.TemporaryFile() as err:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name, *argv],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        kib = int(peak.read().strip().splitlines()[-1])
    return proc.returncode, time.perf_counter() - started, kib // 1024, text


def bench_hostile(work: Path) -> None:
    server = HostileServer()
    env = home_env(work / "hostile", server.base_url)
    try:

        def huge(request: Any, conn: Any) -> None:
            conn.stream(2 * 1024**3, b" " * (1 << 20))

        def huge_unsized(request: Any, conn: Any) -> None:  # no Content-Length: read until the ceiling
            conn.head(200)
            sent = 0
            while sent < 2 * 1024**3 and conn.send(b" " * (1 << 20)):
                sent += 1 << 20

        for name, handler in (("with its Content-Length", huge), ("without a length", huge_unsized)):
            server.on_poll = handler
            code, took, rss, _ = _peak([STT, "status", "abc123"], env, work)
            report(
                "hostile",
                f"2 GB status answer {name}: peak RSS",
                f"{rss} MiB",
                f"exit {code} in {took:.1f} s",
                "a small multiple of 256 MiB",
                code == 5 and rss < 4 * 256,
            )
        bomb = gzip_bomb()
        server.on_poll = lambda request, conn: conn.answer(bomb, headers={"Content-Encoding": "gzip"})
        code, took, rss, _ = _peak([STT, "status", "abc123"], env, work)
        report(
            "hostile",
            f"gzip bomb ({len(bomb) / 1e6:.1f} MB -> 1 GiB): peak RSS",
            f"{rss} MiB",
            f"exit {code} in {took:.1f} s",
            "a small multiple of 256 MiB",
            code == 5 and rss < 4 * 256,
        )
        body = json.dumps({"status": "completed", "result": sample_result()}).encode()
        server.on_poll = lambda request, conn: conn.trickle(body, 0.5)
        sample = work / "talk.wav"
        write_wav(sample, 1.0)
        code, took, _, _ = _peak([STT, "run", str(sample), "--timeout", "5"], env, work)
        report(
            "hostile",
            "status answer trickling 2 bytes/s, --timeout 5",
            f"{took:.1f} s",
            f"exit {code}",
            "about 5 s",
            code == 7 and took < 7,
        )
    finally:
        server.stop()


def bench_concurrent_creates(work: Path) -> None:
    folder = work / "five"
    (folder / "in").mkdir(parents=True)
    files = [str(write_wav(folder / "in" / f"f{n}.wav", 1.0 + n / 10, tone=n)) for n in range(3)]
    emu = EmulatorProcess(1.0)
    try:
        env = home_env(folder, emu.base_url)
        procs = []
        for n in range(5):
            (folder / f"out{n}").mkdir()
            procs.append(
                subprocess.Popen(
                    [STT, "run", *files, "--output-dir", str(folder / f"out{n}")],
                    env=env,
                    cwd=folder,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        codes = [p.wait(timeout=120) for p in procs]
        creates = sum(1 for r in emu.requests() if r.get("kind") == "create" and r.get("outcome") == "created")
    finally:
        emu.stop()
    report(
        "hostile",
        "5 processes x the same 3 files: creates",
        str(creates),
        f"exit codes {sorted(set(codes))}",
        "3",
        creates == 3 and set(codes) == {0},
    )


def _rss_mib(pid: int) -> float:
    """A process's resident memory now (Linux's /proc), in MiB; 0 where it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _queued_bytes(local: tuple[str, int], remote: tuple[str, int]) -> int:
    """Bytes the socket local->remote has sent and its peer has not read yet (Linux's /proc/net/tcp); -1 unknown."""
    want = (f"{socket.htonl(0x7F000001):08X}:{local[1]:04X}", f"{socket.htonl(0x7F000001):08X}:{remote[1]:04X}")
    try:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if (fields[1], fields[2]) == want:
                return int(fields[4].split(":")[0], 16)
    except (OSError, IndexError, ValueError):
        pass
    return -1


def _grow_log(base_url: str, creates: int, size: int) -> None:
    """`creates` jobs made with a field of `size` bytes each (the API's own `extra`): a log of creates x size."""
    for n in range(creates):
        body = json.dumps({"model": "#g1_whisper-large", "url": f"https://example.com/{n}.wav", "extra": "x" * size})
        request = urllib.request.Request(
            base_url + "/stt/create",
            data=body.encode(),
            method="POST",
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30).close()


def _bad_requests(port: int, count: int) -> dict[int, int]:
    """`count` requests nobody should send, of six kinds; how many got each status (0: no answer in 30 s).
    Half are polls with no key and a 60 KB path, kept alive on one connection; the rest each on its own."""
    host = f"Host: 127.0.0.1:{port}\r\n"
    malformed = [
        f"POST /_emulator/faults HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]",
        f"POST /_emulator/reset HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n",
        f"POST /_emulator/reset HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        f"POST /_emulator/reset HTTP/1.1\r\n{host}Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{{}}",
        f"POST /_emulator/faults HTTP/1.1\r\n{host}Origin: http://evil.example\r\nContent-Type: text/plain\r\n"
        "Content-Length: 2\r\n\r\n{}",
    ]
    seen: dict[int, int] = {}

    def count_status(answer: bytes) -> None:
        parts = answer.split(b" ", 2)
        status = int(parts[1]) if answer.startswith(b"HTTP/") and len(parts) > 1 and parts[1].isdigit() else 0
        seen[status] = seen.get(status, 0) + 1

    def poll(reader: Any, sock: socket.socket, n: int) -> bytes:
        sock.sendall(f"GET /v1/stt/{n:05d}{'a' * 60_000} HTTP/1.1\r\n{host}\r\n".encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = reader.readline()
            if not line:
                raise ConnectionResetError("closed")
            head += line
        lengths = [int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
        reader.read(lengths[0] if lengths else 0)
        return head

    sock: socket.socket | None = None
    for n in range(count // 2):
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                reader = sock.makefile("rb")
            count_status(poll(reader, sock, n))
        except OSError:
            count_status(b"")
            if sock is not None:
                sock.close()
            sock = None
    if sock is not None:
        sock.close()
    for n in range(count - count // 2):
        answer = b""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as one:
                one.sendall(malformed[n % len(malformed)].encode())
                one.shutdown(socket.SHUT_WR)
                while chunk := one.recv(65536):
                    answer += chunk
        except OSError:
            pass
        count_status(answer)
    return seen


CLIENT_SECONDS = 300


def bench_emulator_abuse(work: Path, jobs: int = 50, bad: int = 1000) -> None:
    """The emulator in its own process, at rest, then under 1,000 bad requests and one client that asks for the
    request log and never reads it, while `stt run` makes `jobs` jobs against it. Its RSS is sampled all along.
    The log is first grown to 6 MB (10 creates with a 600 KB field), more than the kernel buffers of one
    connection hold, so the stalled reader's answer cannot be sent whole."""
    folder = work / "abuse"
    (folder / "in").mkdir(parents=True)
    files = [str(write_wav(folder / "in" / f"a{n:02d}.wav", 1.0 + n / 100, tone=n)) for n in range(jobs)]
    emu = EmulatorProcess(0.2)
    env = home_env(folder, emu.base_url)
    peaks: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks.append(_rss_mib(emu.proc.pid))
            time.sleep(0.02)

    stalled = socket.socket()
    try:
        warm = subprocess.run([STT, "run", files[0], "--output-dir", str(folder / "warm")], env=env, cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        emu.requests()
        emu.control("reset", {})
        rest = _rss_mib(emu.proc.pid)
        _grow_log(emu.base_url, 10, 600_000)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        seen: dict[int, int] = {}
        flood = threading.Thread(target=lambda: seen.update(_bad_requests(emu.port, bad)), daemon=True)
        started = time.perf_counter()
        flood.start()
        client = subprocess.Popen([STT, "run", *files, "--output-dir", str(folder / "out")], env=env, cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(1.0)  # some of the flood is in the log by now: more than the stalled reader's buffers hold
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", emu.port))
        stalled.sendall(f"GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1:{emu.port}\r\n\r\n".encode())
        try:
            code = client.wait(timeout=CLIENT_SECONDS)
        except subprocess.TimeoutExpired:  # held up: what an emulator that sends under its lock does
            client.kill()
            code = client.wait()
        client_seconds = time.perf_counter() - started
        flood.join(timeout=CLIENT_SECONDS)
        flood_seconds = time.perf_counter() - started
        unsent = _queued_bytes(("127.0.0.1", emu.port), stalled.getsockname())
        finished = len(list((folder / "out").glob("*.txt")))
        try:
            log = f"{len(emu.requests())} entries"
        except OSError:
            log = "no answer"
    finally:
        done.set()
        stalled.close()
        emu.stop()
    peak = max(peaks, default=rest)
    report(
        "abuse",
        f"emulator under abuse: {jobs} jobs of stt run",
        f"{finished} finished",
        f"exit {code} in {client_seconds:.1f} s (warm-up exit {warm.returncode})",
        f"{jobs}",
        finished == jobs and code == 0,
    )
    report(
        "abuse",
        f"emulator under abuse: {bad} bad requests and a stalled reader",
        f"answered in {flood_seconds:.1f} s",
        "statuses " + ", ".join(f"{status}: {n}" for status, n in sorted(seen.items())) + f"; the log: {log}; "
        f"the stalled answer's bytes still unsent at the end: {unsent}",
    )
    report(
        "abuse",
        "emulator under abuse: RSS above its rest",
        f"{peak - rest:.1f} MiB",
        f"at rest {rest:.1f} MiB, peak {peak:.1f} MiB",
        "< 64 MiB",
        peak - rest < 64,
    )


def _run_with_stderr(argv: list[str], env: dict[str, str], cwd: Path, terminal: bool) -> tuple[float, float, int]:
    """Wall time, CPU seconds (user + system) and exit code, stderr on a pseudo-terminal or /dev/null."""
    started = time.perf_counter()
    if not terminal:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)
    controller, child = pty.openpty()
    os.set_blocking(controller, False)
    proc = subprocess.Popen(
        argv,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=child,
        stdin=subprocess.DEVNULL,
    )
    os.close(child)
    done = threading.Event()

    def drain() -> None:  # a terminal that keeps up with whatever is drawn
        while not done.is_set():
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    os.read(controller, 65536)
                except OSError:
                    return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    reader.join(2)
    os.close(controller)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def bench_batch_terminal(work: Path, count: int) -> None:
    folder = work / f"batch-{count}"
    (folder / "in").mkdir(parents=True)
    for n in range(count):
        write_wav(folder / "in" / f"rec{n:05d}.wav", 0.05 + (n % 50) / 1000, tone=n)
    results = {}
    for terminal in (False, True):
        emu = EmulatorProcess(0.0)
        try:
            home = folder / ("tty" if terminal else "pipe")
            out = home / "out"
            out.mkdir(parents=True)
            env = home_env(home, emu.base_url)
            env.pop("CI", None)
            # --audio-prep off: what is measured is the batch and its live table, not each file's ffmpeg
            argv = [
                STT,
                "run",
                "in",
                "--recursive",
                "--output-dir",
                str(out),
                "--concurrency",
                "32",
                "--audio-prep",
                "off",
            ]
            results[terminal] = _run_with_stderr(argv, env, folder, terminal)
        finally:
            emu.stop()
        if results[terminal][2] != 0:
            raise RuntimeError(f"the batch exited {results[terminal][2]}")
    (plain_wall, plain_cpu, _), (tty_wall, tty_cpu, _) = results[False], results[True]
    ratio = tty_wall / plain_wall
    table_share = max(0.0, tty_cpu - plain_cpu) / tty_wall
    report(
        "scale",
        f"{count:,}-file batch, concurrency 32: on a terminal / off",
        f"{tty_wall:.1f} s / {plain_wall:.1f} s",
        f"{ratio:.2f}x",
        "within 1.10x",
        ratio <= 1.10,
    )
    report(
        "scale",
        f"{count:,}-file batch: CPU on a terminal less off one, per second",
        f"{table_share * 100:.1f}% of a core",
        f"CPU {tty_cpu:.1f} s on a terminal, {plain_cpu:.1f} s off",
        "< 10% of a core",
        table_share < 0.10,
    )


def bench_table_render(count: int) -> None:
    """The live table's own cost: one render of a batch of `count` with its rows in flight, times its rate."""
    import contextlib
    import io

    from rich.console import Console

    from stt_cli.cli import output
    from stt_cli.cli.views import BatchView

    output.set_verbosity(output.QUIET)
    view = BatchView([f"/recordings/2026/rec{n:05d}.wav" for n in range(count)])
    with contextlib.redirect_stderr(io.StringIO()):  # the failure lines a batch prints off a terminal
        _fill(view, count)
    output.set_verbosity(output.NORMAL)
    console = Console(width=120, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    runs = 40
    started = time.perf_counter()
    for _ in range(runs):
        console.print(view.render())
    each = (time.perf_counter() - started) / runs
    share = each * BatchView.REFRESH_PER_SECOND
    report(
        "scale",
        f"live table of a {count:,}-file batch, 32 in flight: one render",
        f"{each * 1000:.1f} ms",
        f"x {BatchView.REFRESH_PER_SECOND}/s = {share * 100:.1f}% of a core",
        "< 10% of a core",
        share < 0.10,
    )


def _fill(view: Any, count: int) -> None:
    """Most sources done (one in 97 failed), 16 uploading, 16 waiting."""
    from stt_cli.errors import JobFailed

    for index in range(count):
        row = view.item(index, 0)
        if index < count - 32:
            with row.uploading():
                pass
            row.created(f"3f1c9a2e-1b2c-4d5e-8f90-{index:012d}", None)
            if index % 97 == 0:
                view.failed(index, JobFailed("the job failed on the server: Audio could not be decoded"), "")
            else:
                row.done(Path(f"/out/rec{index:05d}.txt"))
        elif index < count - 16:
            with row.uploading():
                pass
        else:
            with row.uploading():
                pass
            row.created(f"3f1c9a2e-1b2c-4d5e-8f90-{index:012d}", None)


def bench_ledger_rerun(work: Path, files: int, rows: int) -> None:
    import sqlite3

    folder = work / f"rerun-{files}"
    (folder / "in").mkdir(parents=True)
    for n in range(files):
        write_wav(folder / "in" / f"r{n:05d}.wav", 0.05 + (n % 50) / 1000, tone=n)
    emu = EmulatorProcess(0.0)
    try:
        env = home_env(folder, emu.base_url)
        out = folder / "out"
        out.mkdir()
        argv = [STT, "run", "in", "--recursive", "--output-dir", str(out), "--concurrency", "32", "--audio-prep", "off"]
        first = subprocess.run(argv, env=env, cwd=folder, capture_output=True, text=True)
        if first.returncode != 0:
            raise RuntimeError(first.stderr[-500:])
        ledger = folder / "data" / "stt-cli" / "ledger.sqlite3"
        db = sqlite3.connect(ledger)
        template = db.execute("SELECT * FROM jobs LIMIT 1").fetchone()
        columns = len(template)
        extra = []
        for n in range(rows - files):  # other jobs: other audio, other hosts, each with its result
            row = list(template)
            row[0] = f"other-{n}"
            row[6] = f"{n:064x}"
            row[13] = json.dumps(["sha256:" + f"{n:064x}", row[7], {}])
            extra.append(row)
        db.executemany(f"INSERT INTO jobs VALUES ({','.join('?' * columns)})", extra)
        db.commit()
        total = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        db.close()
        started = time.perf_counter()
        again = subprocess.run(argv, env=env, cwd=folder, capture_output=True, text=True)
        took = time.perf_counter() - started
        creates = sum(1 for r in emu.requests() if r.get("kind") == "create")
    finally:
        emu.stop()
    ok = again.returncode == 0 and creates == files
    report(
        "scale",
        f"re-run of {files:,} files from a {total:,}-row ledger",
        f"{took:.2f} s",
        f"{took / files * 1000:.1f} ms a file, {creates - files} new creates",
        "< 5 s for 1,000",
        ok and took / files * 1000 < 5.0,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (for CI)")
    parser.add_argument("--only", default="", help="some of: bounds hostile creates abuse terminal render ledger")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    def wanted(name: str) -> bool:
        return not only or name in only

    with tempfile.TemporaryDirectory(prefix="stt-bench-hostile-") as tmp:
        work = Path(tmp)
        print("bounds and hostile answers:", file=sys.stderr, flush=True)
        if wanted("bounds"):
            bench_ceiling()
        if wanted("hostile"):
            bench_hostile(work)
        if wanted("creates"):
            bench_concurrent_creates(work)
        if wanted("abuse"):
            bench_emulator_abuse(work, bad=250 if args.quick else 1000)
        print("scale:", file=sys.stderr, flush=True)
        if wanted("terminal"):
            bench_batch_terminal(work, 200 if args.quick else 2000)
        if wanted("render"):
            bench_table_render(200 if args.quick else 2000)
        if wanted("ledger"):
            bench_ledger_rerun(work, 100 if args.quick else 1000, 500 if args.quick else 5000)
    print(f"stt-cli robustness benchmarks{' (quick)' if args.quick else ''}: {machine()}\n")
    print(table())
    print("\n" + verdict(ROWS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
