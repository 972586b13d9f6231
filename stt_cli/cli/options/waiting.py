"""The waiting options (--poll-interval, --timeout): the WaitOptions of run and fetch."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.cli.build import Group, Opt
from stt_cli.cli.help import WAITING
from stt_cli.cli.options.values import duration
from stt_cli.core.defaults import BOUNDS, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, shown_duration
from stt_cli.core.options import WaitOptions

WAIT_OPTS = (
    Opt(
        "poll_interval",
        Annotated[
            str,
            typer.Option(
                "--poll-interval",
                metavar="DURATION",
                rich_help_panel=WAITING,
                help="Longest gap between status polls (90, 90s, 5m, 1h30m)",
            ),
        ],
        shown_duration(DEFAULT_POLL_INTERVAL),
    ),
    Opt(
        "timeout",
        Annotated[
            str,
            typer.Option(
                "--timeout",
                metavar="DURATION",
                rich_help_panel=WAITING,
                help="Give up waiting after this long (0: never); exit 7",
            ),
        ],
        shown_duration(DEFAULT_TIMEOUT),
    ),
)


def build_wait(values: dict[str, Any]) -> WaitOptions:
    poll_interval = duration("--poll-interval", values["poll_interval"], BOUNDS["poll_interval"][0])
    return WaitOptions(poll_interval, duration("--timeout", values["timeout"], BOUNDS["timeout"][0]))


WAIT_GROUP = Group(WaitOptions, WAIT_OPTS, build_wait)
