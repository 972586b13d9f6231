"""The connection options (--base-url, --api-key): the Connector every command that asks the service takes."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stt_cli.cli import output
from stt_cli.cli.build import Group, Opt
from stt_cli.cli.help import CONNECTION
from stt_cli.cli.hints import source_words
from stt_cli.cli.main import resume_collector
from stt_cli.core.session import ConnectionOptions, Connector

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

    log = output.debug if output.verbosity() >= output.VERBOSE else None
    connection = ConnectionOptions(values["base_url"], values["api_key"])
    return Connector(connection, log=log, on_open=resume_collector, describe=source_words)


CONNECTION_GROUP = Group(Connector, CONNECTION_OPTS, build_connector, carried=("base_url",))
