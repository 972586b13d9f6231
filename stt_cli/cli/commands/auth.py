"""`stt auth login|status|logout`: store, show (masked) and remove the API key."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.build import JsonOpt, group, sub_command
from stt_cli.core.credentials import clean_key, key_file, mask, remove_key, store_key
from stt_cli.core.settings import KEY_ENV_VARS, resolve
from stt_cli.errors import AuthError, UsageError

AUTH_HELP = """Store, show or remove the API key.

AIML_API_KEY, when set, wins over the stored key; --api-key wins over both.

Examples:
  stt auth login
  printf %s "$KEY" | stt auth login
  stt auth status
"""

app = group("auth", AUTH_HELP, no_args_is_help=True)


@sub_command(app)
def login() -> None:
    """Store the API key: typed at a hidden prompt, or read from a pipe.

    The key file is readable by you only (0600).

    Examples:
      stt auth login
      printf %s "$KEY" | stt auth login
    """
    if sys.stdin.isatty():
        import getpass

        raw = getpass.getpass("API key (input hidden): ", stream=sys.stderr)
    else:
        raw = sys.stdin.read()
    key = clean_key(raw)
    if not key:
        raise UsageError("no key was given", 'type it at the prompt, or pipe it: printf %s "$KEY" | stt auth login')
    path = store_key(key)
    output.info(f"stored key {mask(key)} in {path}")
    shadow = next((name for name in KEY_ENV_VARS if os.environ.get(name, "").strip()), None)
    if shadow:
        output.warn(f"${shadow} is set and takes precedence over the stored key")


@sub_command(app)
def status(
    as_json: JsonOpt = False,
    api_key: Annotated[str | None, typer.Option("--api-key", metavar="KEY", help="Check this key instead")] = None,
) -> None:
    """Show which key is in use and where it comes from (masked to its last 4).

    Examples:
      stt auth status
      stt auth status --json | jq -r .source
    """
    from stt_cli.core.settings import resolve_base_url

    resolved = resolve("api_key", api_key)
    base = resolve_base_url(None)
    if resolved is None:
        raise AuthError("not logged in: no API key found", "run `stt auth login` or set AIML_API_KEY")
    if as_json:
        output.json_lines(
            [
                {
                    "key": mask(resolved.value),
                    "source": resolved.source,
                    "base_url": base.value,
                    "base_url_source": base.source,
                }
            ]
        )
        return
    output.data(
        f"key:      {mask(resolved.value)} (from {resolved.source})\nbase URL: {base.value} (from {base.source})\n"
    )


@sub_command(app)
def logout() -> None:
    """Remove the stored key file.

    Examples:
      stt auth logout
      stt auth logout && stt auth status   # exit 3 unless AIML_API_KEY is set
    """
    removed = remove_key()
    output.info(f"removed {removed}" if removed else f"no stored key ({key_file()} does not exist)")
    shadow = next((name for name in KEY_ENV_VARS if os.environ.get(name, "").strip()), None)
    if shadow:
        output.warn(f"${shadow} is still set in this environment")
