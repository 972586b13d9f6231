"""Option parsing: --param values typed as the user wrote them."""

from __future__ import annotations

import pytest

from stt_cli.cli.options.transcription import parse_param


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("a=b", ("a", "b")),
        ("a=true", ("a", True)),
        ("a=-3", ("a", -3)),
        ("a=1e3", ("a", 1000.0)),
        ("a=0.5", ("a", 0.5)),
        ("a=", ("a", "")),
        ("a=[1,true]", ("a", ["1", "true"])),
        ('a={"k":1}', ("a", '{"k": 1}')),
        ("a=--x", ("a", "--x")),
    ],
)
def test_param_parsing(item: str, expected: tuple[str, object]) -> None:
    assert parse_param(item) == expected
