"""The poll schedule and the wait loop, on a fake clock: its gaps, its deadline, its warnings."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from stt_cli.api.wire import parse_job
from stt_cli.cli.hints import explain
from stt_cli.core.waiting import poll_delays
from stt_cli.errors import Fix


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

        self.asked.append(self.clock.now)
        word = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        body: dict[str, object] = {"status": word}
        if word == "completed":
            body["result"] = {"text": "done"}
        return parse_job(body, job_id)


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


def test_the_wait_loop_follows_its_schedule_on_a_fake_clock(tmp_path: Path) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.core.waiting import wait

    fake = _FakeClock()
    client = _FakeClient(["waiting"] * 6 + ["active"] * 4 + ["completed"], fake)
    warnings: list[str] = []
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
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


def test_the_wait_loop_gives_up_at_its_timeout_without_waiting_past_it(tmp_path: Path) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.core.waiting import wait
    from stt_cli.errors import StillPending

    fake = _FakeClock()
    client = _FakeClient(["active"], fake)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger, pytest.raises(StillPending) as gave_up:
        wait(client, ledger, "job-2", timeout=30, poll_interval=8, warn=print, sleep=fake.sleep, clock=fake.clock)  # type: ignore[arg-type]
    assert fake.now == pytest.approx(30.0) and max(fake.sleeps) <= 8.0
    assert "gave up waiting after 30 s" in gave_up.value.message
    assert gave_up.value.fix is Fix.RESUME and gave_up.value.facts["job_id"] == "job-2"
    assert "stt fetch job-2" in (explain(gave_up.value)[1] or "")


def test_the_wait_loop_hands_an_unknown_status_to_its_caller_once_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stt_cli.core.ledger import Ledger
    from stt_cli.core.waiting import wait

    fake = _FakeClock()
    client = _FakeClient(["transcoding"] * 3 + ["completed"], fake)
    warnings: list[str] = []
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        wait(
            client,  # type: ignore[arg-type]
            ledger,
            "job-3",
            timeout=0,
            poll_interval=8,
            warn=warnings.append,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert warnings == ["the service reported an unknown status 'transcoding'; still waiting"]
    assert capsys.readouterr() == ("", "")
