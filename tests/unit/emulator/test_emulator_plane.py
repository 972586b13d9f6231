"""The control plane's rules, as pure functions: which requests to /_emulator/* are refused, and which
control bodies are of the wrong shape."""

from __future__ import annotations

from email.message import Message
from typing import Any

import pytest

from stt_cli.emulator import plane


def headers(**values: str) -> Message:
    message = Message()
    for name, value in values.items():
        message[name.replace("_", "-")] = value
    return message


JSON = {"Content_Type": "application/json"}


@pytest.mark.parametrize(
    ("host", "status"),
    [("localhost:8750", None), ("127.0.0.1", None), ("127.9.9.9:1", None), ("[::1]:8750", None),
     ("LocalHost:8750", None), ("192.0.2.1:8750", 421), ("evil.example:8750", 421), ("localhost.:8750", 421),
     ("[2001:db8::1]:8750", 421), ("", 421)],
)  # fmt: skip
def test_the_controls_answer_only_to_a_loopback_host(host: str, status: int | None) -> None:
    refusal = plane.refusal("GET", "/_emulator/info", headers(Host=host), None)
    assert (refusal.status if refusal else None) == status


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("application/json", None), ("Application/JSON; charset=utf-8", None), ("text/plain", 415),
     ("application/x-www-form-urlencoded", 415), ("multipart/form-data; boundary=x", 415), (None, 415),
     ("application/json-seq", 415), ("text/plain; application/json", 415)],
)  # fmt: skip
def test_a_control_post_takes_only_json(content_type: str | None, status: int | None) -> None:
    values = {"Host": "127.0.0.1"} | ({"Content_Type": content_type} if content_type else {})
    refusal = plane.refusal("POST", "/_emulator/reset", headers(**values), None)
    assert (refusal.status if refusal else None) == status
    assert plane.refusal("GET", "/_emulator/requests", headers(Host="127.0.0.1"), None) is None


@pytest.mark.parametrize(
    ("authorization", "path", "status"),
    [(None, "/_emulator/info", 401), ("Bearer wrong", "/_emulator/reset", 401), ("Basic KEY", "/_emulator/info", 401),
     ("Bearer KEY", "/_emulator/reset", None), ("bearer  KEY ", "/_emulator/requests", None),
     (None, "/_emulator/prove", None), (None, "/_emulator/prove?x=1", None)],
)  # fmt: skip
def test_with_a_key_the_controls_need_it_but_prove(authorization: str | None, path: str, status: int | None) -> None:
    values = {"Host": "localhost", **JSON} | ({"Authorization": authorization} if authorization else {})
    refusal = plane.refusal("POST", path, headers(**values), "KEY")
    assert (refusal.status if refusal else None) == status
    assert plane.refusal("POST", path, headers(Host="localhost", **JSON), None) is None  # no key: none needed


@pytest.mark.parametrize(
    ("body", "said"),
    [([], "must be a JSON object"), ({"responses": {"status": 500}}, "must be a list"),
     ({"responses": [1]}, "responses[0] must be an object"), ({"responses": [{"statu": 500}]}, "unknown field"),
     ({"responses": [{"status": 99}]}, "an HTTP status"), ({"responses": [{"status": True}]}, "an HTTP status"),
     ({"responses": [{"action": "explode"}]}, "action must be one of"),
     ({"responses": [{"delay": -1}]}, "delay must be from 0"), ({"responses": [{"delay": float("nan")}]}, "a number"),
     ({"responses": [{"after_bytes": 1.5}]}, "after_bytes"), ({"responses": [{"headers": []}]}, "headers must be"),
     ({"responses": [{"headers": {"X Y": "1"}}]}, "not a header name"),
     ({"responses": [{"headers": {"X": "a\r\nSet-Cookie: b"}}]}, "one line of text"),
     ({"responses": [{}] * (plane.MAX_FAULTS + 1)}, "at most 1000 faults")],
)  # fmt: skip
def test_a_fault_script_of_the_wrong_shape_is_refused_whole(body: Any, said: str) -> None:
    with pytest.raises(plane.Invalid) as refused:
        plane.fault_responses(body, queued=0)
    assert said in str(refused.value)


def test_a_fault_script_of_the_right_shape_is_kept_as_it_is() -> None:
    responses = [{"status": 503, "headers": {"Retry-After": 2}, "body": {"any": ["json"]}, "delay": 0.5},
                 {"action": "reset", "after_bytes": 0}, {"action": "pass"}, {}]  # fmt: skip
    assert plane.fault_responses({"endpoint": "poll", "responses": responses}, queued=0) == responses
    with pytest.raises(plane.Invalid, match="at most"):
        plane.fault_responses({"responses": [{}]}, queued=plane.MAX_FAULTS)


@pytest.mark.parametrize(
    ("check", "body", "said"),
    [(plane.next_job, [], "JSON object"), (plane.next_job, {"fail": 3}, "fail must be a text"),
     (plane.next_job, {"processing_time": "soon"}, "must be a number"),
     (plane.next_job, {"processing_time": -1}, "from 0"), (plane.next_job, {"fial": "x"}, "unknown field 'fial'"),
     (plane.generation_id, [], "JSON object"), (plane.generation_id, {"generation_id": 5}, "must be a text"),
     (plane.seconds, "x", "JSON object"), (plane.seconds, {"seconds": -2}, "a number >= 0"),
     (plane.seconds, {"seconds": True}, "a number >= 0")],
)  # fmt: skip
def test_the_other_control_bodies_are_checked(check: Any, body: Any, said: str) -> None:
    with pytest.raises(plane.Invalid) as refused:
        check(body)
    assert said in str(refused.value)


def test_the_other_control_bodies_of_the_right_shape() -> None:
    assert plane.next_job({"fail": "bad audio", "processing_time": 0}) == {"fail": "bad audio", "processing_time": 0}
    assert plane.next_job({}) == {} and plane.generation_id({"generation_id": "abc"}) == "abc"
    assert plane.seconds({"seconds": 30}) == 30.0
