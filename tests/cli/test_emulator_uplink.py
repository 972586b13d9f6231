"""The emulator's --bandwidth (one uplink for every connection) and --keep-uploads (each accepted upload saved
whole, nothing left of a rejected one), over real connections on loopback."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import EmulatorHandle, one_error_line, start_emulator, wait_until

from stt_cli.emulator.server import Uplink

MODEL = "#g1_whisper-large"
KEY = "k-0123456789abcdef"


def multipart(audio: bytes, filename: str = "talk.wav", **fields: str) -> tuple[str, list[bytes]]:
    """A create's content type and its body in pieces: fields, then the audio part."""
    boundary = "stt-test-" + secrets.token_hex(12)
    head = b""
    for name, value in {"model": MODEL, **fields}.items():
        head += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{filename}"\r\n'
        "Content-Type: audio/x-test\r\n\r\n"
    ).encode()
    return f"multipart/form-data; boundary={boundary}", [head, audio, f"\r\n--{boundary}--\r\n".encode()]


def create(base_url: str, audio: bytes, chunked: bool = False, **fields: str) -> tuple[int, dict[str, Any]]:
    """POST an upload (sized by Content-Length, or chunked in 64 KiB pieces); the status and the JSON answer."""
    content_type, pieces = multipart(audio, **fields)
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(str(url.hostname), url.port, timeout=30)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": content_type}
    try:
        if chunked:
            body = b"".join(pieces)
            chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
            connection.request("POST", "/v1/stt/create", body=chunks, headers=headers, encode_chunked=True)
        else:
            connection.request("POST", "/v1/stt/create", body=b"".join(pieces), headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture
def uplink(tmp_path: Path) -> Iterator[EmulatorHandle]:
    """1 MB/s for all uploads together, each kept under tmp_path/kept."""
    server = start_emulator(bandwidth=1_000_000, keep_uploads=tmp_path / "kept")
    yield EmulatorHandle(server)
    server.stop()


@pytest.fixture
def keeper(tmp_path: Path) -> Iterator[EmulatorHandle]:
    """Uploads kept under tmp_path/kept, at full speed."""
    server = start_emulator(keep_uploads=tmp_path / "kept")
    yield EmulatorHandle(server)
    server.stop()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_upload_takes_as_long_as_the_bandwidth_says(uplink: EmulatorHandle, tmp_path: Path, chunked: bool) -> None:
    audio = os.urandom(2_000_000)
    started = time.monotonic()
    status, answer = create(uplink.base_url, audio, chunked=chunked)
    elapsed = time.monotonic() - started
    assert status == 200, answer
    assert elapsed >= 1.8, f"2,000,000 bytes through 1 MB/s in {elapsed:.2f} s"
    (entry,) = uplink.creates()
    kept = Path(entry["received_path"])
    assert kept == tmp_path / "kept" / f"{answer['generation_id']}.wav"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == hashlib.sha256(audio).hexdigest() == entry["sha256"]
    assert (entry["filename"], entry["content_type"], entry["size"]) == ("talk.wav", "audio/x-test", 2_000_000)


def test_two_uploads_at_once_share_the_uplink(uplink: EmulatorHandle) -> None:
    audios = [os.urandom(1_000_000), os.urandom(1_000_000)]  # 1 s each alone, 2 s together
    answers: list[tuple[int, dict[str, Any]]] = []
    times: list[float] = []
    start = threading.Barrier(2)

    def send(audio: bytes, chunked: bool) -> None:
        start.wait()
        began = time.monotonic()
        answers.append(create(uplink.base_url, audio, chunked=chunked))
        times.append(time.monotonic() - began)

    threads = [threading.Thread(target=send, args=(audio, n == 1)) for n, audio in enumerate(audios)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in answers] == [200, 200], answers
    assert max(times) >= 1.8, times  # together they get 1 MB/s, not 1 MB/s each
    assert min(times) >= 1.4, times  # and each gets its part all along, not one after the other
    kept = {hashlib.sha256(Path(e["received_path"]).read_bytes()).digest() for e in uplink.creates()}
    assert kept == {hashlib.sha256(audio).digest() for audio in audios}


def test_answers_and_control_requests_are_not_slowed(emulator: EmulatorHandle) -> None:
    """Only the users' uploads go through the uplink: not the answers (the downlink), nor /_emulator/ bodies."""
    emulator.next_job(processing_time=0)
    status, answer = create(emulator.base_url, os.urandom(50_000))
    assert status == 200
    emulator.server.state.uplink = Uplink(20)  # 20 bytes/s from now on: a 15-byte control body would take 0.7 s
    url = urlsplit(emulator.base_url)
    started = time.monotonic()
    for _ in range(10):
        connection = http.client.HTTPConnection(str(url.hostname), url.port, timeout=10)
        connection.request("GET", f"/v1/stt/{answer['generation_id']}", headers={"Authorization": f"Bearer {KEY}"})
        response = connection.getresponse()
        assert response.status == 200 and len(response.read()) > 1000
        connection.close()
        emulator.advance(0)
    assert time.monotonic() - started < 5.0  # paced, the 10 control bodies alone would take 7 s


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_kept_upload_is_the_bytes_sent(keeper: EmulatorHandle, tmp_path: Path, chunked: bool) -> None:
    audio = os.urandom(3 * 1024 * 1024 + 17)
    status, answer = create(keeper.base_url, audio, chunked=chunked, filename="Call 7.FLAC")
    assert status == 200, answer
    kept = tmp_path / "kept" / f"{answer['generation_id']}.flac"
    assert hashlib.sha256(kept.read_bytes()).digest() == hashlib.sha256(audio).digest()
    assert [p.name for p in (tmp_path / "kept").iterdir()] == [kept.name]  # no temp file left beside it
    (entry,) = keeper.creates()
    assert entry["received_path"] == str(kept) and entry["filename"] == "Call 7.FLAC"


def test_an_upload_named_without_a_usable_extension_is_kept_as_bin(keeper: EmulatorHandle, tmp_path: Path) -> None:
    status, answer = create(keeper.base_url, b"RIFF" + os.urandom(1000), filename="recording.final-take")
    assert status == 200
    assert (tmp_path / "kept" / f"{answer['generation_id']}.bin").stat().st_size == 1004


def test_a_repeated_idempotency_key_keeps_the_first_upload(keeper: EmulatorHandle, tmp_path: Path) -> None:
    content_type, pieces = multipart(b"first" * 100)
    url = urlsplit(keeper.base_url)
    ids = []
    for _ in range(2):
        connection = http.client.HTTPConnection(str(url.hostname), url.port, timeout=10)
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": content_type, "Idempotency-Key": "same"}
        connection.request("POST", "/v1/stt/create", body=b"".join(pieces), headers=headers)
        ids.append(json.loads(connection.getresponse().read())["generation_id"])
        connection.close()
    assert ids[0] == ids[1]
    assert [p.name for p in (tmp_path / "kept").iterdir()] == [f"{ids[0]}.wav"]
    assert [e["received_path"] for e in keeper.creates()] == [str(tmp_path / "kept" / f"{ids[0]}.wav")] * 2


def test_no_folder_no_copies(emulator: EmulatorHandle) -> None:
    status, _ = create(emulator.base_url, os.urandom(1000))
    assert status == 200
    (entry,) = emulator.creates()
    assert entry["received_path"] is None and entry["filename"] == "talk.wav" and entry["size"] == 1000


@pytest.mark.parametrize(
    ("audio", "fields", "status"),
    [
        (b"x" * 300_000, {"custom_topic_mode": "loose"}, 400),  # a field the model does not have
        (b"x" * 300_000, {"model": "no-such-model"}, 400),
        (b"", {}, 400),  # an empty file
    ],
    ids=["bad-field", "bad-model", "empty"],
)
def test_a_rejected_upload_leaves_nothing(
    keeper: EmulatorHandle, tmp_path: Path, audio: bytes, fields: dict[str, str], status: int
) -> None:
    code, answer = create(keeper.base_url, audio, **fields)
    assert code == status, answer
    assert list((tmp_path / "kept").iterdir()) == []


def test_an_upload_that_fails_by_a_fault_leaves_nothing(keeper: EmulatorHandle, tmp_path: Path) -> None:
    keeper.fault("create", {"status": 503})
    assert create(keeper.base_url, os.urandom(200_000))[0] == 503
    assert list((tmp_path / "kept").iterdir()) == []


def test_two_audio_files_leave_nothing(keeper: EmulatorHandle, tmp_path: Path) -> None:
    content_type, pieces = multipart(os.urandom(100_000))
    boundary = content_type.split("=", 1)[1]
    second = (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.wav"\r\n\r\n'.encode()
        + os.urandom(100_000)
    )
    url = urlsplit(keeper.base_url)
    connection = http.client.HTTPConnection(str(url.hostname), url.port, timeout=10)
    body = pieces[0] + pieces[1] + second + pieces[2]
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": content_type}
    connection.request("POST", "/v1/stt/create", body=body, headers=headers)
    response = connection.getresponse()
    assert response.status == 400 and "more than one" in json.loads(response.read())["message"]
    connection.close()
    assert list((tmp_path / "kept").iterdir()) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_truncated_upload_leaves_nothing(keeper: EmulatorHandle, tmp_path: Path, chunked: bool) -> None:
    """The client sends part of the body and stops (a dropped uplink): a 400, and no file, not even a temp."""
    content_type, pieces = multipart(os.urandom(500_000))
    partial = pieces[0] + pieces[1][:300_000]
    url = urlsplit(keeper.base_url)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(b''.join(pieces))}"
    head = (
        f"POST /v1/stt/create HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: {content_type}\r\n{framing}\r\n\r\n"
    ).encode()
    payload = f"{len(b''.join(pieces)):x}\r\n".encode() + partial if chunked else partial
    with socket.create_connection((str(url.hostname), int(url.port or 80)), timeout=10) as sock:
        sock.sendall(head + payload)
        wait_until(lambda: any(p.suffix == ".part" for p in (tmp_path / "kept").iterdir()), timeout=5)
        sock.shutdown(socket.SHUT_WR)
        answer = sock.makefile("rb").readline()
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert list((tmp_path / "kept").iterdir()) == []
    (entry,) = keeper.creates()
    assert entry["outcome"] == 400 and "truncated" in entry["message"]


