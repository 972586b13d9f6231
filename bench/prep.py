"""Audio preparation: bytes sent and time from start to transcript for each --audio-prep, on a limited uplink.

    python bench/prep.py                 # 30-minute inputs, --bandwidth 5M (about 15 minutes, inputs cached)
    python bench/prep.py --quick         # 30-second inputs (for CI, under a minute)
    python bench/prep.py --minutes 10 --bandwidth 2M

The inputs are generated once into bench/.inputs (espeak-ng speech looped to length; ffmpeg for the
containers): a 720p mp4 (H.264 2 Mbit/s, AAC 128 kbit/s), a 44.1 kHz stereo WAV and a 128 kbit/s mp3. Each
is sent by `stt run` with --audio-prep lossless, compact and off to `stt emulator --bandwidth`, in its own
process, and `curl -F` uploads the original as the as-is floor. Bytes are what the emulator received; the
ideal time to the job's id is bytes / bandwidth plus the fixed cost of a create (`stt run` of a 1 s file on the
same emulator, start to job id); the transcript comes one poll later. Preparation is also timed alone, as a
share of the audio's length. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BIN, KEY, EmulatorProcess, home_env, machine, timed

INPUTS = Path(__file__).resolve().parent / ".inputs"
MODES = ("lossless", "compact", "off")
TEXT = (
    "Good morning, and welcome to the quarterly review. Today we will look at the numbers for the last three "
    "months, the plans for the next quarter, and the questions you sent in before the meeting. First, sales "
    "grew by eleven percent, mostly in the northern region, where two new stores opened in August. Costs rose "
    "less than expected, because the new warehouse started early. Second, the support team answered nine "
    "thousand tickets, and the average wait fell from four hours to ninety minutes. Third, we will hire six "
    "engineers and two designers before the end of the year. Thank you, and now for your questions."
)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True)


def make_inputs(seconds: int, quick: bool) -> dict[str, Path]:
    """The three inputs of this length, made once and kept in bench/.inputs."""
    folder = INPUTS / f"{seconds}s"
    folder.mkdir(parents=True, exist_ok=True)
    speech = folder / "speech.wav"
    if not speech.exists():
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(speech), TEXT], check=True)
    wav, mp3, mp4 = folder / "talk.wav", folder / "talk.mp3", folder / "screen.mp4"
    loop = ["-stream_loop", "-1", "-i", str(speech), "-t", str(seconds)]
    if not wav.exists():
        print(f"  making {wav.name}", file=sys.stderr, flush=True)
        ffmpeg(*loop, "-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le", str(wav))
    if not mp3.exists():
        print(f"  making {mp3.name}", file=sys.stderr, flush=True)
        ffmpeg("-i", str(wav), "-c:a", "libmp3lame", "-b:a", "128k", str(mp3))
    if not mp4.exists():
        size = "320x180" if quick else "1280x720"
        print(f"  making {mp4.name} ({size}; this takes a few minutes at full length)", file=sys.stderr, flush=True)
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30", "-i", str(wav), "-t", str(seconds),
               "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-maxrate", "2M", "-bufsize", "4M",
               "-c:a", "aac", "-b:a", "128k", "-shortest", str(mp4))  # fmt: skip
    return {"mp4 (720p)": mp4, "WAV 44.1 kHz stereo": wav, "mp3 128 kbit/s": mp3}


def received(emu: EmulatorProcess) -> int:
    sizes = [r.get("size") or 0 for r in emu.requests() if r.get("kind") == "create"]
    return int(sizes[-1]) if sizes else 0


def stt_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds until the job was created (its id on stderr) and until the transcript was written."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    created = None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if created is None and line.startswith("job ") and " created for " in line:
            created = time.perf_counter() - started
    code = proc.wait()
    total = time.perf_counter() - started
    if code != 0 or created is None:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {''.join(lines)[-500:]}")
    return created, total


def prep_seconds(source: Path, mode: str) -> float:
    """The preparation alone, made as the upload makes it (no network), in this process."""
    from stt_cli.api.uploads import BodyRestart
    from stt_cli.core.media import upload

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["STT_CACHE_DIR"] = cache  # the conversion's temp file, made in the spool dir, in here
        with upload.sending(source, source.name, mode, False, lambda _note: None) as sent:
            if sent.live is not None:
                try:
                    for _ in sent.live.chunks():
                        pass
                except BodyRestart:
                    pass
    return time.perf_counter() - started


def megabytes(count: int) -> str:
    return f"{count / 1e6:,.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="30-second inputs")
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the inputs (default 30)")
    parser.add_argument("--bandwidth", default="5M", help="the emulator's --bandwidth (default 5M: 5 MB/s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each prepared mode, the median shown")
    args = parser.parse_args()
    for tool in ("ffmpeg", "ffprobe", "espeak-ng"):
        if shutil.which(tool) is None:
            print(f"bench/prep.py needs {tool} on PATH", file=sys.stderr)
            return 0  # reported, not failed: the other benchmarks still run in CI
    seconds = 30 if args.quick else int(args.minutes * 60)
    from stt_cli.emulator.launch import parse_bandwidth

    rate = parse_bandwidth(args.bandwidth)
    inputs = make_inputs(seconds, args.quick)
    rows = []
    with tempfile.TemporaryDirectory(prefix="stt-bench-prep-") as tmp:
        work = Path(tmp)
        emu = EmulatorProcess(0.0, "--bandwidth", args.bandwidth)
        try:
            tiny = work / "tiny.mp3"
            ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libmp3lame", str(tiny))
            fixed = min(run_once(work / f"fixed{n}", emu, tiny, "off")[0] for n in range(3))
            for label, source in inputs.items():
                env = home_env(work / f"curl-{source.name}", emu.base_url)
                argv = ["curl", "-sS", "-o", "/dev/null", "-H", f"Authorization: Bearer {KEY}", "-F",
                        "model=#g1_whisper-large", "-F", f"audio=@{source}", f"{emu.base_url}/stt/create"]  # fmt: skip
                took, _, _ = timed(argv, env)
                rows.append(Row(label, "curl -F (as is)", received(emu), took, took))
                print(f"  {label}: curl {took:.1f} s", file=sys.stderr, flush=True)
                for mode in MODES:
                    runs = [run_once(work / f"{mode}{n}-{source.name}", emu, source, mode)
                            for n in range(1 if mode == "off" else args.repeat)]  # fmt: skip
                    created = statistics.median(r[0] for r in runs)
                    total = statistics.median(r[1] for r in runs)
                    sent = received(emu)
                    prep = (
                        statistics.median(prep_seconds(source, mode) for _ in range(args.repeat))
                        if mode != "off"
                        else None
                    )
                    rows.append(Row(label, mode, sent, created, total, sent / rate + fixed, prep))
                    print(f"  {label}: {mode} {megabytes(sent)}, job in {created:.1f} s, transcript in {total:.1f} s"
                          f" (prep alone {prep or 0:.1f} s)", file=sys.stderr, flush=True)  # fmt: skip
        finally:
            emu.stop()
    minutes = seconds / 60
    print(f"audio preparation, {minutes:g}-minute inputs, `stt emulator --bandwidth {args.bandwidth}`: {machine()}")
    print(f"fixed cost of a create (`stt run` of a 1 s mp3, start to job id): {fixed:.2f} s\n")
    print(f"lossless and compact: medians of {args.repeat} runs; off and curl: one run\n")
    print("| input | sent as | bytes sent | vs off | job created | ideal | ratio | transcript | preparation alone |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        off = next(r.sent for r in rows if r.label == row.label and r.mode == "off")
        fewer = f"{off / row.sent:.1f}x fewer" if row.mode in ("lossless", "compact") and row.sent else ""
        ideal = f"{row.ideal:.1f} s" if row.ideal is not None else ""
        ratio = f"{row.created / row.ideal:.2f}" if row.ideal else ""
        prep = "" if row.prep is None else f"{row.prep:.1f} s ({row.prep / seconds:.1%} of the audio)"
        cells = [row.label, row.mode, megabytes(row.sent), fewer, f"{row.created:.1f} s", ideal, ratio,
                 f"{row.total:.1f} s", prep]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    return 0


class Row(NamedTuple):
    label: str
    mode: str
    sent: int
    created: float  # s from start to the job's id (curl: to its answer)
    total: float  # s from start to the transcript written
    ideal: float | None = None  # bytes / bandwidth + the fixed cost of a create
    prep: float | None = None  # s of the preparation alone


def run_once(home: Path, emu: EmulatorProcess, source: Path, mode: str) -> tuple[float, float]:
    """`stt run` of one source with a fresh ledger (nothing is reused) and cache."""
    home.mkdir()
    env = home_env(home, emu.base_url)
    return stt_run([str(BIN / "stt"), "run", str(source), "--audio-prep", mode, "-o", str(home / "out.txt")], env)


if __name__ == "__main__":
    raise SystemExit(main())
