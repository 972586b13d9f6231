"""Settings: loopback hosts and base URL normalisation."""

from __future__ import annotations

import pytest

from stt_cli.cli.hints import explain
from stt_cli.core.settings import Resolved, is_loopback_host, validate_base_url
from stt_cli.errors import Origin, UsageError


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("128.0.0.1", False),
        ("localhost.evil.com", False),
        ("0.0.0.0", False),
        ("::", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_base_url_normalisation() -> None:
    assert validate_base_url(Resolved("https://api.aimlapi.com/v1/", "x")) == "https://api.aimlapi.com/v1"
    assert validate_base_url(Resolved("http://[::1]:8750/v1", "x")) == "http://[::1]:8750/v1"
    with pytest.raises(UsageError, match="unencrypted") as refused:
        validate_base_url(Resolved("http://10.0.0.1/v1", "$AIML_API_BASE"))
    assert refused.value.origin == Origin("base_url", "$AIML_API_BASE")
    assert "(set by $AIML_API_BASE)" in explain(refused.value)[0]
