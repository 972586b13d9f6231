"""Unit tests of the pure parts: envelopes, error bodies, encodings, loopback check, poll schedule, parsers."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stt_cli.api.wire import Status, form_fields, parse_created, parse_job, server_message
from stt_cli.cli.options.request import parse_param
from stt_cli.core.settings import Resolved, is_loopback_host, validate_base_url
from stt_cli.core.waiting import poll_delays
from stt_cli.emulator.server import HttpError, iter_multipart
from stt_cli.errors import UsageError


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
    assert form_fields({"a": True, "b": False, "n": 1.5, "i": 2, "f": 3.0, "l": ["x", "y"], "s": "é"}) == [
        ("a", "true"),
        ("b", "false"),
        ("n", "1.5"),
        ("i", "2"),
        ("f", "3"),
        ("l", "x"),
        ("l", "y"),
        ("s", "é"),
    ]


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
    with pytest.raises(UsageError, match="set by \\$AIML_API_BASE"):
        validate_base_url(Resolved("http://10.0.0.1/v1", "$AIML_API_BASE"))


def test_poll_schedule_starts_fast_and_backs_off_to_the_interval() -> None:
    delays = list(itertools.islice(poll_delays(8.0), 40))
    assert delays[:4] == [0.5, 0.5, 0.5, 0.5]
    assert all(b >= a for a, b in itertools.pairwise(delays))
    assert delays[-1] == 8.0
    moments = list(itertools.accumulate(delays))
    assert sum(1 for m in moments if m <= 10) <= 10  # no more than one poll a second over the first 10 s
    assert sum(1 for m in moments if m <= 120) < 30
    for before, after in itertools.pairwise(moments):
        if before >= 2:  # a result is seen at most a fifth of the wait (or 1 s, or the interval) after it is ready
            assert after - before <= max(1.0, 0.2 * before) + 1e-9
    assert list(itertools.islice(poll_delays(0.2), 3)) == [0.2, 0.2, 0.2]  # --poll-interval caps every gap


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


class _FakeClock:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class _FakeClient:
    """Answers each status query from a script, noting the time of each (a stand-in for the HTTP layer)."""

    base_url = "http://127.0.0.1:1/v1"

    def __init__(self, statuses: list[str], clock: _FakeClock) -> None:
        self.statuses = statuses
        self.clock = clock
        self.asked: list[float] = []

    def get_job(self, job_id: str, *, until: float | None = None) -> object:
        from stt_cli.api.wire import parse_job

        self.asked.append(self.clock.now)
        word = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        body: dict[str, object] = {"status": word}
        if word == "completed":
            body["result"] = {"text": "done"}
        return parse_job(body, job_id)


def test_the_wait_loop_follows_its_schedule_on_a_fake_clock(tmp_path: Path) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.core.waiting import wait

    fake = _FakeClock()
    client = _FakeClient(["waiting"] * 6 + ["active"] * 4 + ["completed"], fake)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    warnings: list[str] = []
    payload = wait(
        client,  # type: ignore[arg-type]
        ledger,
        "job-1",
        timeout=600,
        poll_interval=8,
        warn=warnings.append,
        sleep=fake.sleep,
        clock=fake.clock,
        fresh=True,
    )
    assert payload == {"text": "done"} and warnings == []
    assert client.asked[:6] == [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]  # every half second for 2 s, then growing gaps
    gaps = [b - a for a, b in zip([0.0, *client.asked[:-1]], client.asked, strict=True)]
    assert len(client.asked) == 11 and fake.sleeps == pytest.approx(gaps)
    ledger.close()


def test_the_wait_loop_gives_up_at_its_timeout_without_waiting_past_it(tmp_path: Path) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.core.waiting import wait
    from stt_cli.errors import StillPending

    fake = _FakeClock()
    client = _FakeClient(["active"], fake)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    with pytest.raises(StillPending) as gave_up:
        wait(client, ledger, "job-2", timeout=30, poll_interval=8, warn=print, sleep=fake.sleep, clock=fake.clock)  # type: ignore[arg-type]
    assert fake.now == pytest.approx(30.0) and max(fake.sleeps) <= 8.0
    assert "gave up waiting after 30 s" in gave_up.value.message and "stt fetch job-2" in (gave_up.value.hint or "")
    ledger.close()


def test_the_wait_loop_hands_an_unknown_status_to_its_caller_once_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.core.waiting import wait

    fake = _FakeClock()
    client = _FakeClient(["transcoding"] * 3 + ["completed"], fake)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    warnings: list[str] = []
    wait(client, ledger, "job-3", timeout=0, poll_interval=8, warn=warnings.append, sleep=fake.sleep, clock=fake.clock)  # type: ignore[arg-type]
    assert warnings == ["the service reported an unknown status 'transcoding'; still waiting"]
    assert capsys.readouterr() == ("", "")
    ledger.close()


def test_the_private_click_inside_typer_still_has_what_stt_uses() -> None:
    """stt_cli/cli/click_api.py is the one import of typer._click: a Typer upgrade that moves a name fails here."""
    import typer

    from stt_cli.cli import click_api

    for name in click_api.__all__:
        assert getattr(click_api, name, None) is not None, f"typer {typer.__version__} has no click {name}"
    assert issubclass(click_api.ClickUsageError, click_api.ClickException)
    assert issubclass(click_api.NoArgsIsHelpError, click_api.ClickUsageError)
    assert hasattr(click_api.HelpFormatter, "write_dl") and hasattr(click_api.Context, "command_path")
