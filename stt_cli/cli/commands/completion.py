"""`stt completion SHELL`: print the completion script for bash, zsh, fish or PowerShell."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.build import command

COMPLETION_HELP = """Print the completion script for SHELL.

Commands, options, formats, model ids, setting keys and the job ids of your
ledger complete on Tab.

Examples:
  stt completion bash > ~/.local/share/bash-completion/completions/stt
  stt completion zsh > "${fpath[1]}/_stt"
  stt completion fish > ~/.config/fish/completions/stt.fish
"""


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


def completion(shell: Annotated[Shell, typer.Argument(help="bash, zsh, fish or powershell")]) -> None:
    from stt_cli.cli.completion.scripts import render

    output.data(render(shell.value))


completion_app = command("completion", completion, COMPLETION_HELP, "Print a shell completion script")
