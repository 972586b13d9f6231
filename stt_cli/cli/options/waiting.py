"""The waiting options (--poll-interval, --timeout): the WaitOptions of run and fetch."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.cli.build import Group, Opt
from stt_cli.cli.help import WAITING
from stt_cli.cli.options.values import finite
from stt_cli.core.defaults import BOUNDS, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT
from stt_cli.core.plan import WaitOptions

WAIT_OPTS = (
    Opt(
        "poll_interval",
        Annotated[
            float,
            typer.Option(
                "--poll-interval",
                min=BOUNDS["poll_interval"][0],
                metavar="SECONDS",
                rich_help_panel=WAITING,
                help="Longest gap between status polls",
            ),
        ],
        DEFAULT_POLL_INTERVAL,
    ),
    Opt(
        "timeout",
        Annotated[
            float,
            typer.Option(
                "--timeout",
                min=BOUNDS["timeout"][0],
                metavar="SECONDS",
                rich_help_panel=WAITING,
                help="Give up waiting after this long (0: never); exit 7",
            ),
        ],
        DEFAULT_TIMEOUT,
    ),
)


def build_wait(values: dict[str, Any]) -> WaitOptions:
    finite(values, "poll_interval", "timeout")
    return WaitOptions(values["poll_interval"], values["timeout"])


WAIT_GROUP = Group(WaitOptions, WAIT_OPTS, build_wait)
