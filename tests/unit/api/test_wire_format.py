"""The wire format: both envelopes, error bodies, created ids, server messages, form encoding."""

from __future__ import annotations

import pytest

from stt_cli.api.wire import Status, emulator_engine, form_fields, parse_created, parse_job, server_message


def test_envelope_a_and_b_read_the_same() -> None:
    a = parse_job({"status": "completed", "generation_id": "g1", "result": {"x": 1}}, "req")
    b = parse_job({"id": "g1", "status": "completed", "output": {"x": 1}, "error": None}, "req")
    assert (
        (a.generation_id, a.status, a.payload)
        == (b.generation_id, b.status, b.payload)
        == ("req", Status.COMPLETED, {"x": 1})  # the job asked about: an id in the answer is never trusted
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"status": "error", "error": {"name": "E", "message": "decode failed"}}, "decode failed"),
        ({"status": "failed", "error": "plain string"}, "plain string"),
        ({"status": "failed", "message": "from message"}, "from message"),
        ({"status": "failed"}, None),
    ],
)
def test_error_text_from_every_documented_place(body: dict[str, object], error: str | None) -> None:
    state = parse_job(body, "id")
    assert state.status is Status.FAILED
    assert state.error == error
    assert state.generation_id == "id"


def test_malformed_poll_bodies_are_errors() -> None:
    for body in ([], "x", {"result": {}}, {"status": "completed", "result": "text"}):
        with pytest.raises(ValueError):
            parse_job(body, "id")


def test_created_ids_of_any_shape() -> None:
    assert parse_created({"generation_id": "abc"}) == "abc"
    assert parse_created({"id": 42, "status": "queued"}) == "42"
    with pytest.raises(ValueError):
        parse_created({"status": "queued"})


def test_server_message_forms() -> None:
    assert server_message(b'{"message": "Body validation error!", "statusCode": 400}') == "Body validation error!"
    assert server_message(b'{"message": ["a", "b"]}') == "a; b"
    assert server_message(b'{"error": {"message": "inner"}}') == "inner"
    assert server_message(b"<html>Bad Gateway</html>") == "<html>Bad Gateway</html>"
    assert server_message(b"") == ""
    assert server_message(b'{"message": "line1\\nline2\\u001b[31m"}') == "line1 | line2"


def test_form_encoding() -> None:
    """Lists as `name[]` fields (a list of one too: a server tells it from a string), objects as JSON text, a
    null left out."""
    options = {"a": True, "b": False, "n": 1.5, "i": 2, "f": 3.0, "l": ["x", "y"], "one": ["z"], "s": "é"}
    assert form_fields({**options, "o": {"k": [1]}, "lo": [{"from": "a", "to": "b"}], "none": None}) == [
        ("a", "true"),
        ("b", "false"),
        ("n", "1.5"),
        ("i", "2"),
        ("f", "3"),
        ("l[]", "x"),
        ("l[]", "y"),
        ("one[]", "z"),
        ("s", "é"),
        ("o", '{"k":[1]}'),
        ("lo[]", '{"from":"a","to":"b"}'),
    ]


@pytest.mark.parametrize(
    "job_id",
    [
        "e3d46bba-7562-44a9-b440-504d940342a3",  # the Whisper page
        "227b2ca6-72a6-4e82-906d-957ba03e470f",  # the slam-1 page
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890",  # the Nova-3 page
        "RlLz0hRdAs9voL5Qi1Pzr",  # the gpt-4o page
        "dzIgQQyw8KCfoI5clcbHZ",  # the gpt-4o-mini page
        "XY3D-mYpFxC-WIx-Lv3wh",  # the MAI page
        "V1StGXR8Z5jdHi6BmyT8k",  # the tracing page's x-inference-id
        "_x4Pq0rS7tUvWyZ1a2b3c",  # a short id may start with "_"
    ],
)
def test_every_id_shape_the_documents_show_is_taken(job_id: str) -> None:
    assert parse_created({"generation_id": job_id, "status": "queued"}) == job_id


@pytest.mark.parametrize(
    ("header", "engine"),
    [
        ("pocketsphinx 5.1.1", "pocketsphinx"),
        ("vosk", "vosk"),
        ("pocketsphinx 5.1.1, pocketsphinx 5.1.1", None),  # a repeated header, as httpx joins it
        ("pocketsphinx\x1b[2J 5", None),
        ("PocketSphinx 5", None),
        ("pocketsphinx  5", None),
        ("p" * 33, None),
        ("pocketsphinx " + "9" * 10_000, None),
        ("", None),
        (None, None),
    ],
)
def test_the_engine_header_gives_a_plain_name_or_nothing(header: str | None, engine: str | None) -> None:
    assert emulator_engine(header) == engine
