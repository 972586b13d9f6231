"""How every command is built on Typer, in one place: its options in groups, -q / -v, --json, its Typer.

A command function names what it needs by type: a parameter annotated `SourceOptions`, `OutputOptions`,
`WaitOptions`, `Request` or `Connector` receives that object, built from its group's flags (declared once,
in cli/options). `command()` and `sub_command()` rewrite the function's signature ONCE, here: the object
parameters are replaced by their groups' flags (and -q / -v are added), which is what Typer reads.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import typer
from typer.core import TyperGroup

from stt_cli.cli import output
from stt_cli.cli.click_api import ParameterSource, get_current_context
from stt_cli.cli.help import CONTEXT, SttCommand, SttSubGroup
from stt_cli.errors import Interrupted, UsageError


class Opt(NamedTuple):
    """One flag of a group: the parameter name Typer sees, its Annotated typer.Option, its default."""

    name: str
    annotation: Any
    default: Any = None


class Group(NamedTuple):
    """Flags that reach a command as one object: the parameter annotated `kind` receives `build(values)`.

    A group of kind None is applied for its effect only (-q / -v). `carried`: the names of its options that a
    command printed to resume a job repeats when they were typed (the output options, --base-url).
    """

    kind: Any
    opts: tuple[Opt, ...]
    build: Callable[[dict[str, Any]], Any]
    carried: tuple[str, ...] = ()


def use(*groups: Group) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@use(SOURCE_GROUP, ...)`: the option groups a command takes (its signature is rewritten by command())."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__stt_groups__ = groups  # type: ignore[attr-defined]
        return func

    return decorate


# -q / -v on every command (and on `stt` itself): how much goes to stderr, never what goes to stdout.
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only results and errors: no progress, notes or warnings")
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also show each HTTP request (method, path, status, time)")
]

# [ID] of status and fetch: a job id, or the newest job of the ledger.
IdArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[ID]",
        help="Job id, or its first characters (default: the newest job from this machine)",
        show_default=False,
    ),
]

# --json on every command that has it: data as JSON on stdout (one object, or one per line for many).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON: one object per line")]


def typed(name: str) -> bool:
    """Whether the running command's option `name` was given on the command line (not a default, the config file
    or the environment)."""

    ctx = get_current_context(silent=True)
    return ctx is not None and ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE


def set_verbosity(quiet: bool, verbose: bool) -> None:
    """Apply -q / -v when given (a flag on `stt` itself stays in force when the command repeats neither)."""

    if quiet and verbose:
        raise UsageError("--quiet and --verbose cannot be used together", "pick one")
    if quiet:
        output.set_verbosity(output.QUIET)
    elif verbose:
        output.set_verbosity(output.VERBOSE)


VERBOSITY = Group(
    None,
    (Opt("quiet", QuietOpt, False), Opt("verbose", VerboseOpt, False)),
    lambda values: set_verbosity(values["quiet"], values["verbose"]),
)


def with_groups(func: Callable[..., Any]) -> Callable[..., Any]:
    """The function as Typer sees it: -q / -v and each group's flags in place of the objects they build.

    The groups are applied in order, -q / -v first (so a group may read the verbosity), and Ctrl-C inside a
    command becomes the same "interrupted" line and exit 130 as everywhere else.
    """
    groups = (VERBOSITY, *getattr(func, "__stt_groups__", ()))
    signature = inspect.signature(func, eval_str=True)
    receivers: dict[int, str] = {}
    for position, group in enumerate(groups):
        if group.kind is None:
            continue
        names = [p.name for p in signature.parameters.values() if p.annotation is group.kind]
        if len(names) != 1:
            raise TypeError(f"{func.__name__} must take exactly one {group.kind.__name__} parameter")
        receivers[position] = names[0]
    params = [p for p in signature.parameters.values() if p.name not in receivers.values()]
    for group in (*groups[1:], VERBOSITY):  # -q / -v listed last in the help, applied first
        params += [
            inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default, annotation=o.annotation)
            for o in group.opts
        ]

    carried = {name for group in groups for name in group.carried} | {"as_json"}

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:

        _carry(carried)
        for position, group in enumerate(groups):
            built = group.build({o.name: kwargs.pop(o.name) for o in group.opts})
            if position in receivers:
                kwargs[receivers[position]] = built
        try:
            return func(**kwargs)
        except KeyboardInterrupt:  # typer would turn it into a silent exit 130: say so, like every other stop
            raise Interrupted("interrupted") from None

    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def _carry(names: set[str]) -> None:
    """Tell the hints which options this invocation typed that a resume command must repeat, as typed."""
    from stt_cli.cli import hints  # lazy for start-up: stt --help

    ctx = get_current_context(silent=True)
    if ctx is None:
        hints.carry([])
        return
    words: list[tuple[str, list[str]]] = []
    for param in ctx.command.params:
        name = param.name or ""
        if name not in names or ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(name)
        long = max(param.opts, key=len)
        if getattr(param, "is_flag", False) and not getattr(param, "is_bool_flag", False):
            continue
        if getattr(param, "is_flag", False):
            secondary = getattr(param, "secondary_opts", [])
            if value:
                words.append((name, [long]))
            elif secondary:
                words.append((name, [max(secondary, key=len)]))
        elif value is not None:
            for item in value if isinstance(value, (list, tuple)) else [value]:
                words.append((name, [long, str(item)]))
    typed_key = "api_key" in {p.name for p in ctx.command.params} and (
        ctx.get_parameter_source("api_key") is ParameterSource.COMMANDLINE
    )
    hints.carry(words, key_typed=typed_key)


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
        with_groups(function)
    )
    return single


def sub_command(app: typer.Typer, name: str | None = None, **extra: Any) -> Callable[[Any], Any]:
    """`@sub_command(group)`: a command of a group, with the plain grouped help and -q / -v."""
    settings = {**CONTEXT, **extra.pop("context_settings", {})}
    register = app.command(name, cls=SttCommand, context_settings=settings, **extra)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        register(with_groups(func))
        return func

    return decorate
