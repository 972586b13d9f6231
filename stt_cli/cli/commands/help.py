"""`stt help [TOPIC|COMMAND]`: a topic page (environment, exit codes, formats, ...) or a command's help."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.app import COMMANDS, app, suggest_command
from stt_cli.cli.build import command
from stt_cli.cli.click_api import get_current_context
from stt_cli.cli.topics import TOPICS
from stt_cli.errors import UsageError

HELP_HELP = """Show a topic, or a command's help (the same as stt COMMAND --help).

Examples:
  stt help                 # the topics and the commands
  stt help exit-codes
  stt help run
"""

TopicArg = Annotated[
    str | None,
    typer.Argument(metavar="[TOPIC|COMMAND]", help=f"One of: {', '.join(TOPICS)}, or a command", show_default=False),
]


def help_command(topic: TopicArg = None) -> int:

    if topic is None:
        width = max(len(name) for name in TOPICS)
        rows = "\n".join(f"  {name:{width}}  {summary}" for name, (summary, _) in TOPICS.items())
        output.data(f"Topics (stt help TOPIC):\n{rows}\n\nCommands: stt COMMAND --help, or stt help COMMAND:\n")
        output.data("  " + ", ".join(COMMANDS) + "\n")
        return 0
    name = topic.strip().lower().replace("_", "-")
    starting = [topic_name for topic_name in TOPICS if topic_name.startswith(name) or name.startswith(topic_name)]
    if name not in TOPICS and len(starting) == 1 and len(name) >= 3:  # env, exit, format, model: the one it begins
        name = starting[0]
    if name in TOPICS:
        output.data(TOPICS[name][1]() + "\n")
        return 0
    words = topic.split()
    if words and words[0] in COMMANDS:
        root = get_current_context().find_root()
        typer.main.get_command(app).main([*words, "--help"], prog_name=root.info_name or "stt")
        return 0

    guess = suggest_command(name, [*TOPICS, *COMMANDS])
    raise UsageError(
        f"{topic!r} is neither a help topic nor a command",
        (f"did you mean {guess}? " if guess else "") + f"the topics are: {', '.join(TOPICS)}",
    )


help_app = command("help", help_command, HELP_HELP, "Show a topic (environment, exit-codes, formats, ...)")
