"""The emulator's documented error bodies and its validation errors naming the field."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from conftest import EmulatorHandle, http_error


@pytest.mark.parametrize(
    ("method", "path", "headers", "data", "status"),
    [
        ("GET", "/v1/stt/abc", {}, None, 401),
        ("GET", "/v1/stt/abc", {"Authorization": "Bearer k"}, None, 404),
        ("POST", "/v1/stt/create", {"Authorization": "Bearer k", "Content-Type": "application/json"}, b"{}", 400),
        ("POST", "/v1/stt/create", {"Authorization": "Basic k"}, b"{}", 401),
        ("GET", "/v1/nowhere", {}, None, 404),
    ],
)
def test_documented_error_bodies(
    emulator: EmulatorHandle, method: str, path: str, headers: dict[str, str], data: bytes | None, status: int
) -> None:
    request = urllib.request.Request(emulator.root + path, data=data, headers=headers, method=method)
    code, body = http_error(request)
    assert code == status
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert body["statusCode"] == status and body["path"] == path


def test_validation_errors_name_the_field(emulator: EmulatorHandle) -> None:
    body = json.dumps(
        {"model": "#g1_whisper-large", "url": "https://x/a.wav", "custom_topic_mode": "loose", "diarize": "maybe"}
    ).encode()
    request = urllib.request.Request(
        emulator.base_url + "/stt/create",
        data=body,
        method="POST",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    code, error = http_error(request)
    assert code == 400
    assert str(error["message"]).startswith("Body validation error!")
    assert "custom_topic_mode" in str(error["message"]) and "diarize" in str(error["message"])


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_processing_time_that_is_no_number_is_refused(cli, value: str) -> None:
    result = cli("emulator", "--processing-time", value, "--port", "0")
    assert result.exit_code == 2
    assert "not a finite number" in result.stderr