def test_a_dropped_connection_leaves_nothing(keeper: EmulatorHandle, tmp_path: Path) -> None:
    content_type, pieces = multipart(os.urandom(500_000))
    url = urlsplit(keeper.base_url)
    head = (
        f"POST /v1/stt/create HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(b''.join(pieces))}\r\n\r\n"
    ).encode()
    with socket.create_connection((str(url.hostname), int(url.port or 80)), timeout=10) as sock:
        sock.sendall(head + pieces[0] + pieces[1][:300_000])  # more than the emulator's first read
        # dropped once the upload is being kept (a client gone before its request was read is refused
        # whole: test_emulator_guard.py)
        wait_until(lambda: any(p.suffix == ".part" for p in (tmp_path / "kept").iterdir()), timeout=5)
    wait_until(keeper.creates, timeout=5)  # the emulator has given up on it
    assert list((tmp_path / "kept").iterdir()) == []


def test_the_kept_folder_is_made_when_missing(tmp_path: Path) -> None:
    server = start_emulator(keep_uploads=tmp_path / "a" / "b")
    try:
        assert (tmp_path / "a" / "b").is_dir()
    finally:
        server.stop()


@pytest.mark.parametrize("value", ["0", "-5M", "fast", "5X", "1e9", "0.5", "", "nan", "5MB"], ids=lambda v: repr(v))
def test_bad_bandwidth_values_are_one_usage_error(cli, value: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("emulator", "--port", "0", f"--bandwidth={value}")
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert "--bandwidth" in line and "40Mbit" in line
    assert len(result.stderr.splitlines()) == 1


def test_a_keep_uploads_path_that_is_a_file_is_a_usage_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "taken").write_text("x")
    result = cli("emulator", "--port", "0", "--keep-uploads", str(tmp_path / "taken"))
    assert result.exit_code == 2
    assert "--keep-uploads" in one_error_line(result.stderr)
    result = cli("emulator", "--port", "0", "--keep-uploads", str(tmp_path / "taken" / "below"))
    assert result.exit_code == 2
    assert "keep uploads" in one_error_line(result.stderr)
