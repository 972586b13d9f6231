"""The emulator's documented error bodies and its validation errors naming the field."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"model": "nova-3", "keywords": ' + b"[" * 5000])
def test_a_body_nested_past_the_parser_is_a_validation_error_and_the_emulator_serves_on(
    emulator: EmulatorHandle, body: bytes
) -> None:
    request = urllib.request.Request(
        emulator.base_url + "/stt/create",
        data=body,
        method="POST",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    code, error = http_error(request)
    assert code == 400 and str(error["message"]).startswith("Body validation error!")
    with urllib.request.urlopen(emulator.base_url + "/models", timeout=10) as answer:
        assert answer.status == 200


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


# --- As the provider's documents show it: ids per family, aliases, MAI's usage --------------------------------
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SHORT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{20}")  # RlLz0hRdAs9voL5Qi1Pzr, XY3D-mYpFxC-WIx-Lv3wh


def _create(emulator: EmulatorHandle, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        emulator.base_url + "/stt/create",
        data=json.dumps({**body, "url": "https://x/a.wav"}).encode(),
        method="POST",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


@pytest.mark.parametrize(
    ("model_id", "shape"),
    [("#g1_whisper-large", UUID), ("#g1_nova-2-phonecall", UUID), ("nova-3", UUID), ("aai/slam-1", UUID),
     ("openai/gpt-4o-transcribe", SHORT_ID), ("microsoft/mai-transcribe-1.5", SHORT_ID)],
)  # fmt: skip
def test_job_ids_are_shaped_as_each_family_s_page_shows_and_stt_takes_them(
    cli, emulator: EmulatorHandle, talk: Path, model_id: str, shape: re.Pattern[str]
) -> None:
    for _ in range(3):
        assert shape.fullmatch(str(_create(emulator, {"model": model_id})["generation_id"]))
    submitted = cli("submit", str(talk), "-m", model_id, "--json")
    assert submitted.exit_code == 0, submitted.stderr
    job_id = json.loads(submitted.stdout)["generation_id"]
    assert shape.fullmatch(job_id) and cli("fetch", job_id).exit_code == 0


def test_envelope_b_gives_every_family_a_short_id(emulator_b: EmulatorHandle) -> None:
    for model_id in ("#g1_whisper-large", "aai/universal", "microsoft/mai-transcribe-1.5"):
        assert SHORT_ID.fullmatch(str(_create(emulator_b, {"model": model_id})["generation_id"]))


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [("slam-1", "aai/slam-1"), ("whisper-large", "#g1_whisper-large"), ("nova-2-general", "#g1_nova-2-general"),
     ("gpt-4o-transcribe", "openai/gpt-4o-transcribe"), ("universal", "aai/universal")],
)  # fmt: skip
def test_the_gateway_s_aliases_create_a_job_of_their_model(emulator: EmulatorHandle, alias: str, model_id: str) -> None:
    """The schemas' enums spell some ids as their aliases (slam-1, whisper-large, nova-2-general): each is taken
    and stands for its model, whose answers the job gives."""
    created = _create(emulator, {"model": alias})
    [create] = emulator.creates()
    assert (create["model"], create["model_requested"]) == (model_id, alias)
    assert emulator.server.state.jobs[str(created["generation_id"])].model == model_id
    emulator.advance(60)
    request = urllib.request.Request(
        f"{emulator.base_url}/stt/{created['generation_id']}", headers={"Authorization": "Bearer k"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        result = json.loads(response.read())["result"]
    if model_id.startswith("aai/"):
        assert result["speech_model"] == model_id.removeprefix("aai/")  # as the pages' results name it
    elif "metadata" in result:
        [info] = result["metadata"]["model_info"].values()
        assert info["name"] == model_id


def test_an_alias_is_exact_and_an_unknown_name_is_refused(emulator: EmulatorHandle) -> None:
    for name in ("SLAM-1", "whisper-huge"):
        request = urllib.request.Request(
            emulator.base_url + "/stt/create",
            data=json.dumps({"model": name, "url": "https://x/a.wav"}).encode(),
            method="POST",
            headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
        )
        code, body = http_error(request)
        assert code == 400 and f"model: '{name}' is not one of the available models" in str(body["message"])


def test_mai_s_usage_is_seconds_and_cost_as_its_page_shows(cli, emulator: EmulatorHandle, talk: Path) -> None:
    assert cli("run", str(talk), "-m", "mai-transcribe-1.5").exit_code == 0
    mai = json.loads(cli("fetch", "-f", "json").stdout)["usage"]
    assert set(mai) == {"seconds", "cost"} and mai["seconds"] == 19  # the 18.3 s sample, its started second too
    assert mai["cost"] == pytest.approx(19 * 0.0001)  # the page: 11 s cost 0.0011
    assert cli("run", str(talk), "-m", "gpt-4o-transcribe").exit_code == 0
    tokens = json.loads(cli("fetch", "-f", "json").stdout)["usage"]
    assert tokens["type"] == "tokens" and tokens["input_token_details"]["audio_tokens"] == tokens["input_tokens"]


# --- The model list and the cost headers, as the provider's pages show them -----------------------------
def _get(url: str, **headers: str) -> tuple[int, Any, Any]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            data = answer.read()
            return answer.status, json.loads(data) if data else None, answer.headers
    except urllib.error.HTTPError as refused:
        data = refused.read()
        return refused.code, json.loads(data) if data else None, refused.headers


def test_the_model_list_has_the_documented_shape_filters_and_sections(emulator: EmulatorHandle) -> None:
    status, listing, headers = _get(emulator.base_url + "/models")
    assert status == 200 and listing["object"] == "list" and len(listing["data"]) == 23
    whisper = next(m for m in listing["data"] if m["id"] == "#g1_whisper-large")
    assert set(whisper) == {"id", "aliases", "type", "info", "tags"}  # identity only, by default
    assert whisper["aliases"] == ["whisper-large"] and set(whisper["info"]) == {"name", "developer"}
    _, priced, _ = _get(emulator.base_url + "/models?include=pricing,bogus&id=WHISPER-LARGE&id=nova-3")
    assert [m["id"] for m in priced["data"]] == ["#g1_whisper-large", "nova-3"]  # an alias, any case, repeated
    assert priced["data"][0]["pricing"] == {
        "kind": "fixed", "currency": "USD", "units": [{"name": "second", "price": 0.0001, "per": 1}]
    }  # fmt: skip
    _, everything, _ = _get(emulator.base_url + "/models?details=true&id=aai/universal")
    assert {"pricing", "modalities", "capabilities"} <= set(everything["data"][0])
    _, none, _ = _get(emulator.base_url + "/models?id=no-such-model")
    assert none == {"object": "list", "data": []}
    assert _get(emulator.root + "/models")[1] == listing == _get(emulator.root + "/api/v1/models")[1]
    assert headers["ETag"].startswith('W/"')


def test_the_model_list_answers_304_to_its_own_etag(emulator: EmulatorHandle) -> None:
    url = emulator.base_url + "/models?include=pricing"
    _, _, headers = _get(url)
    status, body, again = _get(url, **{"If-None-Match": headers["ETag"]})
    assert (status, body, again["ETag"]) == (304, None, headers["ETag"])
    assert _get(url, **{"If-None-Match": 'W/"other"'})[0] == 200
    assert _get(emulator.base_url + "/models", **{"If-None-Match": headers["ETag"]})[0] == 200  # another answer


def test_one_model_by_id_or_alias_outside_v1(emulator: EmulatorHandle) -> None:
    status, found, _ = _get(emulator.root + "/model/openai/gpt-4o-transcribe?include=pricing")
    assert status == 200 and found["object"] == "model" and found["data"]["id"] == "openai/gpt-4o-transcribe"
    assert found["data"]["pricing"]["units"][0]["name"] == "second"
    assert _get(emulator.root + "/model/UNIVERSAL")[1]["data"]["id"] == "aai/universal"
    assert _get(emulator.root + "/model/no-such")[0] == 404
    assert _get(emulator.base_url + "/model/aai/universal")[0] == 404  # not registered under /v1


def test_a_price_per_second_sets_the_cost_headers_and_the_list() -> None:
    from decimal import Decimal

    server = start_emulator(price_per_second=Decimal("0.00025"))
    try:
        handle = EmulatorHandle(server)
        _, listing, _ = _get(handle.base_url + "/models?include=pricing&id=nova-3")
        assert listing["data"][0]["pricing"]["units"][0]["price"] == 0.00025
        handle.next_job(fail="bad audio")
        request = urllib.request.Request(
            handle.base_url + "/stt/create",
            method="POST",
            data=json.dumps({"model": "nova-3", "url": "https://x/a.wav"}).encode(),
            headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            job = json.loads(answer.read())["generation_id"]
            assert answer.headers["x-aimlapi-usd-spent"] == "0.007500000"  # 30 s of a URL's audio
            assert answer.headers["x-aimlapi-credits-used"] == "15000"
        code, _, headers = _get(handle.base_url + "/stt/nope-404", Authorization="Bearer k")
        assert code == 404 and headers["x-inference-id"] == "nope-404" and "x-aimlapi-usd-spent" not in headers
        assert _get(handle.base_url + "/stt/" + job, Authorization="Bearer k")[2]["x-inference-id"] == job
    finally:
        server.stop()


def test_charge_on_takes_only_the_documented_readings(emulator: EmulatorHandle) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        emulator.next_job(charge_on="twice")
    assert refused.value.code == 400


@pytest.mark.parametrize("value", ["nan", "-1", "1e3", "101", "0x1", "abc"])
def test_a_price_that_is_no_price_is_refused(cli, value: str) -> None:
    result = cli("emulator", "--price-per-second", value, "--port", "0")
    assert result.exit_code == 2
    assert "--price-per-second" in result.stderr and "is not a price" in result.stderr
