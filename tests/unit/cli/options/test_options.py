"""Option parsing: --param KEY=VALUE split at its first `=`, the value kept as typed (the model's schema types
it: tests/unit/api/test_params.py)."""

from __future__ import annotations

import pytest

from stt_cli.cli.options.transcription import parse_param
from stt_cli.errors import UsageError


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("a=b", ("a", "b")),
        ("a=true", ("a", "true")),
        ("a=-3", ("a", "-3")),
        ("a=", ("a", "")),
        ("a=x=y", ("a", "x=y")),
        (" a =[1,true]", ("a", "[1,true]")),
        ('a={"k":1}', ("a", '{"k":1}')),
        ("a=--x", ("a", "--x")),
    ],
)
def test_param_parsing(item: str, expected: tuple[str, object]) -> None:
    assert parse_param(item) == expected


@pytest.mark.parametrize(("item", "needle"), [("novalue", "is not KEY=VALUE"), ("=x", "is not KEY=VALUE"),
                                              ("model=nova-3", "use --model")])  # fmt: skip
def test_param_refusals_name_the_flag(item: str, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        parse_param(item)
    with pytest.raises(UsageError, match="--param-json"):
        parse_param(item, "--param-json")
