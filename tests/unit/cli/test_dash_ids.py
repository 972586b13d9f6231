"""Job ids that start with "-": moved after "--" only when the ledger holds them, never an option's value."""

from __future__ import annotations

import pytest
from typer.main import get_command

from stt_cli.api.wire import is_valid_id
from stt_cli.cli.app import app
from stt_cli.cli.dash_ids import separate, takes_ids

RECORDED = {"-ocapture", "-V1StGXR8Z5jdHi6BmyT8"}


def _command(*path: str):
    group = get_command(app)
    ctx = group.make_context("stt", list(path), resilient_parsing=True)
    command = group
    for name in path:
        command = command.get_command(ctx, name)
    return command


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-ocapture"], ["--", "-ocapture"]),
        (["-ocapture", "-f", "txt"], ["-f", "txt", "--", "-ocapture"]),
        (["-ofile"], ["-ofile"]),  # no job of that id: -o file, as the user meant
        (["-o", "-ocapture"], ["-o", "-ocapture"]),  # an option's value stays one
        (["abc", "--", "-ocapture"], ["abc", "--", "-ocapture"]),  # already after --
        (["-V1StGXR8Z5jdHi6BmyT8", "--", "x"], ["--", "-V1StGXR8Z5jdHi6BmyT8", "x"]),
        (["-f", "json"], ["-f", "json"]),
    ],
)
def test_fetch_reads_recorded_dash_ids_as_ids(args: list[str], expected: list[str]) -> None:
    assert separate(_command("fetch"), args, RECORDED.__contains__) == expected


def test_only_commands_that_take_ids_are_touched() -> None:
    assert takes_ids(_command("status")) and takes_ids(_command("fetch")) and takes_ids(_command("jobs", "rm"))
    assert separate(_command("jobs", "rm"), ["-ocapture", "--yes"], RECORDED.__contains__) == [
        "--yes",
        "--",
        "-ocapture",
    ]
    assert not takes_ids(_command("run"))
    assert separate(_command("run"), ["-ocapture"], RECORDED.__contains__) == ["-ocapture"]


@pytest.mark.parametrize("word", ["-", "--", "-o", "-ab", "-abcdef"])
def test_short_dashed_words_are_no_ids(word: str) -> None:
    assert not is_valid_id(word)


def test_a_short_id_that_starts_with_a_dash_is_an_id() -> None:
    assert is_valid_id("-V1StGXR8Z5jdHi6BmyT8") and is_valid_id("--1StGXR8Z5jdHi6BmyT8")
