"""The one door to the click that Typer carries inside itself (`typer._click`, a private module).

stt needs click's own types in four places: the help formatter (Command, Context, HelpFormatter), the
error boundary (its exception classes), the completion generator (a Context to read a command's
parameters) and the option groups (whether a value was typed on the command line or came from a default).
Typer re-exports none of them publicly, so they are imported here once, and
tests/unit/test_click_api.py fails loudly, naming what moved, if a Typer upgrade takes one away.
"""

from __future__ import annotations

from typer import _click as click
from typer._click import core, exceptions, globals

Command = click.Command
Context = click.Context
HelpFormatter = click.HelpFormatter
ClickException = exceptions.ClickException
ClickUsageError = exceptions.UsageError
NoArgsIsHelpError = exceptions.NoArgsIsHelpError
ParameterSource = core.ParameterSource
get_current_context = globals.get_current_context

__all__ = [
    "ClickException",
    "ClickUsageError",
    "Command",
    "Context",
    "HelpFormatter",
    "NoArgsIsHelpError",
    "ParameterSource",
    "get_current_context",
]
