"""ffmpeg and ffprobe as processes: found on PATH, fed only local files and real media demuxers, every run
registered so a cancelled batch stops them all, and the Conversion that makes the audio sent of a source.

What ffmpeg is given is bounded as carefully as what the server sends: the file goes in as a `file:` URL
(a name is never read as a protocol or an option), only local files may be opened and only the demuxers of
real media are allowed (a playlist cannot make ffmpeg read other files or hosts), and every run has a deadline.

FLAC is produced while it is sent: ffmpeg writes to a pipe, each piece goes on the wire and into a private
file in stt's cache dir (a retry sends that file). A piped FLAC header cannot be rewritten at the end, so
stt writes the sample count it expects into it, checks it against ffmpeg's own count once the stream ends
and, on a mismatch, stops the body before its last byte (the server makes no job) and sends the corrected
file instead.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

from stt_cli.api.uploads import BodyRestart
from stt_cli.api.wire import sanitize
from stt_cli.core.files import sweep_temp_files
from stt_cli.core.media.policy import Plan
from stt_cli.errors import Interrupted, local_failure

PREP_PREFIX = "prep-"  # temp files in the spool dir: .prep-audio.stt-PID-XXXX.tmp

# Demuxers of real audio and video containers: nothing that reads a list of other files or URLs.
DEMUXERS = (
    "wav,w64,aiff,caf,au,flac,mp3,ogg,matroska,webm,mov,mp4,m4a,aac,ac3,eac3,amr,asf,avi,mpegts,mpeg,wv,ape,"
    "tta,dts,truehd,flv,mpegvideo,mlp,mp2,wsaud,xwma,voc,sox,dsf,iff,rm,nut,ircam,sds,alaw,mulaw"
)
STDERR_SHOWN = 300  # characters of a tool's complaint shown
PIPE_CHUNK = 256 * 1024
STALL_SECONDS = 60.0  # s without a byte from ffmpeg: it is stuck on this file


class Tools(NamedTuple):
    ffmpeg: str
    ffprobe: str


class Unreadable(Exception):
    """ffprobe or ffmpeg could not read the source (it is then sent as it is)."""


_CHILDREN: set[subprocess.Popen[bytes]] = set()  # the ffprobe and ffmpeg runs in flight, in any thread
_CHILDREN_LOCK = threading.Lock()


def track(process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
    """A run of ffprobe or ffmpeg just started, registered until `untrack` (stop_all kills what is registered)."""
    with _CHILDREN_LOCK:
        _CHILDREN.add(process)
    return process


def untrack(process: subprocess.Popen[bytes]) -> None:
    with _CHILDREN_LOCK:
        _CHILDREN.discard(process)


_STOPPING = threading.Event()  # set by stop_all: a failure from here on is the cancel, not the file's


def stopping() -> bool:
    return _STOPPING.is_set()


def new_run() -> None:
    """A run starts (one process may hold several, as tests do): nothing is being stopped."""
    _STOPPING.clear()


def stop_all() -> None:
    """Every ffprobe and ffmpeg of this process stopped (a cancelled batch, or the process's end): none is left
    running after stt, whichever thread started it."""
    _STOPPING.set()
    with _CHILDREN_LOCK:
        running = list(_CHILDREN)
    for process in running:
        with contextlib.suppress(OSError):
            if process.poll() is None:
                process.kill()


atexit.register(stop_all)


def find_tools() -> Tools | None:
    """ffmpeg and ffprobe from PATH (both are needed), or None."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg is None or ffprobe is None:
        return None
    return Tools(ffmpeg, ffprobe)


ENABLE_HINT = "install ffmpeg (apt install ffmpeg, brew install ffmpeg) to send only the audio"


def input_args(path: Path) -> list[str]:
    """The input of a run: the file as a `file:` URL, local files and media demuxers only."""
    return ["-protocol_whitelist", "file", "-format_whitelist", DEMUXERS, "-i", f"file:{path.resolve()}"]


def complaint(stderr: IO[bytes]) -> str:
    """The last line a tool wrote on its stderr, made safe to show."""

    stderr.seek(0)
    lines = [line for line in stderr.read(16 * 1024).decode("utf-8", "replace").splitlines() if line.strip()]
    return sanitize(lines[-1], STDERR_SHOWN) if lines else "no reason given"


# --- Making it -------------------------------------------------------------------------------------------
def _output_args(plan: Plan) -> list[str]:
    # No metadata, no encoder string: the same source makes the same bytes, so a create sent again is the same.
    # FLAC has no start time: its timestamps start at 0, so ffmpeg's count (out_time) is that of its samples.
    restart = ["-af", "asetpts=PTS-STARTPTS"] if plan.action == "flac" else []
    return [*plan.args, *restart, "-vn", "-sn", "-dn", "-map_metadata", "-1", "-bitexact", "-f", plan.muxer]


def patch_flac_samples(head: bytearray, samples: int) -> bool:
    """Write the total sample count into a FLAC STREAMINFO header in place; False if `head` is not one."""
    if len(head) < 42 or head[:4] != b"fLaC" or head[4] & 0x7F != 0 or samples >= 1 << 36:
        return False
    field = int.from_bytes(head[18:26], "big")
    field = (field & ~((1 << 36) - 1)) | samples
    head[18:26] = field.to_bytes(8, "big")
    return True


def _samples_made(stderr: IO[bytes], rate: int) -> int | None:
    """The sample count ffmpeg reports it wrote (its last `out_time_us=` line of -progress)."""
    stderr.seek(0, os.SEEK_END)
    end = stderr.tell()
    stderr.seek(max(0, end - 4096))
    tail = stderr.read().decode("ascii", "replace")
    values = [line.split("=", 1)[1] for line in tail.splitlines() if line.startswith("out_time_us=")]
    if not values or not values[-1].strip().isdigit():
        return None
    return round(int(values[-1]) * rate / 1_000_000)


class Conversion:
    """The prepared audio of one source, in a private temp file of stt's cache dir, removed on exit.

    `chunks()` makes it while it is sent (the first try of a FLAC plan); `complete()` makes it whole, or
    finishes it, for a plan that cannot stream and for every retry.
    """

    def __init__(self, source: Path, plan: Plan, tools: Tools, directory: Path) -> None:
        self.source = source
        self.plan = plan
        self.tools = tools
        self.directory = directory
        self.path: Path | None = None
        self.whole = False
        self.seconds = 0.0  # spent making it (for the benchmark and -v)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Conversion:
        return self.open()

    def open(self) -> Conversion:
        """Its temp file made (UsageError: no room or no rights in the cache dir); `close()` removes it."""

        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            sweep_temp_files(self.directory)
            fd, name = tempfile.mkstemp(
                dir=self.directory, prefix=f".{PREP_PREFIX}audio.stt-{os.getpid()}-", suffix=".tmp"
            )
        except OSError as exc:
            raise local_failure(exc, f"prepare the audio in {self.directory}") from None
        os.close(fd)
        self.path = Path(name)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """ffmpeg stopped if it still runs, the temp file removed."""
        self._stop()
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()

    @property
    def size(self) -> int:
        assert self.path is not None
        return self.path.stat().st_size

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            process.wait()
            untrack(process)
            if process.stdout is not None:
                process.stdout.close()

    def _command(self, target: str) -> list[str]:
        return [self.tools.ffmpeg, "-nostdin", "-v", "error", "-hide_banner", "-y", *input_args(self.source),
                *_output_args(self.plan), "-progress", "pipe:2", target]  # fmt: skip

    def _failed(self, err: IO[bytes]) -> Unreadable:
        return Unreadable(f"ffmpeg could not prepare it: {complaint(err)}")

    def complete(self) -> Path:
        """The whole prepared file, made now if it was not (a seekable file: ffmpeg writes its own header)."""
        assert self.path is not None
        if self.whole:
            return self.path
        self._stop()
        started = time.monotonic()
        with tempfile.TemporaryFile() as err:
            try:
                process = track(subprocess.Popen(self._command(f"file:{self.path}"), stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=err))  # fmt: skip
            except OSError as exc:
                raise Unreadable(f"ffmpeg could not start ({exc.strerror})") from None
            self._process = process
            deadline = STALL_SECONDS + 2 * (self.plan.duration or 0)  # normally 1-2% of the audio's length
            try:
                code = process.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                self._stop()
                raise Unreadable(f"ffmpeg took over {deadline:.0f} s to prepare it") from None
            except KeyboardInterrupt:
                self._stop()
                raise Interrupted(f"interrupted while preparing {self.source.name}; no job was created") from None
            self._process = None
            untrack(process)
            if code != 0:
                raise self._failed(err)
        self.seconds += time.monotonic() - started
        if self.size == 0:
            raise Unreadable("ffmpeg made no audio of it")
        self.whole = True
        return self.path

    def chunks(self) -> Iterator[bytes]:
        """The FLAC as ffmpeg makes it, each piece also kept in the temp file; its header completed by stt.

        Raises BodyRestart before the last piece when ffmpeg's own count of samples differs from the header's:
        the temp file is then corrected and whole, and the caller sends it instead.
        """
        assert self.path is not None and self.plan.samples is not None
        started = time.monotonic()
        with tempfile.TemporaryFile() as err, self._keep() as keep:
            try:
                process = track(subprocess.Popen(self._command("pipe:1"), stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.PIPE, stderr=err))  # fmt: skip
            except OSError as exc:
                raise Unreadable(f"ffmpeg could not start ({exc.strerror})") from None
            self._process = process
            assert process.stdout is not None
            head = bytearray()
            patched = False
            pending: bytes | None = None
            while chunk := self._read(process):
                if not patched:
                    head += chunk
                    if len(head) < 42:
                        continue
                    if not patch_flac_samples(head, self.plan.samples):
                        self._stop()
                        raise Unreadable("ffmpeg's FLAC did not start with a FLAC header")
                    chunk, patched = bytes(head), True
                try:
                    if keep.write(chunk) != len(chunk):
                        raise OSError(28, "No space left on device")
                except OSError as exc:  # a full disk, say: the caller sends the source as it is instead
                    self._stop()
                    where = self.directory
                    raise Unreadable(f"the prepared audio could not be kept in {where}: {exc.strerror}") from None
                if pending is not None:
                    yield pending
                pending = chunk
            code = process.wait()
            self._process = None
            untrack(process)
            process.stdout.close()
            if code != 0 or pending is None:
                raise self._failed(err)
            made = _samples_made(err, self.plan.rate)
            self.seconds += time.monotonic() - started
        if made is not None and made != self.plan.samples:
            self._correct_header(made)
            self.whole = True
            raise BodyRestart(f"the FLAC holds {made} samples, not {self.plan.samples}")
        self.whole = True
        yield pending

    @contextlib.contextmanager
    def _keep(self) -> Iterator[IO[bytes]]:
        """The temp file, unbuffered: a full disk shows at the write that hits it, never at the close."""
        assert self.path is not None
        try:
            handle = self.path.open("wb", buffering=0)
        except OSError as exc:
            raise Unreadable(f"the prepared audio could not be kept in {self.directory}: {exc.strerror}") from None
        with handle:
            yield handle

    def _read(self, process: subprocess.Popen[bytes]) -> bytes:
        """The next piece ffmpeg wrote (b"" at its end); a stall of STALL_SECONDS is a failure, not a hang.
        Only the wait for ffmpeg counts: the time the piece spends on the wire is the caller's."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], STALL_SECONDS)
        if not ready:
            self._stop()
            raise Unreadable(f"ffmpeg wrote nothing for {STALL_SECONDS:.0f} s")
        return os.read(fd, PIPE_CHUNK)

    def _correct_header(self, samples: int) -> None:
        assert self.path is not None
        with self.path.open("r+b") as handle:
            head = bytearray(handle.read(42))
            if patch_flac_samples(head, samples):
                handle.seek(0)
                handle.write(head)
