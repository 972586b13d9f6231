"""The one batch driver: a lone item raises its error; several share one summary and one exit code."""

from __future__ import annotations

import pytest
from fakes import FakeReporter

from stt_cli.core.batch import Batch, Item, OneByOne, Tracked, exit_code
from stt_cli.errors import ExitCode, Interrupted, JobFailed, ServerError, UsageError


@pytest.mark.parametrize(
    ("errors", "code"),
    [
        ([], ExitCode.OK),
        ([JobFailed("a")], ExitCode.JOB_FAILED),
        ([JobFailed("a"), JobFailed("b")], ExitCode.JOB_FAILED),
        ([JobFailed("a"), ServerError("b")], ExitCode.UNEXPECTED),
    ],
)
def test_the_exit_code_is_the_failures_shared_one(errors: list, code: int) -> None:  # type: ignore[type-arg]
    assert exit_code(errors) == code


def test_a_lone_item_raises_its_error() -> None:
    reporter = FakeReporter()

    def work(index: int, item: Tracked) -> int:
        raise UsageError("bad")

    with pytest.raises(UsageError):
        Batch(reporter, 1, 4).one(Item("a"), work)
    assert [item.label for item in reporter.items] == ["a"]


def test_several_items_go_on_past_a_failure_and_skip_what_is_skipped() -> None:
    reporter = FakeReporter()
    done: list[int] = []

    def work(index: int, item: Tracked) -> int:
        if index == 1:
            raise JobFailed("failed on the server")
        done.append(index)
        return 2

    items = [Item("a"), Item("b"), Item("c", skip="c.txt exists"), Item("d")]
    summary = Batch(reporter, 4, 2).many(
        items,
        work,
        view=OneByOne(reporter, [i.label for i in items]),
        on_cancel=lambda: None,
        stopped=lambda _: Interrupted("x"),
    )
    assert sorted(done) == [0, 3]
    assert (summary.total, summary.done, summary.skipped, summary.files) == (4, 2, 1, 4)
    assert [(label, type(error)) for label, error in summary.failures] == [("b", JobFailed)]
    assert [label for label, _ in reporter.failures] == ["b"]


def test_a_batch_sleep_stops_once_the_batch_is_cancelled() -> None:
    slept: list[float] = []
    batch = Batch(FakeReporter(), 2, 2, slept.append)
    batch.sleep(1.5)
    assert slept == [1.5]
    assert batch.pool is not None
    batch.pool.cancel.set()
    with pytest.raises(Interrupted):
        batch.sleep(1.5)
    assert slept == [1.5]
