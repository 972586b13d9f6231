"""Audio preparation: a local source probed with ffprobe, and only its speech sent, made by ffmpeg.

The service bills seconds of audio, not bytes, and its models hear few-channel speech, so a video is sent as
its audio track (stream-copied, not re-encoded), uncompressed PCM as FLAC with the very same samples, and
compressed audio as it is (`lossless`, the default). `compact` sends 16 kHz mono FLAC, what Whisper decodes
to anyway (a multi-channel job keeps its channels); `off` sends the file untouched.

What ffmpeg is given is bounded as carefully as what the server sends: the file goes in as a `file:` URL
(a name is never read as a protocol or an option), only local files may be opened and only the demuxers of
real media are allowed (a playlist cannot make ffmpeg read other files or hosts), ffprobe's answer is read
under a size limit and every run has a deadline.

FLAC is produced while it is sent: ffmpeg writes to a pipe, each piece goes on the wire and into a private
file in stt's cache dir (a retry sends that file). A piped FLAC header cannot be rewritten at the end, so
stt writes the sample count it expects into it, checks it against ffmpeg's own count once the stream ends
and, on a mismatch, stops the body before its last byte (the server makes no job) and sends the corrected
file instead.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from stt_cli.api.client import BodyRestart
from stt_cli.errors import Interrupted, UsageError

COMPACT_RATE = 16_000  # Hz: what Whisper resamples every input to
PREP_PREFIX = "prep-"  # temp files in the spool dir: .prep-audio.stt-PID-XXXX.tmp

# Demuxers of real audio and video containers: nothing that reads a list of other files or URLs.
DEMUXERS = (
    "wav,w64,aiff,caf,au,flac,mp3,ogg,matroska,webm,mov,mp4,m4a,aac,ac3,eac3,amr,asf,avi,mpegts,mpeg,wv,ape,"
    "tta,dts,truehd,flv,mpegvideo,mlp,mp2,wsaud,xwma,voc,sox,dsf,iff,rm,nut,ircam,sds,alaw,mulaw"
)
PROBE_LIMIT = 256 * 1024  # bytes of ffprobe's JSON read at most
PROBE_TIMEOUT = 60.0  # s
MAX_STREAMS = 64  # streams of a source looked at
STDERR_SHOWN = 300  # characters of a tool's complaint shown
PIPE_CHUNK = 256 * 1024
STALL_SECONDS = 60.0  # s without a byte from ffmpeg: it is stuck on this file

# Uncompressed PCM that FLAC holds sample for sample (FLAC has no float and, in this ffmpeg, no 32-bit form).
FLAC_PCM = frozenset(
    {"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s16le_planar", "pcm_s24daud", "pcm_bluray",
     "pcm_dvd"}
)  # fmt: skip
# A stream copy needs a container every model takes: the audio codec decides which.
COPY_CONTAINERS = {
    "aac": ("ipod", ".m4a", "audio/mp4"),
    "alac": ("ipod", ".m4a", "audio/mp4"),
    "mp3": ("mp3", ".mp3", "audio/mpeg"),
    "opus": ("ogg", ".ogg", "audio/ogg"),
    "vorbis": ("ogg", ".ogg", "audio/ogg"),
    "flac": ("flac", ".flac", "audio/flac"),
}
FLAC_OUT = (".flac", "audio/flac")
FLAC_MAX_CHANNELS = 8


class AudioStream(NamedTuple):
    number: int  # the stream's index in its container
    codec: str
    channels: int
    rate: int
    bits: int  # bits a sample holds (0: unknown)
    bit_rate: int | None
    samples: int | None  # the exact count, where the container says (PCM)
    duration: float | None
    default: bool = False  # flagged as the track to play


class Media(NamedTuple):
    """What ffprobe found in a source."""

    container: str
    duration: float | None
    audio: tuple[AudioStream, ...]
    has_video: bool  # a moving picture (cover art does not count)


class Plan(NamedTuple):
    """What is sent for a source, and why: the file as it is, a stream copy, or FLAC."""

    action: str  # "as-is" | "copy" | "flac"
    why: str  # a phrase for --dry-run and -v: "video: its AAC audio track, stream-copied into M4A"
    duration: float | None  # seconds to be billed, where ffprobe knows
    ext: str = ""
    content_type: str = ""
    args: tuple[str, ...] = ()  # ffmpeg's output options
    muxer: str = ""
    samples: int | None = None  # the FLAC's sample count, when known before it is made
    rate: int = 0  # the output's sample rate (FLAC)
    estimate: int | None = None  # bytes expected before it is made
    compact: bool = False  # 16 kHz (or less) FLAC: audio other than the source's own samples

    @property
    def changes(self) -> bool:
        return self.action != "as-is"

    @property
    def streams(self) -> bool:
        """Made while it is sent: FLAC, whose header stt can complete itself."""
        return self.action == "flac" and self.samples is not None


class Tools(NamedTuple):
    ffmpeg: str
    ffprobe: str


class Unreadable(Exception):
    """ffprobe or ffmpeg could not read the source (it is then sent as it is)."""


_CHILDREN: set[subprocess.Popen[bytes]] = set()  # the ffprobe and ffmpeg runs in flight, in any thread
_CHILDREN_LOCK = threading.Lock()


def _started(process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
    with _CHILDREN_LOCK:
        _CHILDREN.add(process)
    return process


def _ended(process: subprocess.Popen[bytes]) -> None:
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


def _input(path: Path) -> list[str]:
    return ["-protocol_whitelist", "file", "-format_whitelist", DEMUXERS, "-i", f"file:{path.resolve()}"]


def _complaint(stderr: IO[bytes]) -> str:
    from stt_cli.api.wire import sanitize

    stderr.seek(0)
    lines = [line for line in stderr.read(16 * 1024).decode("utf-8", "replace").splitlines() if line.strip()]
    return sanitize(lines[-1], STDERR_SHOWN) if lines else "no reason given"


_PROBED: dict[tuple[str, tuple[int, int, int, int]], Media] = {}  # a file unchanged is not probed again


def probe(path: Path, tools: Tools) -> Media:
    """The source's container, duration and streams, or Unreadable. A file unchanged since this process
    probed it is not probed again (compact asks once for the ledger's key and once to send)."""
    from stt_cli.core.files import unchanged_key

    try:
        key = (tools.ffprobe, unchanged_key(path))
    except OSError as exc:
        raise Unreadable(f"it cannot be read ({exc.strerror})") from None
    known = _PROBED.get(key)
    if known is None:
        known = _PROBED[key] = _probe(path, tools)
    return known


def _probe(path: Path, tools: Tools) -> Media:
    entries = (
        "format=format_name,duration:stream=index,codec_type,codec_name,channels,sample_rate,bits_per_raw_sample,"
        "bits_per_sample,sample_fmt,bit_rate,duration,duration_ts,time_base:stream_disposition=attached_pic,default"
    )
    command = [tools.ffprobe, "-v", "error", "-hide_banner", *_input(path)[:-2], "-show_entries", entries]
    command += ["-of", "json", f"file:{path.resolve()}"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = _started(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err))
        except OSError as exc:
            raise Unreadable(f"ffprobe could not start ({exc.strerror})") from None
        try:
            code = process.wait(timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise Unreadable(f"ffprobe took over {PROBE_TIMEOUT:.0f} s") from None
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            _ended(process)
        if code != 0:
            raise Unreadable(_complaint(err))
        out.seek(0)
        data = out.read(PROBE_LIMIT + 1)
    if len(data) > PROBE_LIMIT:
        raise Unreadable("ffprobe's description of it is too large")
    try:
        found = json.loads(data)
    except ValueError:
        raise Unreadable("ffprobe's answer could not be read") from None
    return _media(found if isinstance(found, dict) else {})


def _number(value: Any, kind: type = float) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        return None
    if kind is float and not math.isfinite(number):
        return None
    return number if number >= 0 else None


def _media(found: dict[str, Any]) -> Media:
    form = found.get("format") if isinstance(found.get("format"), dict) else {}
    assert isinstance(form, dict)
    streams = found.get("streams") if isinstance(found.get("streams"), list) else []
    assert isinstance(streams, list)
    audio: list[AudioStream] = []
    has_video = False
    for item in streams[:MAX_STREAMS]:
        if not isinstance(item, dict):
            continue
        kind = item.get("codec_type")
        disposition = item.get("disposition") if isinstance(item.get("disposition"), dict) else {}
        if kind == "video" and not (disposition or {}).get("attached_pic"):
            has_video = True
        if kind != "audio":
            continue
        rate = _number(item.get("sample_rate"), int) or 0
        samples = None
        if str(item.get("time_base")) == f"1/{rate}" and rate:
            samples = _number(item.get("duration_ts"), int)
        bits = _number(item.get("bits_per_raw_sample"), int) or _number(item.get("bits_per_sample"), int) or 0
        audio.append(
            AudioStream(
                number=_number(item.get("index"), int) or 0,
                codec=str(item.get("codec_name") or "unknown")[:40],
                channels=_number(item.get("channels"), int) or 0,
                rate=rate,
                bits=bits,
                bit_rate=_number(item.get("bit_rate"), int),
                samples=samples,
                duration=_number(item.get("duration")),
                default=bool((disposition or {}).get("default")),
            )
        )
    duration = _number(form.get("duration"))
    if duration is None and audio:
        duration = audio[0].duration
    return Media(str(form.get("format_name") or "unknown")[:80], duration, tuple(audio), has_video)


def _rate_words(rate: int, channels: int) -> str:
    khz = f"{rate / 1000:g} kHz" if rate else "? kHz"
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels")
    return f"{khz} {layout}"


def _flac_args(rate: int | None, channels: int | None, bits: int) -> tuple[str, ...]:
    args = ["-c:a", "flac", "-compression_level", "5"]
    if rate is not None:
        args += ["-ar", str(rate)]
    if channels is not None:
        args += ["-ac", str(channels)]
    if bits <= 16:
        args += ["-sample_fmt", "s16"]
    return tuple(args)


def decide(media: Media, mode: str, size: int, multichannel: bool = False) -> Plan:
    """What to send for this source under this --audio-prep mode (the file itself when nothing is gained)."""
    duration = media.duration
    if mode == "off":
        return Plan("as-is", "--audio-prep off: the file as it is", duration)
    if not media.audio:
        return Plan("as-is", "ffprobe found no audio stream in it; sent as it is (the service decides)", duration)
    # The track flagged default, as a player (and ffmpeg) would pick it; else the first.
    stream = next((track for track in media.audio if track.default), media.audio[0])
    more = ""
    if len(media.audio) > 1:
        which = "default" if stream.default else "first"
        more = f" (the {which} of its {len(media.audio)} audio tracks, #{stream.number})"
    if stream.duration == 0 or stream.samples == 0:
        return Plan("as-is", "it holds no audio samples; sent as it is (the service decides)", duration)
    lossless = _lossless(media, stream, size, more)
    if mode != "compact":
        return lossless
    channels = stream.channels if multichannel else 1
    rate = min(COMPACT_RATE, stream.rate) if stream.rate else COMPACT_RATE
    if channels > FLAC_MAX_CHANNELS:
        return lossless
    estimate = int((duration or 0) * rate * 2 * channels * 0.6) or None  # speech in FLAC: about 60% of PCM
    smaller_already = lossless.estimate if lossless.changes else size
    if estimate is not None and smaller_already is not None and smaller_already <= estimate:
        return lossless._replace(why=lossless.why + "; already smaller than 16 kHz FLAC would be")
    samples = None
    if stream.samples is not None and stream.rate and stream.codec.startswith("pcm_"):
        samples = math.ceil(stream.samples * rate / stream.rate)  # a decoder's priming makes others unsure
    kept = ", its channels kept (multichannel)" if multichannel and channels > 1 else ""
    return Plan(
        "flac",
        f"compact: {_rate_words(rate, channels)} FLAC{more}{kept}",
        duration,
        *FLAC_OUT,
        args=("-map", f"0:{stream.number}", *_flac_args(rate, channels, 16)),
        muxer="flac",
        samples=samples,
        rate=rate,
        estimate=estimate,
        compact=True,
    )


def wants_channels(options: dict[str, Any]) -> bool:
    """The request asks for each channel on its own (`multi_channel` or `multichannel`): compact keeps them."""
    return any(str(options.get(name, "")).lower() == "true" for name in ("multi_channel", "multichannel"))


def compact_audio(path: Path, mode: str) -> bool:
    """Whether this file under this mode is sent as compact audio (16 kHz FLAC), which a job made of the
    file's own samples does not stand for: the ledger keeps the two apart, and only those."""
    if mode != "compact":
        return False
    tools = find_tools()
    if tools is None:
        return False
    try:
        return decide(probe(path, tools), mode, path.stat().st_size).compact
    except (Unreadable, OSError):
        return False


def _lossless(media: Media, stream: AudioStream, size: int, more: str) -> Plan:
    duration = media.duration
    codec = stream.codec
    pcm_flac = codec in FLAC_PCM and stream.channels <= FLAC_MAX_CHANNELS and stream.bits <= 24
    if pcm_flac:
        what = f"{'video: its ' if media.has_video else ''}{stream.bits or 16}-bit PCM{more}"
        return Plan(
            "flac",
            f"{what} as FLAC, the same samples ({_rate_words(stream.rate, stream.channels)})",
            duration,
            *FLAC_OUT,
            args=("-map", f"0:{stream.number}", *_flac_args(None, None, stream.bits or 16)),
            muxer="flac",
            samples=stream.samples,
            rate=stream.rate,
            estimate=int((duration or 0) * stream.rate * stream.channels * (stream.bits or 16) / 8 * 0.6) or None,
        )
    if not media.has_video:
        if codec.startswith("pcm_") and stream.channels > FLAC_MAX_CHANNELS:
            return Plan("as-is", f"{stream.channels} channels are more than FLAC holds; sent as it is", duration)
        if codec.startswith("pcm_"):
            return Plan("as-is", f"{codec} has no lossless FLAC form here; sent as it is", duration)
        return Plan("as-is", f"compressed audio ({codec}); sent as it is", duration)
    container = COPY_CONTAINERS.get(codec)
    if codec in ("opus", "vorbis") and ("matroska" in media.container or "webm" in media.container):
        container = ("webm", ".webm", "audio/webm")  # its own timing kept (Ogg would trim the end otherwise)
    audio_bytes = int((stream.bit_rate or 0) * (duration or 0) / 8) or None
    if container is not None:
        muxer, ext, content_type = container
        return Plan(
            "copy",
            f"video: its {codec.upper()} audio track{more}, stream-copied into {ext[1:].upper()} (not re-encoded)",
            duration,
            ext,
            content_type,
            args=("-map", f"0:{stream.number}", "-c:a", "copy"),
            muxer=muxer,
            estimate=audio_bytes,
        )
    if stream.channels <= FLAC_MAX_CHANNELS:
        return Plan(
            "flac",
            f"video: its {codec} audio track{more} decoded into FLAC (no container every model takes holds "
            f"{codec}; FLAC keeps the decoded audio at {24 if stream.bits > 16 else 16} bits)",
            duration,
            *FLAC_OUT,
            args=("-map", f"0:{stream.number}", *_flac_args(None, None, 24 if stream.bits > 16 else 16)),
            muxer="flac",
            rate=stream.rate,
        )
    return Plan("as-is", f"video whose {codec} audio has {stream.channels} channels; sent as it is", duration)


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


class Preparation:
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

    def __enter__(self) -> Preparation:
        return self.open()

    def open(self) -> Preparation:
        """Its temp file made (UsageError: no room or no rights in the cache dir); `close()` removes it."""
        from stt_cli.core.files import sweep_temp_files
        from stt_cli.errors import local_failure

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
            _ended(process)
            if process.stdout is not None:
                process.stdout.close()

    def _command(self, target: str) -> list[str]:
        return [self.tools.ffmpeg, "-nostdin", "-v", "error", "-hide_banner", "-y", *_input(self.source),
                *_output_args(self.plan), "-progress", "pipe:2", target]  # fmt: skip

    def _failed(self, err: IO[bytes]) -> Unreadable:
        return Unreadable(f"ffmpeg could not prepare it: {_complaint(err)}")

    def complete(self) -> Path:
        """The whole prepared file, made now if it was not (a seekable file: ffmpeg writes its own header)."""
        assert self.path is not None
        if self.whole:
            return self.path
        self._stop()
        started = time.monotonic()
        with tempfile.TemporaryFile() as err:
            try:
                process = _started(subprocess.Popen(self._command(f"file:{self.path}"), stdin=subprocess.DEVNULL,
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
            _ended(process)
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
                process = _started(subprocess.Popen(self._command("pipe:1"), stdin=subprocess.DEVNULL,
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
            _ended(process)
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


# --- What the upload sends -------------------------------------------------------------------------------
# The suffixes of compressed audio, which preparation sends as it is anyway: for them a missing ffmpeg is not
# worth a note (for a video, PCM or a name that says nothing, such as stdin's, it is).
AS_IS_ANYWAY = frozenset({".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".amr", ".wma", ".spx", ".mpga"})


def not_smaller(plan: Plan) -> Plan:
    return plan._replace(action="as-is", why=plan.why + "; no smaller than the file, so the file is sent")


class Once:
    """Notes given once per run, whatever the number of sources (a batch of 2,000 says it once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._said: set[str] = set()

    def say(self, topic: str, note: Callable[[str], None], message: str) -> None:
        with self._lock:
            if topic in self._said:
                return
            self._said.add(topic)
        note(message)


class Sent(NamedTuple):
    """What goes up for a local source: the file (or its live making), its name and type, and the plan."""

    path: Path
    filename: str
    content_type: str
    plan: Plan | None  # None: no preparation was tried (off, or no ffmpeg)
    made: Preparation | None = None

    @property
    def live(self) -> Preparation | None:
        """The preparation to send as it is made (FLAC), or None: the file at `path` is whole."""
        return self.made if self.made is not None and self.plan is not None and self.plan.streams else None


@contextlib.contextmanager
def sending(
    path: Path, filename: str, mode: str, multichannel: bool, note: Callable[[str], None], once: Once | None = None
) -> Iterator[Sent]:
    """The upload of a local file under --audio-prep: prepared in stt's cache dir, removed after the create.

    A source the tools cannot read is sent as it is, with a note; without ffmpeg, once per run (`once`), how
    to enable preparation.
    """
    from stt_cli.core.config import spool_dir
    from stt_cli.core.sources import content_type_for

    as_is = Sent(path, filename, content_type_for(filename), None)
    if mode == "off":
        yield as_is
        return
    tools = find_tools()
    if tools is None:
        if Path(filename).suffix.lower() not in AS_IS_ANYWAY:
            message = f"ffmpeg not found: files are sent as they are; {ENABLE_HINT} (or --audio-prep off)"
            (once or Once()).say("no-ffmpeg", note, message)
        yield as_is
        return
    try:
        plan = decide(probe(path, tools), mode, path.stat().st_size, multichannel)
    except Unreadable as exc:
        if stopping():  # the probe was stopped: the batch is cancelled
            raise Interrupted(f"interrupted while probing {filename}; no job was created") from None
        note(f"ffprobe cannot read {filename} ({exc}); sending it as it is")
        yield as_is
        return
    if not plan.changes:
        yield as_is._replace(plan=plan)
        return
    name = f"{Path(filename).stem or 'audio'}{plan.ext}"
    try:
        preparation = Preparation(path, plan, tools, spool_dir()).open()
    except UsageError as exc:  # no room or no rights in the cache dir: the file goes as it is
        note(f"{exc.message}; sending {filename} as it is")
        yield as_is
        return
    with contextlib.closing(preparation):
        if not plan.streams:
            try:
                preparation.complete()
            except Unreadable as exc:
                if stopping():
                    raise Interrupted(f"interrupted while preparing {filename}; no job was created") from None
                note(f"{exc} ({filename}); sending it as it is")
                yield as_is
                return
            if preparation.size >= path.stat().st_size:  # nothing gained: the file itself goes
                yield as_is._replace(plan=not_smaller(plan))
                return
        assert preparation.path is not None
        yield Sent(preparation.path, name, plan.content_type, plan, preparation)
