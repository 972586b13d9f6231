"""`stt auth login|status|logout`: store, show (masked) and remove the API key."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, group, sub_command
from stt_cli.core import credentials
from stt_cli.core.usecases import auth

AUTH_HELP = """Store, show or remove the API key.

AIML_API_KEY, when set, wins over the stored key; --api-key wins over both.

Examples:
  stt auth login
  printf %s "$KEY" | stt auth login
  stt auth status
"""

auth_app = group("auth", AUTH_HELP, no_args_is_help=True)


@sub_command(auth_app)
def login(
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Store the key without asking the service whether it accepts it")
    ] = False,
) -> None:
    """Store the API key: typed at a hidden prompt, or read from a pipe.

    The service is asked first whether it accepts the key (one status query
    for a job that cannot exist: nothing is created or billed); a refused key
    is not stored. The key file is readable by you only (0600). Keys are
    issued at https://aimlapi.com/app/keys.

    Examples:
      stt auth login
      printf %s "$KEY" | stt auth login
      stt auth login --no-check       # offline: store it unchecked
    """
    hidden = sys.stdin.isatty()
    raw = getpass.getpass("API key (input hidden): ", stream=sys.stderr) if hidden else sys.stdin.read()
    masked, path, warnings, checked = auth.login(raw, check=not no_check)
    output.info(f"stored key {masked} in {path}" + (f"; {checked}" if checked else " (not checked)"))
    for warning in warnings:
        output.warn(warning)


@sub_command(auth_app)
def status(
    as_json: JsonOpt = False,
    api_key: Annotated[str | None, typer.Option("--api-key", metavar="KEY", help="Check this key instead")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Also ask the service whether it accepts the key (exit 3 if not)")
    ] = False,
) -> None:
    """Show which key is in use and where it comes from (masked to its last 4).

    With --check, one status query for a job that cannot exist tells an
    accepted key (404) from a refused one (401, 403: exit 3); nothing is
    created or billed.

    Examples:
      stt auth status --check
      stt auth status --json | jq -r .source
    """
    state = auth.status(api_key)
    if state["source"] == "flag":  # the lower layers name the command line's key "flag"
        state["source"] = "--api-key"
    if check:
        state["check"] = auth.check(api_key)
    if as_json:
        output.json_lines([state])
        return
    output.data(
        f"key:      {state['key']} (from {state['source']})\n"
        f"base URL: {state['base_url']} (from {state['base_url_source']})\n"
        + (f"check:    {state['check']}\n" if check else "")
    )


@sub_command(auth_app)
def logout() -> None:
    """Remove the stored key file.

    Examples:
      stt auth logout
      stt auth logout && stt auth status   # exit 3 unless AIML_API_KEY is set
    """
    removed, warnings = auth.logout()
    output.info(f"removed {removed}" if removed else f"no stored key ({credentials.key_file()} does not exist)")
    for warning in warnings:
        output.warn(warning)
