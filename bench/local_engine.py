"""The emulator's local engine (pocketsphinx, stt's local extra) measured: the words it hears, its speed on one
core, its memory, and how fast the emulator answers other clients while it decodes. Reported, not asserted.

    pip install ".[local,bench]" && python bench/local_engine.py     # about 5 minutes on 2 cores
    python bench/local_engine.py --quick                            # shorter inputs, for CI (under a minute)

- word error rate of each real clip in tests/data/speech (or STT_SPEECH_DIR), and pooled over the LibriVox
  clips, from `stt emulator --engine pocketsphinx` on loopback;
- real-time factor on one core: a worker process pinned to one core decodes each clip and a longer reading
  made of them (CPU seconds over audio seconds; the reading's word error rate too), its model's load time
  and its peak resident memory;
- ten clients submit a shorter reading at once, then ask for their job's status every 50 ms until it is done
  (each on a connection it keeps, as stt does): how long each status answer took while the jobs decoded, and
  the emulator's and its workers' peak memory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import ROWS, EmulatorProcess, machine, report, table, verdict  # noqa: E402

from stt_cli.emulator.workers import WORKER  # noqa: E402

CLIENTS = 10
POLL_EVERY = 0.05  # s between one client's status requests
ANSWER_TARGET = 0.1  # s: a status answer while jobs decode


def speech_dir() -> Path:
    if os.environ.get("STT_SPEECH_DIR"):
        return Path(os.environ["STT_SPEECH_DIR"])
    kept = HERE.parent / "tests" / "data" / "speech"  # a copy of ../shared/speech, with its note
    if not (kept / "goforward.wav").is_file():
        raise SystemExit("no clips: set STT_SPEECH_DIR to a folder of WAVs with .ref files (see tests/data/speech)")
    return kept


def errors(expected: list[str], heard: list[str]) -> int:
    """Word-level edit distance: substitutions, insertions and deletions."""
    row = list(range(len(heard) + 1))
    for i, word in enumerate(expected, 1):
        diagonal, row[0] = row[0], i
        for j, other in enumerate(heard, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (word != other))
    return row[-1]


def seconds_of(path: Path) -> float:
    with wave.open(str(path)) as handle:
        return handle.getnframes() / handle.getframerate()


def reading(clips: list[Path], seconds: float, path: Path) -> list[str]:
    """The clips one after another, with a second of quiet between them, again and again to `seconds`,
    written to `path`: a longer reading of real speech (16 kHz mono, as the clips are). Its words."""
    said: list[str] = []
    pieces = []
    for clip in clips:
        with wave.open(str(clip)) as handle:
            pieces.append(handle.readframes(handle.getnframes()))
    quiet = bytes(16000 * 2)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        written = 0.0
        while written < seconds:
            for clip, piece in zip(clips, pieces, strict=True):
                out.writeframes(piece + quiet)
                written += len(piece + quiet) / 32000
                said += clip.with_suffix(".ref").read_text(encoding="utf-8").split()
    return said


# --- the emulator over HTTP ----------------------------------------------------------------------------
def create(base_url: str, path: Path, model: str = "nova-3") -> str:
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n{model}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{path.name}"\r\n\r\n'
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Authorization": "Bearer k", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(f"{base_url}/stt/create", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        job_id: str = json.loads(answer.read())["generation_id"]
        return job_id


def poll(base_url: str, job_id: str, connection: http.client.HTTPConnection | None = None) -> dict[str, Any]:
    """A job's status answer; on `connection` (kept open, as stt's client keeps its own) when given."""
    if connection is not None:
        connection.request("GET", f"/v1/stt/{job_id}", headers={"Authorization": "Bearer k"})
        answer = connection.getresponse()
        kept: dict[str, Any] = json.loads(answer.read())
        return kept
    request = urllib.request.Request(f"{base_url}/stt/{job_id}", headers={"Authorization": "Bearer k"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def finished(base_url: str, job_id: str) -> dict[str, Any]:
    while (answer := poll(base_url, job_id))["status"] in ("waiting", "active"):
        time.sleep(0.1)
    return answer


def peak_kib(pid: int) -> int:
    """A process's peak resident memory (VmHWM), in KiB; 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0"))


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(n) for n in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


# --- the benchmarks ------------------------------------------------------------------------------------
def bench_words(clips: list[Path]) -> None:
    emulator = EmulatorProcess(0, "--engine", "pocketsphinx")
    try:
        jobs = {clip: create(emulator.base_url, clip) for clip in clips}
        total = wrong = 0
        for clip, job_id in jobs.items():
            answer = finished(emulator.base_url, job_id)
            heard = [w["word"] for w in answer["result"]["results"]["channels"][0]["alternatives"][0]["words"]]
            expected = clip.with_suffix(".ref").read_text(encoding="utf-8").split()
            wrong_here = errors(expected, heard)
            if clip.name.startswith("librivox"):
                total += len(expected)
                wrong += wrong_here
            exact = clip.name == "goforward.wav"
            report(
                "words", f"{clip.stem} ({len(expected)} words)", f"WER {wrong_here / len(expected):.2f}",
                target="exact" if exact else "", met=(wrong_here == 0) if exact else None,
            )  # fmt: skip
        pooled = wrong / total
        report("words", f"LibriVox pooled ({total} words)", f"WER {pooled:.3f}", target="<= 0.35", met=pooled <= 0.35)
    finally:
        emulator.stop()


