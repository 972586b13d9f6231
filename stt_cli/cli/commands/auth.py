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
A stored key is sent only to the host it was stored for (the service's,
unless `stt auth login --base-url URL` names another).

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
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", metavar="URL", help="The service the key is for (default: the service's)"),
    ] = None,
) -> None:
    """Store the API key for a service: typed at a hidden prompt, or piped.

    The service is asked first whether it accepts the key (one status query
    for a job that cannot exist: nothing is created or billed); a refused key
    is not stored. The key file is readable by you only (0600). Keys are
    issued at https://aimlapi.com/app/keys.

    The key is stored for the host of --base-url (default: the service's,
    https://api.aimlapi.com) and sent to that host only; another base URL
    (AIML_API_BASE, the config file) gets a key from AIML_API_KEY or
    --api-key, or one stored for it.

    Examples:
      printf %s "$KEY" | stt auth login
      stt auth login --no-check       # offline: store it unchecked
      stt auth login --base-url https://proxy.example.com/v1
    """
    hidden = sys.stdin.isatty()
    raw = getpass.getpass("API key (input hidden): ", stream=sys.stderr) if hidden else sys.stdin.read()
    done = auth.login(raw, check=not no_check, base_flag=base_url)
    how = f"; {done.checked}" if done.checked else " (not checked)"
    output.info(f"stored key {done.masked} for {done.host} in {done.path}{how}")
    for warning in done.warnings:
        output.warn(warning)


@sub_command(auth_app)
def status(
    as_json: JsonOpt = False,
    api_key: Annotated[str | None, typer.Option("--api-key", metavar="KEY", help="Check this key instead")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Also ask the service whether it accepts the key (exit 3 if not)")
    ] = False,
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="The service to show the key for")
    ] = None,
) -> None:
    """Show the key in use, where it comes from, and each stored key's host.

    Keys are masked to their last 4 characters. With --check, one status
    query for a job that cannot exist tells an accepted key (404) from a
    refused one (401, 403: exit 3); nothing is created or billed.

    Examples:
      stt auth status --check
      stt auth status --json | jq -r .source
    """
    state = auth.status(api_key, base_url)
    for name in ("source", "base_url_source"):
        if state[name] == "flag":  # the lower layers name the command line's value "flag"
            state[name] = "--api-key" if name == "source" else "--base-url"
    if check:
        state["check"] = auth.check(api_key, base_url)
    if as_json:
        output.json_lines([state])
        return
    output.data(
        f"key:      {state['key']} (from {state['source']})\n"
        f"base URL: {state['base_url']} (from {state['base_url_source']})\n"
        + (f"check:    {state['check']}\n" if check else "")
        + "".join(f"stored:   {kept['key']} for {kept['host']}\n" for kept in state["stored"])
    )


@sub_command(auth_app)
def logout(
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="Remove only the key stored for this service")
    ] = None,
) -> None:
    """Remove the stored keys (the key file), or only the one of --base-url's host.

    Examples:
      stt auth logout
      stt auth logout --base-url http://127.0.0.1:8750/v1
      stt auth logout && stt auth status   # exit 3 unless AIML_API_KEY is set
    """
    removed, hosts, warnings = auth.logout(base_url)
    path = credentials.key_file()
    if removed is None and base_url:
        output.info(f"no stored key for {credentials.key_host(base_url)} in {path}")
    elif removed is None:
        output.info(f"no stored key ({path} does not exist)")
    elif path.exists():  # the other hosts' keys stay
        output.info(f"removed the key for {', '.join(hosts)} from {removed}")
    else:
        output.info(f"removed {removed}" + (f" (the key for {', '.join(hosts)})" if hosts else ""))
    for warning in warnings:
        output.warn(warning)
