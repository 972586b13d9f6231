"""The emulator's documented error bodies and its validation errors naming the field."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest
from conftest import EmulatorHandle, http_error, start_emulator

from stt_cli import __version__


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


def test_the_control_endpoints_say_who_it_is_and_stop_it() -> None:
    """GET /_emulator/info names an stt emulator; POST /_emulator/shutdown answers, then it stops serving,
    unless the request comes from a web page (an Origin header), is not JSON, or (as this emulator has an
    --api-key) does not carry its key."""
    server = start_emulator(api_key="only-this")
    key = {"Authorization": "Bearer only-this"}
    try:
        root = server.base_url.removesuffix("/v1")
        assert http_error(urllib.request.Request(root + "/_emulator/info"))[0] == 401
        with urllib.request.urlopen(urllib.request.Request(root + "/_emulator/info", headers=key), timeout=5) as answer:
            assert answer.headers["Server"].startswith("stt-emulator")
            info = json.loads(answer.read())
        assert info == {
            "emulator": "stt",
            "version": __version__,
            "pid": os.getpid(),
            "base_url": server.base_url,
            "accepts_any_key": False,
            "requests_dropped": 0,
        }
        json_type = {"Content-Type": "application/json"}
        refused = [
            ({"Origin": "http://example.com", **json_type, **key}, 403),
            ({**json_type}, 401),
            ({"Authorization": "Bearer not-this", **json_type}, 401),
            ({**key}, 415),  # urllib's own form type
            ({"Content-Type": "text/plain", **key}, 415),
        ]
        for headers, status in refused:
            request = urllib.request.Request(root + "/_emulator/shutdown", data=b"", method="POST", headers=headers)
            assert http_error(request)[0] == status, headers
        assert server._thread is not None and server._thread.is_alive()
        request = urllib.request.Request(
            root + "/_emulator/shutdown", data=b"", method="POST", headers={**json_type, **key}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.loads(answer.read()) == {"ok": True, "pid": os.getpid()}
        server._thread.join(timeout=5)
        assert not server._thread.is_alive()  # the serving loop ended
    finally:
        server.stop()
