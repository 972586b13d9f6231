"""Job ids that start with "-" (a short id does, one time in 64): read as ids, not options, by the commands
that take ids, so that a script's `stt fetch "$id"` fetches that job whatever its id looks like.

Only an argument that is exactly a job id of the ledger is taken for one: `-ofile` stays `-o file` unless a
job of that id was recorded, and an id a server made up to look like an option is, by being in the ledger,
read as the id it is. Such arguments are moved after a "--" that ends the options.
"""

from __future__ import annotations

from collections.abc import Callable

from typer.core import TyperArgument, TyperOption

from stt_cli.api.wire import is_valid_id
from stt_cli.cli import click_api as click

ID_PARAMS = frozenset({"job_id", "job_ids", "ids"})  # status, fetch, jobs rm


def takes_ids(command: click.Command) -> bool:
    return any(isinstance(p, TyperArgument) and p.name in ID_PARAMS for p in command.params)


def separate(command: click.Command, args: list[str], is_recorded: Callable[[str], bool]) -> list[str]:
    """`args` with each option-like job id moved after "--" (the order of the ids kept); `args` itself when
    there is none."""
    if not takes_ids(command):
        return args
    spellings: set[str] = set()
    valued: set[str] = set()
    for param in command.params:
        if isinstance(param, TyperOption):
            names = [*param.opts, *param.secondary_opts]
            spellings.update(names)
            if not param.is_flag and not param.count:
                valued.update(names)
    end = args.index("--") if "--" in args else len(args)
    kept: list[str] = []
    ids: list[str] = []
    value_next = False
    for word in args[:end]:
        if value_next:  # the value of an option (-o -x.txt): never an id
            kept.append(word)
            value_next = False
        elif word.startswith("-") and word not in spellings and is_valid_id(word) and is_recorded(word):
            ids.append(word)
        else:
            kept.append(word)
            value_next = word in valued
    if not ids:
        return args
    return [*kept, "--", *ids, *args[end + 1 :]]
