"""ffprobe run on a source, and its JSON answer read into Media (every field checked, nothing trusted).

ffprobe's answer is read under a size limit and the run has a deadline; a file unchanged since this process
probed it is not probed again.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from stt_cli.core.files import unchanged_key
from stt_cli.core.media.ffmpeg import Tools, Unreadable, complaint, input_args, track, untrack
from stt_cli.core.media.policy import AudioStream, Media

PROBE_LIMIT = 256 * 1024  # bytes of ffprobe's JSON read at most
PROBE_TIMEOUT = 60.0  # s
MAX_STREAMS = 64  # streams of a source looked at

# What this run's ffprobe said of each file, so a file unchanged is not probed twice in one run (compact asks once
# for the ledger's key and once to send); forgotten when the next run starts (upload.start_run).
_PROBED: dict[tuple[str, tuple[int, ...]], Media] = {}


def forget() -> None:
    """A new run starts: what earlier runs of this process probed is not trusted (the file may be another)."""
    _PROBED.clear()


def probe(path: Path, tools: Tools) -> Media:
    """The source's container, duration and streams, or Unreadable. A file unchanged since this process
    probed it is not probed again (compact asks once for the ledger's key and once to send)."""

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
    command = [tools.ffprobe, "-v", "error", "-hide_banner", *input_args(path)[:-2], "-show_entries", entries]
    command += ["-of", "json", f"file:{path.resolve()}"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = track(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err))
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
            untrack(process)
        if code != 0:
            raise Unreadable(complaint(err))
        out.seek(0)
        data = out.read(PROBE_LIMIT + 1)
    if len(data) > PROBE_LIMIT:
        raise Unreadable("ffprobe's description of it is too large")
    try:
        found = json.loads(data)
    except ValueError:
        raise Unreadable("ffprobe's answer could not be read") from None
    return read_probe(found if isinstance(found, dict) else {})


def _number(value: Any, kind: type = float) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        return None
    if kind is float and not math.isfinite(number):
        return None
    return number if number >= 0 else None


def read_probe(found: dict[str, Any]) -> Media:
    """ffprobe's JSON answer as Media: values of the wrong type or sign read as unknown, at most MAX_STREAMS."""
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
