"""The key file: each key bound to its host, the host normalised, a key file of version 1 the service's, and the
file read from the descriptor that was checked, with a cap."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stt_cli.core.credentials import (
    DEFAULT_HOST,
    key_file,
    key_host,
    read_stored_keys,
    remove_keys,
    store_key,
    stored_key_for,
)
from stt_cli.errors import AuthError, UsageError


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.aimlapi.com/v1", "https://api.aimlapi.com"),
        ("HTTPS://API.AIMLAPI.COM:443/v2/", "https://api.aimlapi.com"),
        ("https://api.aimlapi.com./v1", "https://api.aimlapi.com"),
        ("https://api.aimlapi.com:8443/v1", "https://api.aimlapi.com:8443"),
        ("http://127.0.0.1:8750/v1", "http://127.0.0.1:8750"),
        ("http://localhost:80/v1", "http://localhost"),
        ("http://[::1]:8750/v1", "http://[::1]:8750"),
    ],
)
def test_a_host_is_its_scheme_host_and_port_normalised(url: str, host: str) -> None:
    assert key_host(url) == host


def test_scheme_and_port_tell_hosts_apart() -> None:
    assert key_host("http://127.0.0.1:8750/v1") != key_host("http://127.0.0.1:8751/v1")
    assert key_host("http://localhost/v1") != key_host("https://localhost/v1")
    assert key_host("http://localhost/v1") != key_host("http://127.0.0.1/v1")  # names are not resolved


def test_keys_are_stored_and_found_by_host() -> None:
    store_key("sk-service-0000000000000001")
    store_key("sk-local-00000000000000002", "http://127.0.0.1:8750/v1")
    assert stored_key_for("https://api.aimlapi.com/v1") == "sk-service-0000000000000001"
    assert stored_key_for("http://127.0.0.1:8750/elsewhere") == "sk-local-00000000000000002"
    assert stored_key_for("http://127.0.0.1:8751/v1") is None
    assert remove_keys("http://127.0.0.1:8750/v1") == (key_file(), ["http://127.0.0.1:8750"])
    assert read_stored_keys() == {DEFAULT_HOST: "sk-service-0000000000000001"}
    assert remove_keys() == (key_file(), [DEFAULT_HOST]) and not key_file().exists()


def _write(data: bytes) -> Path:
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def test_a_key_file_of_version_1_belongs_to_the_service() -> None:
    _write(json.dumps({"api_key": " sk-old-000000000000000003\n"}).encode())
    assert read_stored_keys() == {DEFAULT_HOST: "sk-old-000000000000000003"}
    assert stored_key_for("http://127.0.0.1:8750/v1") is None


@pytest.mark.parametrize("body", [b"[]", b'{"keys": []}', b'{"keys": {"https://a.example": 1}}', b"{", b"\xff"])
def test_a_broken_key_file_is_an_auth_error(body: bytes) -> None:
    _write(body)
    with pytest.raises(AuthError, match="unreadable or corrupt"):
        read_stored_keys()


def test_a_key_file_past_its_cap_is_not_read_whole() -> None:
    _write(b'{"api_key": "' + b"k" * (1 << 20) + b'"}')
    with pytest.raises(UsageError, match="no key file"):
        read_stored_keys()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_key_file_swapped_for_a_device_is_refused_not_read() -> None:
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.symlink_to("/dev/zero")  # what a swap after a check would leave: the descriptor is what is checked
    with pytest.raises(UsageError, match="not a regular file"):
        read_stored_keys()
