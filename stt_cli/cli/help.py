"""How stt's help looks: plain text, options grouped by panel, examples verbatim.

Help is formatted here rather than by rich: it is what people read most, it must appear in well under
0.1 s, and it must read the same in a terminal, a pipe and docs/usage.md (which embeds `stt --help`)."""

from __future__ import annotations

import inspect

from typer.core import TyperCommand, TyperGroup

from stt_cli.cli import click_api as click
from stt_cli.cli import dash_ids

# The order option groups appear in; options without a panel go last, under "Other options".
SOURCE, BATCH, TRANSCRIPTION, OUTPUT, WAITING, CONNECTION = (
    "Source",
    "Batch",
    "Transcription",
    "Output",
    "Waiting",
    "Connection",
)
PANELS = (SOURCE, BATCH, TRANSCRIPTION, OUTPUT, WAITING, CONNECTION)


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


class SttCommand(TyperCommand):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, dash_ids.separate(self, args, _is_recorded))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write_help_text(self, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _write_options(self, ctx, formatter)


def _is_recorded(job_id: str) -> bool:
    from stt_cli.core.ledger import is_recorded  # lazy for start-up: asked only of a word that could be an id

    return is_recorded(job_id)


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
