"""What the service receives under --audio-prep, checked on the emulator's kept copy of each upload with ffprobe;
--dry-run; a machine without ffmpeg; reuse; Ctrl-C during preparation; a server that takes no chunked body."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_TEXT, EmulatorHandle, _serve, wait_until
from hostile import Conn, HostileServer, Request

from stt_cli.core.media import ffmpeg
from stt_cli.core.media.ffmpeg import find_tools

pytestmark = pytest.mark.skipif(find_tools() is None, reason="needs ffmpeg and ffprobe on PATH")


def make(path: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(path)], check=True)
    return path


TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=5:sample_rate=44100"]


def stereo_wav(path: Path, seconds: float = 5, noise: bool = False) -> Path:
    tone = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate=44100"]
    if noise:  # noise: FLAC cannot shrink it much, so its upload takes a while
        tone = ["-f", "lavfi", "-i", f"anoisesrc=duration={seconds}:sample_rate=44100:amplitude=0.5"]
    return make(path, *tone, "-ac", "2", "-c:a", "pcm_s16le")


# Lossless H.264 (-qp 0): the clips are large enough (270-400 kB) to be worth preparing (policy.SMALL_FILE).
def video(path: Path) -> Path:
    return make(path, "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=5", *TONE, "-c:v", "libx264",
                "-preset", "ultrafast", "-qp", "0", "-c:a", "aac", "-shortest")  # fmt: skip


def decoded_sha(path: Path) -> str:
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s32le", "-"],
                         check=True, capture_output=True).stdout  # fmt: skip
    return hashlib.sha256(pcm).hexdigest()


def probe(path: Path) -> dict[str, Any]:
    shown = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                           check=True, capture_output=True, text=True).stdout  # fmt: skip
    found: dict[str, Any] = json.loads(shown)
    return found


@pytest.fixture
def keeper(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EmulatorHandle]:
    """The emulator, keeping a copy of each upload it accepts."""
    yield from _serve(monkeypatch, keep_uploads=tmp_path / "uploads")


def last_upload(emulator: EmulatorHandle) -> tuple[Path, dict[str, Any]]:
    create = emulator.creates()[-1]
    return Path(create["received_path"]), create


def spool_files(tmp_path: Path) -> list[str]:
    spool = tmp_path / "cache" / "stt-cli" / "spool"
    return sorted(p.name for p in spool.iterdir()) if spool.exists() else []


def test_a_wav_arrives_as_flac_with_the_same_samples_and_length(
    keeper: EmulatorHandle, cli: Any, tmp_path: Path
) -> None:
    source = stereo_wav(tmp_path / "talk.wav")
    result = cli("run", str(source), "-o", "out.txt")
    assert result.exit_code == 0, result.stderr
    received, create = last_upload(keeper)
    assert received.suffix == ".flac" and create["filename"] == "talk.flac"
    assert create["content_type"] == "audio/flac"
    found = probe(received)
    assert [s["codec_type"] for s in found["streams"]] == ["audio"]
    assert found["streams"][0]["sample_rate"] == "44100" and found["streams"][0]["channels"] == 2
    assert abs(float(found["format"]["duration"]) - 5.0) < 0.05
    assert decoded_sha(received) == decoded_sha(source)
    assert create["size"] < source.stat().st_size / 1.8
    assert spool_files(tmp_path) == []  # the prepared copy is gone once the create answered


def test_a_video_arrives_as_its_audio_track_with_no_video(keeper: EmulatorHandle, cli: Any, tmp_path: Path) -> None:
    source = video(tmp_path / "clip.mp4")
    assert cli("run", str(source), "-o", "out.txt").exit_code == 0
    received, create = last_upload(keeper)
    found = probe(received)
    assert [s["codec_type"] for s in found["streams"]] == ["audio"]
    assert found["streams"][0]["codec_name"] == "aac"  # stream-copied, not re-encoded
    assert decoded_sha(received) == decoded_sha(source)
    assert abs(float(found["format"]["duration"]) - float(probe(source)["format"]["duration"])) < 0.05
    assert create["size"] * 2 < source.stat().st_size


def test_compact_arrives_as_16_khz_mono(keeper: EmulatorHandle, cli: Any, tmp_path: Path) -> None:
    source = stereo_wav(tmp_path / "talk.wav")
    assert cli("run", str(source), "--audio-prep", "compact", "-o", "out.txt").exit_code == 0
    received, create = last_upload(keeper)
    stream = probe(received)["streams"][0]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("flac", "16000", 1)
    assert abs(float(probe(received)["format"]["duration"]) - 5.0) < 0.05
    assert create["size"] * 5 < source.stat().st_size


def test_off_sends_the_file_byte_for_byte(keeper: EmulatorHandle, cli: Any, tmp_path: Path) -> None:
    source = stereo_wav(tmp_path / "talk.wav")
    assert cli("run", str(source), "--audio-prep", "off", "-o", "out.txt").exit_code == 0
    received, create = last_upload(keeper)
    assert received.read_bytes() == source.read_bytes() and create["filename"] == "talk.wav"


def test_the_sample_is_still_recognised_when_sent_as_flac(keeper: EmulatorHandle, cli: Any, talk: Path) -> None:
    result = cli("run", str(talk))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SAMPLE_TEXT + "\n"
    assert last_upload(keeper)[0].suffix == ".flac"


def test_dry_run_sends_nothing_and_says_what_would_go(keeper: EmulatorHandle, cli: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("AIML_API_KEY")  # no key is needed to look
    wav, clip = stereo_wav(tmp_path / "talk.wav"), video(tmp_path / "clip.mp4")
    result = cli("run", str(wav), str(clip), "https://example.com/a.mp3", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert keeper.requests() == []
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SOURCE", "AUDIO", "FILE", "SENT", "HOW"]
    assert "0:05.0" in lines[1] and "FLAC, the same samples" in lines[1]
    assert "stream-copied into M4A" in lines[2]
    assert "the service fetches it" in lines[3] and lines[4].startswith("total: 3 sources")
    assert "nothing was sent" in result.stderr
    records = cli("submit", str(wav), str(clip), "--dry-run", "--json", "--audio-prep", "compact")
    assert records.exit_code == 0 and keeper.requests() == []
    first, second = (json.loads(line) for line in records.stdout.splitlines())
    assert first["prep"] == "flac" and first["how"].startswith("compact: 16 kHz mono FLAC")
    assert abs(first["duration"] - 5.0) < 0.05 and first["size"] == wav.stat().st_size
    assert 0 < first["sent_bytes"] * 5 < first["size"]
    assert second["prep"] == "copy"
    assert spool_files(tmp_path) == []


def test_without_ffmpeg_files_go_as_they_are_with_one_note(keeper: EmulatorHandle, cli: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    sources = [stereo_wav(tmp_path / f"talk{n}.wav", 1 + n / 10) for n in range(3)]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = cli("run", *map(str, sources), "--output-dir", "out")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("ffmpeg not found") == 1
    assert "install ffmpeg" in result.stderr
    kept = sorted(Path(c["received_path"]).read_bytes() for c in keeper.creates())
    assert kept == sorted(s.read_bytes() for s in sources)
    dry = cli("run", str(sources[0]), "--dry-run")
    assert dry.exit_code == 0 and "ffmpeg not found" in dry.stdout and keeper.creates()[3:] == []


def test_what_preparation_cannot_shrink_goes_as_it_is_without_ffprobe(
    keeper: EmulatorHandle, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A WAV too small to gain, a file that is no media, and compressed audio (by their first bytes): no tool
    is started for them, they arrive byte for byte, and --dry-run says why."""
    tiny = stereo_wav(tmp_path / "tiny.wav", 0.1)  # 17.7 kB
    notes = tmp_path / "notes.wav"
    notes.write_bytes(b"%PDF-1.7\n" + os.urandom(300_000))
    mp3 = make(tmp_path / "talk.mp3", *TONE, "-c:a", "libmp3lame", "-b:a", "320k")  # 200 kB
    real = find_tools()
    assert real is not None
    folder = tmp_path / "logging-bin"
    folder.mkdir()
    for tool in ("ffmpeg", "ffprobe"):  # each run of a tool leaves a line in calls.log
        log = f'echo {tool} "$@" >> {tmp_path / "calls.log"}'
        (folder / tool).write_text(f'#!/bin/sh\n{log}\nexec {getattr(real, tool)} "$@"\n')
        (folder / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    result = cli("run", str(tiny), str(notes), str(mp3), "--output-dir", "out", "-v")
    assert result.exit_code == 0, result.stderr
    assert "audio: " in result.stderr and "too small for preparing it to pay" in result.stderr  # -v says why
    calls = (tmp_path / "calls.log").read_text() if (tmp_path / "calls.log").exists() else ""
    assert "-format_whitelist" not in calls, calls  # stt's runs (the emulator probes the uploads it keeps)
    kept = sorted(Path(c["received_path"]).read_bytes() for c in keeper.creates())
    assert kept == sorted(p.read_bytes() for p in (tiny, notes, mp3))
    records = [json.loads(line) for line in cli("run", str(tiny), str(notes), str(mp3), "--dry-run", "--json").stdout
               .splitlines()]  # fmt: skip
    assert [r["prep"] for r in records] == ["as-is"] * 3
    assert f"{tiny.stat().st_size:,} bytes: too small" in records[0]["how"] and abs(records[0]["duration"] - 0.1) < 0.01
    assert "no audio or video container" in records[1]["how"]
    assert records[2]["how"].startswith("compressed audio (ID3-tagged MPEG audio, by its first bytes)")


def test_a_rerun_reuses_the_job_and_never_prepares_again(keeper: EmulatorHandle, cli: Any, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    source = stereo_wav(tmp_path / "talk.wav")
    assert cli("run", str(source), "-o", "a.txt").exit_code == 0
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # a probe or a preparation would say ffmpeg is missing
    again = cli("run", str(source), "-o", "b.txt")
    assert again.exit_code == 0 and "reusing job" in again.stderr and "ffmpeg" not in again.stderr
    off = cli("run", str(source), "-o", "c.txt", "--audio-prep", "off")  # the very same samples: reused too
    assert off.exit_code == 0 and "reusing job" in off.stderr
    assert len(keeper.creates()) == 1
    monkeypatch.setenv("PATH", path)
    compact = cli("run", str(source), "-o", "d.txt", "--audio-prep", "compact")  # other audio: a job of its own
    assert compact.exit_code == 0 and "reusing job" not in compact.stderr
    assert len(keeper.creates()) == 2


def test_ctrl_c_while_preparing_leaves_no_temp_file_and_no_job(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:  # fmt: skip
    for emulator in _serve(monkeypatch, bandwidth=200_000):  # 200 kB/s: the FLAC is being made and sent
        source = stereo_wav(tmp_path / "long.wav", 120, noise=True)  # about 20 MB of FLAC: far more than the
        # loopback socket buffers hold, so the body cannot have gone out whole when Ctrl-C comes
        env = {**os.environ, "AIML_API_BASE": emulator.base_url, "AIML_API_KEY": "k-0123456789abcdef"}
        env.pop("CI", None)
        proc = subprocess.Popen([sys.executable, "-m", "stt_cli", "run", str(source), "-o", "out.txt"], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        wait_until(lambda: any(name.startswith(".prep-") for name in spool_files(tmp_path)), timeout=20)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
        assert proc.returncode == 130, stderr
        assert "no job was created" in stderr and "Traceback" not in stderr
        assert spool_files(tmp_path) == []
        assert not (tmp_path / "out.txt").exists()
        assert emulator.server.state.jobs == {}


def test_a_server_that_takes_no_chunked_body_gets_the_finished_file(hostile: HostileServer, cli: Any,
                                                                    tmp_path: Path) -> None:  # fmt: skip
    seen: list[Request] = []

    def create(request: Request, conn: Conn) -> None:
        seen.append(request)
        if "content-length" not in request.headers:
            conn.answer({"message": "Length Required"}, status=411)
            return
        conn.answer({"generation_id": "sized-job"})

    hostile.on_create = create
    hostile.on_poll = hostile.completed
    source = stereo_wav(tmp_path / "talk.wav")
    result = cli("run", str(source), "-o", "out.txt")
    assert result.exit_code == 0, result.stderr
    assert [("content-length" in r.headers) for r in seen] == [False, True]
    assert seen[0].body == seen[1].body  # the same FLAC, first chunked as it was made, then sized
    assert b"fLaC" in seen[1].body


def fake_ffmpeg(tmp_path: Path, script: str) -> Path:
    """A PATH whose ffmpeg is `script` (the real ffprobe beside it): an ffmpeg that hangs or fails."""
    folder = tmp_path / "fake-bin"
    folder.mkdir(exist_ok=True)
    program = folder / "ffmpeg"
    program.write_text("#!/bin/sh\n" + script + "\n")
    program.chmod(0o755)
    real = find_tools()
    assert real is not None
    (folder / "ffprobe").symlink_to(real.ffprobe)
    return folder


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("exec /bin/sleep 30", "ffmpeg wrote nothing for"),
        ("echo 'Conversion failed!' >&2; exit 1", "Conversion failed!"),
    ],
)
def test_an_ffmpeg_that_hangs_or_fails_means_the_file_goes_as_it_is(
    script: str, said: str, keeper: EmulatorHandle, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = stereo_wav(tmp_path / "talk.wav")
    monkeypatch.setenv("PATH", str(fake_ffmpeg(tmp_path, script)))
    monkeypatch.setattr(ffmpeg, "STALL_SECONDS", 0.5)
    result = cli("run", str(source), "-o", "out.txt")
    assert result.exit_code == 0, result.stderr
    assert said in result.stderr and "sending it as it is" in result.stderr
    [create] = [c for c in keeper.creates() if c.get("generation_id")]  # the stopped body made no job
    assert Path(create["received_path"]).read_bytes() == source.read_bytes()
    assert spool_files(tmp_path) == []


def test_no_room_for_the_preparation_means_the_file_goes_as_it_is(
    keeper: EmulatorHandle, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = stereo_wav(tmp_path / "talk.wav")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("STT_CACHE_DIR", str(blocker / "stt-cli"))  # the spool dir cannot be made
    result = cli("run", str(source), "-o", "out.txt")
    assert result.exit_code == 0, result.stderr
    assert "sending talk.wav as it is" in result.stderr
    [create] = keeper.creates()
    assert Path(create["received_path"]).read_bytes() == source.read_bytes()


def test_compact_reuses_the_job_when_it_would_send_the_same_bytes(keeper: EmulatorHandle, cli: Any,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    mp3 = make(tmp_path / "talk.mp3", *TONE, "-c:a", "libmp3lame", "-b:a", "32k")  # smaller than 16 kHz FLAC
    assert cli("run", str(mp3), "-o", "a.txt").exit_code == 0
    again = cli("run", str(mp3), "-o", "b.txt", "--audio-prep", "compact")
    assert again.exit_code == 0 and "reusing job" in again.stderr
    assert len(keeper.creates()) == 1


def test_dry_run_gives_the_length_of_what_is_sent(keeper: EmulatorHandle, cli: Any, tmp_path: Path) -> None:
    # 8 s of video, 5 s of audio
    clip = make(tmp_path / "late.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=8", *TONE,
                "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-c:a", "aac")  # fmt: skip
    record = json.loads(cli("run", str(clip), "--dry-run", "--json").stdout)
    assert abs(record["duration"] - 5.0) < 0.1


def _running(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.mark.parametrize("dry", [False, True], ids=["run", "dry-run"])
def test_ctrl_c_of_a_batch_leaves_no_ffprobe_running(dry: bool, emulator: EmulatorHandle, tmp_path: Path) -> None:
    marker = f"{os.getpid() % 1000 + 1000}.{int(dry) + 1}"  # a sleep no other test starts
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    (folder / "ffprobe").write_text(f"#!/bin/sh\nexec /bin/sleep {marker}\n")
    (folder / "ffprobe").chmod(0o755)
    real = find_tools()
    assert real is not None
    (folder / "ffmpeg").symlink_to(real.ffmpeg)
    sources = [str(stereo_wav(tmp_path / f"t{n}.wav", 1 + n / 10)) for n in range(3)]  # three audios
    env = {**os.environ, "AIML_API_BASE": emulator.base_url, "AIML_API_KEY": "k-0123456789abcdef",
           "PATH": f"{folder}:{os.environ['PATH']}"}  # fmt: skip
    env.pop("CI", None)
    argv = [sys.executable, "-m", "stt_cli", "run", *sources, "--output-dir", str(tmp_path / "out")]
    proc = subprocess.Popen([*argv, *(["--dry-run"] if dry else [])], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until(lambda: len(_running(f"sleep {marker}")) == 3, timeout=20)
    except AssertionError:
        proc.kill()
        raise AssertionError(proc.communicate()[1]) from None
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    wait_until(lambda: _running(f"sleep {marker}") == [], timeout=5)
    assert spool_files(tmp_path) == []


def test_a_disk_that_fills_while_the_flac_is_made_means_the_file_goes_as_it_is(
    keeper: EmulatorHandle, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    class Full:
        """A kept copy on a disk that fills after 64 KiB (as a small tmpfs would)."""

        def __init__(self) -> None:
            self.written = 0

        def write(self, data: bytes) -> int:
            if self.written + len(data) > 65536:
                raise OSError(28, "No space left on device")
            self.written += len(data)
            return len(data)

    @contextlib.contextmanager
    def full_disk(self: ffmpeg.Conversion) -> Iterator[Full]:
        yield Full()

    monkeypatch.setattr(ffmpeg.Conversion, "_keep", full_disk)
    source = stereo_wav(tmp_path / "loud.wav", 20, noise=True)
    result = cli("run", str(source), "-o", "out.txt")
    assert result.exit_code == 0, result.stderr
    assert "No space left on device" in result.stderr and "sending it as it is" in result.stderr
    [create] = [c for c in keeper.creates() if c.get("generation_id")]
    assert Path(create["received_path"]).read_bytes() == source.read_bytes()


def test_a_file_changed_while_it_is_prepared_is_not_reused_once_put_back(
    keeper: EmulatorHandle, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While ffmpeg prepares it, the file is rewritten (same size, its modification time set back): the job
    heard other audio than the bytes hashed before, so a later run of the file, put back as it was, makes a new
    job instead of reusing that one (issue 25)."""
    source = stereo_wav(tmp_path / "talk.wav")
    kept = tmp_path / "kept.wav"
    shutil.copy2(source, kept)  # the original bytes and times
    other = stereo_wav(tmp_path / "other.wav", noise=True)
    assert other.stat().st_size == source.stat().st_size
    real = find_tools()
    assert real is not None
    swap = f'cp "{other}" "{source}" && touch -r "{kept}" "{source}"'  # what a second writer might do
    path = os.environ["PATH"]
    fake = fake_ffmpeg(tmp_path, f'{swap} || exit 9\nexec "{real.ffmpeg}" "$@"')
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{path}")
    first = cli("run", str(source), "-o", "first.txt")
    assert first.exit_code == 0, first.stderr
    assert "changed while it was prepared; its job is not reused" in first.stderr, first.stderr
    monkeypatch.setenv("PATH", path)
    shutil.copy2(kept, source)  # put back, times and all
    assert source.read_bytes() == kept.read_bytes()
    second = cli("run", str(source), "-o", "second.txt")
    assert second.exit_code == 0, second.stderr
    assert "reusing job" not in second.stderr
    assert len([c for c in keeper.creates() if c.get("generation_id")]) == 2
