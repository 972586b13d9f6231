"""Performance benchmarks of stt-cli, each next to its peer or baseline in the same run, printed as one table.

    pip install ".[bench]" && python bench/run.py            # full sizes (about 8 minutes)
    python bench/run.py --quick                              # small sizes, for CI (under a minute)
    python bench/run.py --only startup,render                # some of: startup upload ttr batch tiny render

Everything runs on loopback against `stt emulator` started here in its own process, with a private config
and data directory. Targets come from the project's performance issue; a row says `yes` when it is met.
Nothing here asserts: the numbers are reported, never used to fail a build.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import wave
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

BIN = Path(sys.executable).parent
KEY = "bench-key-0123456789"


@dataclass
class Row:
    group: str
    name: str
    value: str
    peer: str
    target: str
    met: bool | None  # None: informational


ROWS: list[Row] = []


def report(group: str, name: str, value: str, peer: str = "", target: str = "", met: bool | None = None) -> None:
    row = Row(group, name, value, peer, target, met)
    ROWS.append(row)
    verdict = "" if met is None else ("yes" if met else "NO")
    print(f"  {name}: {value}  {peer}  {target} {verdict}".rstrip(), file=sys.stderr, flush=True)


# --- Helpers: an emulator process, a private home, timed subprocesses ----------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmulatorProcess:
    """`stt emulator` in its own process, so the benchmarked client never shares a CPU core's GIL with it.
    Its jobs take `processing_time`: the placeholder answers them, even where the local extra is installed
    (an `--engine` among `extra` says otherwise)."""

    def __init__(self, processing_time: float, *extra: str) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stt_cli", "emulator", "--port", str(self.port), "--processing-time",
             str(processing_time), "--engine", "placeholder", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        if "listening" not in line:
            raise RuntimeError(f"the emulator did not start: {line}")

    def requests(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.root}/_emulator/requests", timeout=30) as response:
            result: list[dict[str, Any]] = json.loads(response.read())
            return result

    def control(self, path: str, body: Any) -> None:
        request = urllib.request.Request(
            f"{self.root}/_emulator/{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},  # the emulator's controls take only JSON
        )
        urllib.request.urlopen(request, timeout=30).close()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@contextmanager
def emulator(processing_time: float) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(processing_time)
    try:
        yield process
    finally:
        process.stop()


def home_env(home: Path, base_url: str = "http://127.0.0.1:9/v1") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "STT_"))}
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),  # the spool of stdin and of prepared audio
        AIML_API_BASE=base_url,
        AIML_API_KEY=KEY,
        PYTHONWARNINGS="ignore",  # speechmatics-python prints a deprecation warning on every start
    )
    return env


def timed(
    argv: Sequence[str], env: dict[str, str], cwd: Path | None = None, stderr: Path | None = None
) -> tuple[float, int, int]:
    """Wall time (s), exit code and peak RSS (KiB) of one run of a program (its stderr kept in `stderr`)."""
    started = time.perf_counter()
    with open(stderr or os.devnull, "wb") as err:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, usage.ru_maxrss


def median_time(argv: Sequence[str], env: dict[str, str], runs: int) -> float:
    timed(argv, env)  # warm the page cache
    times = []
    for _ in range(runs):
        elapsed, code, _ = timed(argv, env)
        if code != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {code}")
        times.append(elapsed)
    return statistics.median(times)


def write_wav(path: Path, seconds: float, tone: int = 0) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(bytes([tone % 256, 0]) * int(8000 * seconds))
    return path


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# --- 1. Start-up -----------------------------------------------------------------------------------------
PEERS = Path(__file__).resolve().parent / ".peers"  # a virtualenv of its own for the peer CLI


def peer_cli(install: bool = True) -> str | None:
    """Speechmatics' CLI, installed into bench/.peers on first use.

    It lives in a virtualenv of its own because it pulls in h2 and friends, which httpx then imports at
    start-up: installed next to stt, it would slow stt down and the comparison would be unfair to stt.
    """
    program = PEERS / "bin" / "speechmatics"
    if not program.exists() and install:
        print("  installing speechmatics-python into bench/.peers (once)", file=sys.stderr, flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
            subprocess.run([str(PEERS / "bin" / "pip"), "install", "-q", "speechmatics-python"], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"  could not install the peer: {exc}", file=sys.stderr)
            return None
    return str(program) if program.exists() else None


def bench_startup(quick: bool, work: Path) -> None:
    runs = 7 if quick else 21
    stt = str(BIN / "stt")
    with emulator(0.1) as emu:
        env = home_env(work / "startup", emu.base_url)
        created = subprocess.run([stt, "submit", "-"], input=b"RIFF" + bytes(1000), env=env, capture_output=True)
        job_id = created.stdout.decode().strip()
        floor = median_time([sys.executable, "-c", "pass"], env, runs)
        speechmatics = peer_cli(install=not quick)  # quick mode (CI) compares only if it is already there
        peer = median_time([speechmatics, "--help"], env, runs) if speechmatics else None
        peer_text = f"speechmatics --help {ms(peer)}" if peer else "speechmatics not installed"
        report("start-up", "python -c pass (the floor)", ms(floor))
        if peer:
            report("start-up", "speechmatics --help (the peer)", ms(peer))
        version = median_time([stt, "--version"], env, runs)
        report("start-up", "stt --version", ms(version), f"{version / floor:.1f}x the floor", "<= 4x floor",
               version <= 4 * floor)  # fmt: skip
        for argv in (["--help"], ["run", "--help"]):
            took = median_time([stt, *argv], env, runs)
            ratio = f"{took / peer:.2f}x" if peer else "n/a"
            report("start-up", f"stt {' '.join(argv)}", ms(took), f"{ratio} {peer_text}", "<= 0.7x peer",
                   None if peer is None else took <= 0.7 * peer)  # fmt: skip
        took = median_time([stt, "status", job_id], env, runs)
        ratio = f"{took / peer:.2f}x" if peer else "n/a"
        report("start-up", "stt status ID (emulator)", ms(took), f"{ratio} {peer_text}", "<= 1x peer",
               None if peer is None else took <= peer)  # fmt: skip


# --- 2. Upload -------------------------------------------------------------------------------------------
def bench_upload(quick: bool, work: Path) -> None:
    size = (64 if quick else 1024) * 1024 * 1024
    big = work / "big.wav"
    with big.open("wb") as handle:
        handle.write(b"RIFF")
        handle.truncate(size)  # sparse: no disk I/O to speak of, the read path is the same
    label = f"{size >> 20} MiB"
    with emulator(0.1) as emu:
        env = home_env(work / "upload", emu.base_url)
        curl = shutil.which("curl")
        curl_rate = None
        if curl:
            argv = [curl, "-sS", "-o", "/dev/null", "-H", f"Authorization: Bearer {KEY}", "-F",
                    "model=#g1_whisper-large", "-F", f"audio=@{big}", f"{emu.base_url}/stt/create"]  # fmt: skip
            took, code, rss = timed(argv, env)
            curl_rate = size / took / 1e6
            report("upload", f"curl -F audio=@ {label}", f"{curl_rate:.0f} MB/s", f"peak RSS {rss / 1024:.0f} MiB")
        took, code, rss = timed([str(BIN / "stt"), "submit", "--audio-prep", "off", str(big)], env)
        if code != 0:
            raise RuntimeError(f"stt submit exited {code}")
        rate = size / took / 1e6
        share = f"{rate / curl_rate:.2f}x curl" if curl_rate else "curl not installed"
        report("upload", f"stt submit {label}: throughput", f"{rate:.0f} MB/s", share, ">= 0.5x curl",
               None if curl_rate is None else rate >= 0.5 * curl_rate)  # fmt: skip
        report("upload", f"stt submit {label}: peak RSS", f"{rss / 1024:.0f} MiB", "", "< 60 MiB", rss / 1024 < 60)
        sizes = [r.get("size") for r in emu.requests() if r.get("kind") == "create"]
        assert all(s == size for s in sizes), f"the emulator did not receive every byte: {sizes}"
    big.unlink()
    bench_upload_not_media(quick, work)


def bench_upload_not_media(quick: bool, work: Path) -> None:
    """A file whose first bytes are no media, sent with the default --audio-prep: stt must see at once that
    there is nothing to prepare (no ffprobe) and read the file once, hashing it as it goes up."""
    size = 512 * 1024 * 1024  # quick mode too: on a smaller file the start-up of Python is most of the time
    rounds = 3 if quick else 5
    blob = work / "blob.bin"
    with blob.open("wb") as handle:
        handle.truncate(size)  # sparse zeros: no container starts so
    label = f"{size >> 20} MiB, not media, default --audio-prep"
    curl = shutil.which("curl")
    stt_times: list[float] = []
    curl_times: list[float] = []
    post_times: list[float] = []
    peak = 0
    with emulator(0.1) as emu:
        if curl:  # one untimed round each first: the first upload to a fresh emulator is slow whoever sends it
            subprocess.run([curl, "-sS", "-o", "/dev/null", "-H", f"Authorization: Bearer {KEY}", "-F",
                            "model=#g1_whisper-large", "-F", f"audio=@{blob}", f"{emu.base_url}/stt/create"],
                           env=home_env(work / "warm-curl", emu.base_url), check=False)  # fmt: skip
        subprocess.run([str(BIN / "stt"), "submit", str(blob)], env=home_env(work / "warm-stt", emu.base_url),
                       capture_output=True, check=False)  # fmt: skip
        for n in range(rounds):  # paired: curl and stt take turns on the same emulator
            if curl:
                argv = [curl, "-sS", "-o", "/dev/null", "-H", f"Authorization: Bearer {KEY}", "-F",
                        "model=#g1_whisper-large", "-F", f"audio=@{blob}", f"{emu.base_url}/stt/create"]  # fmt: skip
                curl_times.append(timed(argv, home_env(work / f"curl-{n}", emu.base_url))[0])
            env = home_env(work / f"blob-{n}", emu.base_url)  # a fresh ledger: nothing to reuse
            log = work / f"blob-{n}.log"  # -v: the create request's own time, without stt's start-up
            took, code, rss = timed([str(BIN / "stt"), "submit", "-v", str(blob)], env, stderr=log)
            if code != 0:
                raise RuntimeError(f"stt submit exited {code}")
            stt_times.append(took)
            peak = max(peak, rss)
            posted = re.search(r"POST \S+ -> 200 [^\n]* in ([0-9.]+) s", log.read_text())
            post_times += [float(posted.group(1))] if posted else []
        sizes = [r.get("size") for r in emu.requests() if r.get("kind") == "create"]
        assert all(s == size for s in sizes), f"the emulator did not receive every byte: {sizes}"
    blob.unlink()
    rate = size / statistics.median(stt_times) / 1e6
    if curl_times:
        curl_rate = size / statistics.median(curl_times) / 1e6
        report("upload", f"curl -F audio=@ {size >> 20} MiB (median of {rounds})", f"{curl_rate:.0f} MB/s")
        report("upload", f"stt submit {label}: throughput", f"{rate:.0f} MB/s", f"{rate / curl_rate:.2f}x curl",
               ">= 0.8x curl", rate >= 0.8 * curl_rate)  # fmt: skip
    else:
        report("upload", f"stt submit {label}: throughput", f"{rate:.0f} MB/s", "curl not installed", ">= 0.8x curl")
    report("upload", f"stt submit {label}: peak RSS", f"{peak / 1024:.0f} MiB", "", "< 60 MiB", peak / 1024 < 60)
    if post_times and curl_times:  # what is left of the gap is stt's start-up (Python, imports, the ledger)
        alone = size / statistics.median(post_times) / 1e6
        rest = statistics.median(stt_times) - statistics.median(post_times)
        report("upload", f"stt submit {size >> 20} MiB: the create request alone (-v)", f"{alone:.0f} MB/s",
               f"{alone / curl_rate:.2f}x curl; the rest of the run {rest:.2f} s")  # fmt: skip


# --- 3. Time to result -------------------------------------------------------------------------------
def poll_fixed(base_url: str, every: float) -> str:
    """The provider's example: create, then poll at once and every `every` seconds until done."""
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    body = json.dumps({"model": "#g1_whisper-large", "url": "https://example.com/a.mp3"}).encode()
    request = urllib.request.Request(f"{base_url}/stt/create", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        job_id: str = json.loads(response.read())["generation_id"]
    while True:
        poll = urllib.request.Request(f"{base_url}/stt/{job_id}", headers=headers)
        with urllib.request.urlopen(poll, timeout=30) as response:
            if json.loads(response.read())["status"] == "completed":
                return job_id
        time.sleep(every)


def bench_time_to_result(quick: bool, work: Path) -> None:
    lengths = (1.0, 2.0) if quick else (1.0, 5.0, 30.0, 120.0)
    repeats = {1.0: 5, 2.0: 3, 5.0: 5, 30.0: 3, 120.0: 2}
    schedules = ("stt", "fixed 5 s", "fixed 10 s")
    results: dict[tuple[str, float], list[tuple[float, int]]] = {}
    lock = threading.Lock()
    emulators = {length: EmulatorProcess(length) for length in lengths}
    try:

        def one(schedule: str, length: float, n: int) -> None:
            emu = emulators[length]
            if schedule == "stt":
                env = home_env(work / f"ttr-{length}-{n}", emu.base_url)
                source = write_wav(work / f"ttr-{length}-{n}.wav", 0.2, tone=n)
                # --audio-prep off: the job is found by the sha256 of the file's own bytes (the wait is measured)
                subprocess.run([str(BIN / "stt"), "run", str(source), "--audio-prep", "off"], env=env,
                               capture_output=True, check=True)  # fmt: skip
                log = emu.requests()
                digest = _sha(source)
                job_id = next(r["generation_id"] for r in log if r.get("sha256") == digest)
            else:
                job_id = poll_fixed(emu.base_url, float(schedule.split()[1]))
                log = emu.requests()
            done_at = time.time()
            created = next(r["time"] for r in log if r.get("generation_id") == job_id and r.get("kind") == "create")
            polls = sum(1 for r in log if r["method"] == "GET" and r.get("generation_id") == job_id)
            with lock:
                results.setdefault((schedule, length), []).append((done_at - (created + length), polls))

        threads = [
            threading.Thread(target=one, args=(schedule, length, n))
            for length in lengths
            for schedule in schedules
            for n in range(repeats[length])
        ]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        for thread in threads:
            thread.join()
    finally:
        for emu in emulators.values():
            emu.stop()
    for length in lengths:
        for schedule in schedules:
            runs = results[(schedule, length)]
            delay = statistics.median(d for d, _ in runs)
            polls = statistics.median(p for _, p in runs)
            if schedule == "stt":
                target = "< 0.5 s" if length <= 5 else f"< {0.1 * length:.0f} s (10%)"
                met = delay < 0.5 if length <= 5 else delay < 0.1 * length
                report("time to result", f"{length:.0f} s job, stt", f"{delay:.2f} s after completion",
                       f"{polls:.0f} polls", target, met)  # fmt: skip
            else:
                report("time to result", f"{length:.0f} s job, {schedule}", f"{delay:.2f} s after completion",
                       f"{polls:.0f} polls")  # fmt: skip
    schedule_checks()


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def schedule_checks() -> None:
    """The poll schedule itself, from the code: polls in the first 10 s and the first 2 minutes."""
    from stt_cli.core.defaults import DEFAULT_POLL_INTERVAL
    from stt_cli.core.waiting import poll_delays

    moments, t = [], 0.0
    for delay in poll_delays(DEFAULT_POLL_INTERVAL):
        t += delay
        if t > 120:
            break
        moments.append(t)
    first10 = sum(1 for m in moments if m <= 10)
    report("time to result", "stt polls in the first 10 s", str(first10), "", "<= 10", first10 <= 10)
    report("time to result", "stt polls in the first 2 min", str(len(moments)), "", "< 30", len(moments) < 30)
    # the delay a job sees when it ends at a random moment: half the gap it falls into, on average
    for low, high in ((0.5, 2), (2, 10), (10, 60), (60, 120)):
        gaps = [(b - a) for a, b in zip([0.0, *moments], moments, strict=False) if low <= b and a < high]
        typical = statistics.mean(g / 2 for g in gaps) if gaps else float("nan")
        report("time to result", f"stt mean delay, jobs ending {low:g}-{high:g} s", f"{typical:.2f} s")


# --- 4. Batch ----------------------------------------------------------------------------------------
def bench_batch(quick: bool, work: Path) -> None:
    plans = [(10, 0.5, 4), (10, 0.5, 1)] if quick else [(50, 2.0, 8), (12, 2.0, 4), (12, 2.0, 1)]
    took_by_plan: dict[tuple[int, float, int], float] = {}
    for count, length, concurrency in plans:
        folder = work / f"batch-{count}-{length}-{concurrency}"
        (folder / "in").mkdir(parents=True)
        (folder / "out").mkdir()
        for n in range(count):
            write_wav(folder / "in" / f"rec{n:03d}.wav", 0.2 + n / 100, tone=n)
        with emulator(length) as emu:
            env = home_env(folder, emu.base_url)
            argv = [str(BIN / "stt"), "run", "in", "--recursive", "--output-dir", "out", "--concurrency",
                    str(concurrency)]  # fmt: skip
            took, code, _ = timed(argv, env, cwd=folder)
            if code != 0:
                raise RuntimeError(f"the batch exited {code}")
        took_by_plan[(count, length, concurrency)] = took
        ideal = math.ceil(count / concurrency) * length
        name = f"{count} x {length:g} s jobs, concurrency {concurrency}"
        if concurrency == 1:
            report("batch", name, f"{took:.1f} s", f"ideal {ideal:.1f} s")
        else:
            report("batch", name, f"{took:.1f} s", f"ideal {ideal:.1f} s, {took / ideal:.2f}x", "<= 1.3x ideal",
                   took <= 1.3 * ideal)  # fmt: skip
    # the same sources run serially and at concurrency 4: how much of the serial time the batch takes
    for (count, length, concurrency), serial in took_by_plan.items():
        parallel = took_by_plan.get((count, length, 4))
        if concurrency == 1 and parallel is not None:
            report("batch", f"{count} x {length:g} s jobs: parallel / serial", f"{parallel / serial:.2f}", "",
                   "about 1/3 at 4")  # fmt: skip


# --- 5. Many tiny files: preparation must not cost more than it saves ------------------------------------
def bench_tiny(quick: bool, work: Path) -> None:
    """0.1 s WAVs (44.1 kHz stereo, 17.7 kB): FLAC would save a few kB, less than ffprobe and ffmpeg cost to
    start, so the default --audio-prep should take about as long as `off`. Paired: the two take turns."""
    count = 60 if quick else 300
    rounds = 1 if quick else 2
    folder = work / "tiny"
    (folder / "in").mkdir(parents=True)
    for n in range(count):
        with wave.open(str(folder / "in" / f"clip{n:03d}.wav"), "wb") as handle:
            handle.setnchannels(2)
            handle.setsampwidth(2)
            handle.setframerate(44100)
            handle.writeframes(n.to_bytes(2, "little") * 2 * 4410)  # distinct files: no job is reused
    times: dict[str, list[float]] = {"off": [], "default": []}
    with emulator(0.0) as emu:
        for n in range(rounds):
            for mode in times:
                home = folder / f"{mode}-{n}"  # a fresh ledger and output dir each time: nothing reused
                env = home_env(home, emu.base_url)
                argv = [str(BIN / "stt"), "run", str(folder / "in"), "--recursive", "--output-dir",
                        str(home / "out"), *(["--audio-prep", "off"] if mode == "off" else [])]  # fmt: skip
                took, code, _ = timed(argv, env)
                if code != 0:
                    raise RuntimeError(f"the batch of tiny files exited {code}")
                times[mode].append(took)
    off, default = statistics.median(times["off"]), statistics.median(times["default"])
    report("tiny files", f"{count} WAVs of 0.1 s, --audio-prep off", f"{off:.1f} s")
    report("tiny files", f"{count} WAVs of 0.1 s, default (lossless)", f"{default:.1f} s",
           f"{default / off:.2f}x off", "<= 1.2x off", default <= 1.2 * off)  # fmt: skip


# --- 6. Rendering ----------------------------------------------------------------------------------------
def long_payload(words: int, hours: float) -> dict[str, Any]:
    from subtitles import conversation  # bench/subtitles.py: the same generator as the quality benchmark

    payload = conversation(7, words / 100, 3)  # at least 100 words a minute: enough words, then cut
    alternative = payload["results"]["channels"][0]["alternatives"][0]
    kept = alternative["words"][:words]
    scale = hours * 3600 / kept[-1]["end"]
    for word in kept:
        word["start"] = round(word["start"] * scale, 3)
        word["end"] = round(word["end"] * scale, 3)
    alternative["words"] = kept
    alternative["transcript"] = " ".join(w["punctuated_word"] for w in kept)
    payload["metadata"]["duration"] = hours * 3600
    return payload


def bench_render(quick: bool, work: Path) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.formats.render import render

    words, hours = (3000, 0.3) if quick else (30000, 3.0)
    payload = long_payload(words, hours)
    assert len(payload["results"]["channels"][0]["alternatives"][0]["words"]) == words
    for fmt in ("text", "srt", "vtt"):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            render(payload, fmt)
            times.append(time.perf_counter() - started)
        took = statistics.median(times)
        report("rendering", f"{words:,} words, {hours:g} h, diarized -> {fmt}", ms(took), "", "< 200 ms", took < 0.2)
    home = work / "render"
    env = home_env(home)  # a base URL where nothing listens: any network call would fail the run
    os.environ["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]
    with Ledger() as ledger:
        ledger.add("bench-job", "127.0.0.1:9", "bench.wav", "#g1_whisper-large", {}, 1, "0" * 64)
        ledger.update("bench-job", "127.0.0.1:9", status="completed", result=payload)
    took = median_time([str(BIN / "stt"), "fetch", "bench-job", "-f", "srt"], env, 5)
    report("rendering", "stt fetch ID -f srt from the ledger", ms(took), "no network", "< 500 ms", took < 0.5)


BENCHES: dict[str, Callable[[bool, Path], None]] = {
    "startup": bench_startup,
    "upload": bench_upload,
    "ttr": bench_time_to_result,
    "batch": bench_batch,
    "tiny": bench_tiny,
    "render": bench_render,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    if info.exists():
        names = [
            line.split(":", 1)[1].strip() for line in info.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return f"Python {platform.python_version()}, {os.cpu_count()} cores, {cpu}, {time.strftime('%Y-%m-%d')}"


def verdict(rows: list[Row]) -> str:
    """The last line: targets met, missed, and those not compared (a peer missing, say): never "every target
    met" while a comparison was skipped."""
    missed = sum(1 for row in rows if row.target and row.met is False)
    skipped = sum(1 for row in rows if row.target and row.met is None)
    met = sum(1 for row in rows if row.target and row.met)
    parts = [f"{met} target(s) met", f"{missed} missed"] + ([f"{skipped} not compared (n/a)"] if skipped else [])
    return ", ".join(parts)


def table() -> str:
    lines = [
        "| benchmark | measured | next to | target | met |",
        "|---|---|---|---|---|",
    ]
    for row in ROWS:
        met = ("n/a" if row.target else "") if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.group}: {row.name} | {row.value} | {row.peer} | {row.target} | {met} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and short jobs (for CI)")
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated: " + " ".join(BENCHES))
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="stt-bench-") as tmp:
        for name in chosen:
            print(f"{name}:", file=sys.stderr, flush=True)
            BENCHES[name](args.quick, Path(tmp))
    print(f"stt-cli benchmarks{' (quick)' if args.quick else ''}: {machine()}\n")
    print(table())
    if args.json:
        Path(args.json).write_text(json.dumps([row.__dict__ for row in ROWS], indent=2))
    print("\n" + verdict(ROWS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
