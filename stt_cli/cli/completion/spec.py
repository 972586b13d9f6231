"""The command tree stt's completion scripts are made from, read from the Typer app itself: every command, option,
value kind and choice, so a new flag completes without anyone editing a script."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import typer

from stt_cli.cli import click_api as click
from stt_cli.formats.registry import ALL, NAMES

# What an option's value or a positional argument completes to, beyond a parameter's own choices.
VALUE_KINDS = {
    "model": "model",
    "model_id": "model",
    "output": "file",
    "from_file": "file",
    "write_sample": "file",
    "output_dir": "dir",
    "sources": "file",
    "job_id": "id",
    "job_ids": "id",
    "ids": "id",
    "key": "key",
}


class OptionSpec(NamedTuple):
    names: tuple[str, ...]  # every spelling: -f, --format; --punctuate, --no-punctuate
    help: str
    value: str | None  # None: a flag; else a kind: none, file, dir, model, id, key, choice
    choices: tuple[str, ...] = ()


class CommandSpec(NamedTuple):
    path: str  # "" for stt itself, "run", "jobs rm"
    summary: str
    options: tuple[OptionSpec, ...]
    args: tuple[str, ...]  # each positional's kind (choice:a,b for choices); a last kind ending in "..." repeats
    subcommands: tuple[str, ...]


def _first_line(text: str | None) -> str:
    line = (text or "").strip().split("\n", 1)[0].strip()
    return re.sub(r"\s+", " ", line).rstrip(".")


def _value_kind(param: Any) -> tuple[str, tuple[str, ...]]:
    if param.name == "format":  # a comma list is allowed too; the shells offer the single names and all
        return "choice", (*NAMES, ALL)
    choices = tuple(str(c) for c in getattr(param.type, "choices", ()) or ())
    if choices:
        return "choice", choices
    return VALUE_KINDS.get(param.name or "", "none"), ()


def command_tree(app: Any, commands: Mapping[str, Any], **settings: Any) -> Iterator[tuple[Any, Any]]:
    """Every command of the app (the root Typer, and its command table in `stt --help`'s order) with its click
    context (chained to its parent's, `settings` added to each), root first, depth first; hidden ones left out."""

    COMMANDS = commands

    def walk(command: Any, name: str, parent: Any) -> Iterator[tuple[Any, Any]]:
        ctx = click.Context(command, info_name=name, parent=parent, **{**command.context_settings, **settings})
        yield ctx, command
        names = list(COMMANDS) if parent is None else list(getattr(command, "commands", None) or {})
        for child in names:
            sub = command.get_command(ctx, child)
            if sub is not None and not getattr(sub, "hidden", False):
                yield from walk(sub, child, ctx)

    yield from walk(typer.main.get_command(app), "stt", None)


def command_specs(app: Any, commands: Mapping[str, Any]) -> list[CommandSpec]:
    """Every command of the app (as command_tree takes it), root first, in the order `stt --help` lists them."""
    COMMANDS = commands
    specs: list[CommandSpec] = []
    for ctx, command in command_tree(app, commands):
        path = ctx.command_path.removeprefix("stt").strip()
        options: list[OptionSpec] = []
        args: list[str] = []
        for param in command.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                kind, choices = _value_kind(param)
                if choices:
                    kind = "choice:" + ",".join(choices)
                args.append(kind + ("..." if param.nargs == -1 or param.multiple else ""))
                continue
            spellings = tuple(param.opts) + tuple(param.secondary_opts)
            value = None if param.is_flag or param.count else _value_kind(param)
            options.append(
                OptionSpec(
                    tuple(sorted(spellings, key=lambda n: (n.startswith("--"), n))),
                    _first_line(param.help),
                    value[0] if value else None,
                    value[1] if value else (),
                )
            )
        if not path:
            summary, names = _first_line(command.help), list(COMMANDS)
        else:
            parent_is_root = " " not in path
            summary = COMMANDS[path][2] if parent_is_root else _first_line(command.short_help or command.help)
            names = list(getattr(command, "commands", None) or {})
        specs.append(CommandSpec(path, summary, tuple(options), tuple(args), tuple(names)))
    return specs
