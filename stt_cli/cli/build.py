"""How every command is built and how its help looks: plain text, options grouped by panel, examples verbatim.

Help is formatted here rather than by rich: it is what people read most, it must appear in well under
0.1 s, and it must read the same in a terminal, a pipe and the README (which embeds `stt --help`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from stt_cli.cli import click_api as click

# The order option groups appear in; options without a panel go last, under "Other options".
PANELS = ("Source", "Batch", "Transcription", "Output", "Waiting", "Connection")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 80}


def _write_help_text(command: click.Command, formatter: click.HelpFormatter) -> None:
    """The command's help as written: paragraphs, examples and indentation kept (no rewrapping)."""
    if not command.help:
        return
    text = inspect.cleandoc(command.help).partition("\f")[0]
    formatter.write_paragraph()
    for line in text.splitlines():
        formatter.write(f"{' ' * formatter.current_indent}  {line}".rstrip() + "\n")


def _write_options(command: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    arguments: list[tuple[str, str]] = []
    groups: dict[str, list[tuple[str, str]]] = {}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            arguments.append(record)
        else:
            groups.setdefault(getattr(param, "rich_help_panel", None) or "", []).append(record)
    if arguments:
        with formatter.section("Arguments"):
            formatter.write_dl(arguments)
    order = [p for p in PANELS if p in groups] + sorted(p for p in groups if p not in PANELS and p)
    for panel in order:
        with formatter.section(f"{panel} options"):
            formatter.write_dl(groups[panel])
    if "" in groups:
        with formatter.section("Other options" if order else "Options"):
            formatter.write_dl(groups[""])


# -q / -v on every command (and on `stt` itself): how much goes to stderr, never what goes to stdout.
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only results and errors: no progress, notes or warnings")
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also show each HTTP request (method, path, status, time)")
]


# --json on every command that has it: data as JSON on stdout (one object, or one per line for many).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON: one object per line")]


def set_verbosity(quiet: bool, verbose: bool) -> None:
    """Apply -q / -v when given (a flag on `stt` itself stays in force when the command repeats neither)."""
    from stt_cli.cli import output
    from stt_cli.errors import UsageError

    if quiet and verbose:
        raise UsageError("--quiet and --verbose cannot be used together", "pick one")
    if quiet:
        output.set_verbosity(output.QUIET)
    elif verbose:
        output.set_verbosity(output.VERBOSE)


def with_verbosity(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add -q / -v to a command's parameters; they are applied before the command runs."""
    signature = inspect.signature(func, eval_str=True)
    extra = [
        inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=QuietOpt),
        inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=VerboseOpt),
    ]
    params = [*signature.parameters.values(), *extra]

    @functools.wraps(func)
    def wrapper(*args: Any, quiet: bool = False, verbose: bool = False, **kwargs: Any) -> Any:
        from stt_cli.errors import Interrupted

        set_verbosity(quiet, verbose)
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt:  # typer would turn it into a silent exit 130: say so, like every other stop
            raise Interrupted("interrupted") from None

    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


class SttCommand(TyperCommand):
    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write_help_text(self, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write_options(self, ctx, formatter)


class SttSubGroup(TyperGroup):
    """A command group below the root (`stt auth`, `stt jobs`): the same plain help."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write_help_text(self, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each subcommand with its whole first line (click would cut it at 45 characters)."""
        rows = []
        for name in self.list_commands(ctx):
            sub = self.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            summary = sub.short_help or inspect.cleandoc(sub.help or "").split("\n", 1)[0]
            rows.append((name, summary.rstrip(".")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def group(name: str, help: str, cls: type[TyperGroup] = SttSubGroup, **extra: Any) -> typer.Typer:
    """A Typer for a command group (stt itself too); its commands are added with `sub_command(...)`."""
    return typer.Typer(
        name=name,
        cls=cls,
        help=help,
        rich_markup_mode=None,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings=CONTEXT,
        **extra,
    )


def command(name: str, function: Callable[..., Any], help: str, short_help: str) -> typer.Typer:
    """A Typer holding one command, which the root group loads only when that command is used."""
    single = typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)
    single.command(name, cls=SttCommand, help=help, short_help=short_help, context_settings=CONTEXT)(
        with_verbosity(function)
    )
    return single


def sub_command(app: typer.Typer, name: str | None = None, **extra: Any) -> Callable[[Any], Any]:
    """`@sub_command(group)`: a command of a group, with the plain grouped help and -q / -v."""
    register = app.command(name, cls=SttCommand, context_settings=CONTEXT, **extra)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        register(with_verbosity(func))
        return func

    return decorate
