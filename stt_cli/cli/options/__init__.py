"""Shared command options, declared once and attached to commands in groups (each group becomes one object).

The groups live in submodules so that a command imports only the ones it uses: `stt status` needs the
connection options, not the sixty of `stt run` (start-up time is a feature).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from stt_cli.cli.build import Group, Opt
from stt_cli.core.defaults import BOUNDS, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT
from stt_cli.core.plan import ConnectionOptions, WaitOptions
from stt_cli.core.session import Connector
from stt_cli.formats.registry import NAMES as FORMAT_NAMES

TRANSCRIPTION = "Transcription"
OUTPUT = "Output"
WAITING = "Waiting"
CONNECTION = "Connection"


Format = StrEnum("Format", {name: name for name in FORMAT_NAMES})  # type: ignore[misc]  # from the registry


class Mode(StrEnum):
    strict = "strict"
    extended = "extended"


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


def finite(values: dict[str, Any], *names: str) -> None:
    """Refuse NaN and infinity for number options: click's ranges let them through (nan compares false)."""
    import math

    from stt_cli.errors import UsageError

    for name in names:
        value = values.get(name)
        if isinstance(value, float) and not math.isfinite(value):
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} {value} is not a finite number", f"give {flag} a number, e.g. {flag} 5")


def build_wait(values: dict[str, Any]) -> WaitOptions:
    finite(values, "poll_interval", "timeout")
    return WaitOptions(values["poll_interval"], values["timeout"])


WAIT_GROUP = Group(WaitOptions, WAIT_OPTS, build_wait)


CONNECTION_OPTS = (
    Opt(
        "base_url",
        Annotated[
            str | None,
            typer.Option(
                "--base-url",
                metavar="URL",
                rich_help_panel=CONNECTION,
                help="API base URL [env: AIML_API_BASE]",
                show_default=False,
            ),
        ],
    ),
    Opt(
        "api_key",
        Annotated[
            str | None,
            typer.Option(
                "--api-key",
                metavar="KEY",
                rich_help_panel=CONNECTION,
                help="API key [env: AIML_API_KEY]; prefer the env var or `stt auth login`",
                show_default=False,
            ),
        ],
    ),
)


def build_connector(values: dict[str, Any]) -> Connector:
    """The connection options as the use cases take them: a Connector that opens the session when asked,
    logging each request with -v and resuming the garbage collector once it is open (cli/main.py)."""
    from stt_cli.cli import output
    from stt_cli.cli.main import started

    log = output.debug if output.verbosity() >= output.VERBOSE else None
    return Connector(ConnectionOptions(values["base_url"], values["api_key"]), log=log, on_open=started)


CONNECTION_GROUP = Group(Connector, CONNECTION_OPTS, build_connector)


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(raw: str) -> float:
    """`30d`, `12h`, `90m`, `2w`, `45s` -> seconds (for --older-than)."""
    from stt_cli.errors import UsageError

    text = raw.strip().lower()
    try:
        value = float(text[:-1]) * DURATION_UNITS[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise UsageError(f"--older-than {raw!r} is not an age", "write e.g. 30d, 12h or 90m") from None
    if value < 0:
        raise UsageError(f"--older-than {raw!r} is negative", "write e.g. 30d")
    return value
