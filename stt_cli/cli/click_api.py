"""The one door to the click that Typer carries inside itself (`typer._click`, a private module).

stt needs click's own types in four places: the help formatter (Command, Context, HelpFormatter), the
error boundary (its exception classes), the completion generator (a Context to read a command's
parameters) and the model option (ParameterSource: a value from the command line, or from the
environment or config file through the default_map). Typer re-exports none of them publicly, so they are
imported here once, and tests/unit/test_click_api.py fails loudly, naming what moved, if a Typer upgrade takes one away.
"""

from __future__ import annotations

from typer import _click as click
from typer._click import exceptions
from typer._click.core import ParameterSource
from typer._click.globals import get_current_context

Command = click.Command
Context = click.Context
HelpFormatter = click.HelpFormatter
ClickException = exceptions.ClickException
ClickUsageError = exceptions.UsageError
NoArgsIsHelpError = exceptions.NoArgsIsHelpError

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