class PinnedWorker:
    """A worker process of the engine, on one core."""

    def __init__(self) -> None:
        started = time.monotonic()
        self.proc = subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(self.proc.pid, {sorted(os.sched_getaffinity(0))[0]})
        assert self.proc.stdout is not None
        assert "ready" in json.loads(self.proc.stdout.readline())
        self.load = time.monotonic() - started

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def decode(self, path: Path) -> tuple[float, float, list[str]]:
        """(CPU seconds, wall seconds, the words heard) of one input."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        before, started = self.cpu(), time.monotonic()
        self.proc.stdin.write(json.dumps({"path": str(path), "channels": 0, "max_seconds": 7200}) + "\n")
        while "progress" in (answer := json.loads(self.proc.stdout.readline())):
            pass
        return self.cpu() - before, time.monotonic() - started, [w[0] for w in answer["words"][0]]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def bench_speed(clips: list[Path], long: Path, said: list[str]) -> None:
    worker = PinnedWorker()
    try:
        report("one core", "worker start and model load", f"{worker.load:.2f} s")
        cpu = wall = audio = 0.0
        for clip in clips:
            used, took, _ = worker.decode(clip)
            cpu, wall, audio = cpu + used, wall + took, audio + seconds_of(clip)
        shown = f"RTF {cpu / audio:.2f} CPU, {wall / audio:.2f} wall"
        report("one core", f"the {len(clips)} clips ({audio:.0f} s)", shown, target="<= 0.5", met=cpu / audio <= 0.5)
        used, took, words = worker.decode(long)
        length = seconds_of(long)
        shown = f"RTF {used / length:.2f} CPU, {took / length:.2f} wall; WER {errors(said, words) / len(said):.3f}"
        name = f"a {length / 60:.0f} min reading" if length >= 120 else f"a {length:.0f} s reading"
        name += f" ({len(said)} words)"
        report("one core", name, shown, target="<= 0.5", met=used / length <= 0.5)
        report("one core", "worker peak RSS", f"{peak_kib(worker.proc.pid) / 1024:.0f} MiB", target="< 400 MiB",
               met=peak_kib(worker.proc.pid) < 400 * 1024)  # fmt: skip
    finally:
        worker.stop()


def bench_clients(long: Path, work: Path) -> None:
    emulator = EmulatorProcess(0, "--engine", "pocketsphinx")
    latencies: list[float] = []
    creates: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    go = threading.Barrier(CLIENTS)
    inputs = []
    for n in range(CLIENTS):
        copy = work / f"client-{n}.wav"
        copy.write_bytes(long.read_bytes())
        inputs.append(copy)

    def client(path: Path) -> None:
        try:
            go.wait(timeout=60)
            started = time.monotonic()
            job_id = create(emulator.base_url, path)
            with lock:
                creates.append(time.monotonic() - started)
            connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=60)
            while True:
                asked = time.monotonic()
                status = poll(emulator.base_url, job_id, connection)["status"]
                took = time.monotonic() - asked
                if status not in ("waiting", "active"):
                    return
                with lock:
                    latencies.append(took)
                time.sleep(POLL_EVERY)
        except BaseException as exc:
            failures.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(path,)) for path in inputs]
    for thread in threads:
        thread.start()
    peak_workers = 0
    while any(thread.is_alive() for thread in threads):
        peak_workers = max([peak_workers, *(peak_kib(pid) for pid in children(emulator.proc.pid))])
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    emulator_peak = peak_kib(emulator.proc.pid)
    emulator.stop()
    if failures:
        raise failures[0]
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    name = f"{CLIENTS} clients x {seconds_of(long):.0f} s"
    report("while decoding", f"{name}: all done", f"{elapsed:.1f} s", f"{len(latencies)} status answers")
    report("while decoding", "create (upload) answered in", f"median {statistics.median(creates) * 1000:.0f} ms, "
           f"max {max(creates) * 1000:.0f} ms")  # fmt: skip
    report("while decoding", "status answered in", f"median {statistics.median(latencies) * 1000:.1f} ms, "
           f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms", target="<= 100 ms",
           met=latencies[-1] <= ANSWER_TARGET)  # fmt: skip
    report("while decoding", "peak RSS", f"emulator {emulator_peak / 1024:.0f} MiB, "
           f"each worker {peak_workers / 1024:.0f} MiB at most")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter inputs (for CI)")
    args = parser.parse_args()
    try:
        import pocketsphinx  # noqa: F401 - only to say what is missing before anything starts
    except ImportError:
        print('the local extra is not installed: pip install ".[local]"; nothing measured', file=sys.stderr)
        return 0
    clips = sorted(speech_dir().glob("*.wav"))
    with tempfile.TemporaryDirectory(prefix="stt-bench-local-") as tmp:
        work = Path(tmp)
        long, short = work / "reading.wav", work / "short-reading.wav"
        said = reading(clips, 15 if args.quick else 600, long)
        reading(clips[:2] if args.quick else clips, 8 if args.quick else 60, short)
        print("words:", file=sys.stderr, flush=True)
        bench_words(clips)
        print("speed on one core:", file=sys.stderr, flush=True)
        bench_speed(clips, long, said)
        print("ten clients:", file=sys.stderr, flush=True)
        bench_clients(short, work)
    print(f"the local engine{' (quick)' if args.quick else ''}: {machine()}\n")
    print(table())
    print("\n" + verdict(ROWS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
