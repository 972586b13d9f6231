"""The multipart body of an upload (api/client.py), read as httpx reads it, with no network: the file's bytes
whole and hashed, and the hash handed to `on_hashed` while the file's last piece is still held back, so that
what it raises leaves the body unfinished (no server can have made a job of it)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from stt_cli.api.client import UPLOAD_CHUNK, UploadFile, _multipart, _SentCounter


class Stop(Exception):
    pass


def test_the_body_holds_the_file_whole_and_its_sha256(tmp_path: Path) -> None:
    data = os.urandom(3 * UPLOAD_CHUNK + 12345)
    path = tmp_path / "notes.bin"
    path.write_bytes(data)
    digest: dict[str, str] = {}
    seen: list[str] = []
    stream, length = _multipart(UploadFile(path, "notes.bin", "application/octet-stream"), [("model", "m")], "b",
                                None, digest, on_hashed=seen.append)  # fmt: skip
    body = b"".join(_SentCounter(stream))
    assert len(body) == length and data in body and body.endswith(b"\r\n--b--\r\n")
    assert digest["sha256"] == seen[0] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [10, UPLOAD_CHUNK, 3 * UPLOAD_CHUNK + 1])
def test_what_on_hashed_raises_stops_the_body_before_the_file_s_last_piece(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "notes.bin"
    path.write_bytes(data)
    seen: list[str] = []

    def refuse(sha256: str) -> None:
        seen.append(sha256)
        raise Stop

    upload = UploadFile(path, "notes.bin", "application/octet-stream")
    whole, _ = _multipart(upload, [], "b", None, {})
    head = b"".join(whole).index(data)  # bytes of the body before the file's
    stream, _ = _multipart(upload, [], "b", None, {}, on_hashed=refuse)
    counter = _SentCounter(stream)
    handed: list[bytes] = []
    with pytest.raises(Stop):
        for piece in counter:
            handed.append(piece)
    assert seen == [hashlib.sha256(data).hexdigest()]
    assert not counter.finished
    last = size % UPLOAD_CHUNK or UPLOAD_CHUNK  # the file's last piece: held back, never handed over
    assert len(b"".join(handed)) == head + size - last
