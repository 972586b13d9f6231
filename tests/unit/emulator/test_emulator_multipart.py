"""The emulator's streaming multipart parser: any chunking reads the same, a truncated body is an error."""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stt_cli.emulator.server import HttpError, iter_multipart


def _multipart(fields: list[tuple[str, bytes, str | None]], boundary: str) -> bytes:
    out = b""
    for name, value, filename in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def _parse(body: bytes, boundary: str, chunk_sizes: list[int]) -> list[tuple[str, bytes]]:
    stream = io.BytesIO(body)
    sizes = itertools.cycle(chunk_sizes)
    parts: list[tuple[str, bytes]] = []
    for kind, item in iter_multipart(lambda: stream.read(next(sizes)), boundary.encode()):
        if kind == "part":
            parts.append((item["content-disposition"], b""))
        else:
            parts[-1] = (parts[-1][0], parts[-1][1] + item)
    return parts


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.binary(max_size=300), min_size=1, max_size=4),
    chunk_sizes=st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=5),
)
def test_streaming_multipart_parser_survives_any_chunking(values: list[bytes], chunk_sizes: list[int]) -> None:
    boundary = "b0undary-XyZ"
    # Payload bytes that look like the boundary's start must not confuse the parser.
    values = [v.replace(b"--b0undary", b"--b0undarz") for v in values]
    fields = [(f"f{i}", v, "a.wav" if i == 0 else None) for i, v in enumerate(values)]
    parsed = _parse(_multipart(fields, boundary), boundary, chunk_sizes)
    assert [p[1] for p in parsed] == values


def test_truncated_multipart_is_an_error() -> None:
    body = _multipart([("audio", b"x" * 100, "a.wav")], "bnd")[:-20]
    with pytest.raises(HttpError):
        _parse(body, "bnd", [7])
