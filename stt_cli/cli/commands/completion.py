"""`stt completion SHELL` prints the completion script; `stt completion install [SHELL]` puts it in place."""

from __future__ import annotations

from typing import Annotated

import typer

from stt_cli.cli import output
from stt_cli.cli.build import group, sub_command
from stt_cli.cli.completion import install as place
from stt_cli.cli.completion.scripts import render
from stt_cli.errors import UsageError

COMPLETION_HELP = """Print or install the Tab completion script for bash, zsh, fish or PowerShell.

Commands, options, formats, model ids, setting keys and the job ids of your
ledger complete on Tab. `install` writes the script where your shell looks
for it and says what, if anything, to add to your shell's rc file.

Examples:
  stt completion install                # for the shell in $SHELL
  stt completion install zsh
  stt completion fish > ~/.config/fish/completions/stt.fish
"""

completion_app = group("completion", COMPLETION_HELP, no_args_is_help=True)


# Each shell's print command, with two ways to use what it prints.
PRINTERS = {
    "bash": (
        "bash",
        "source <(stt completion bash)",
        "stt completion bash > ~/.local/share/bash-completion/completions/stt",
    ),
    "zsh": ("zsh", "source <(stt completion zsh)", 'stt completion zsh > "${fpath[1]}/_stt"'),
    "fish": ("fish", "stt completion fish | source", "stt completion fish > ~/.config/fish/completions/stt.fish"),
    "powershell": (
        "PowerShell",
        "stt completion powershell | Out-String | Invoke-Expression",
        "stt completion powershell >> $PROFILE",
    ),
}


def _printer(shell: str) -> None:
    label, now, kept = PRINTERS[shell]

    def show() -> None:

        output.data(render(shell))

    show.__doc__ = f"""Print the {label} completion script on stdout.

    To load it in the running shell only:
      {now}

    Examples:
      {kept}
      stt completion install {shell}
    """
    sub_command(completion_app, shell, short_help=f"Print the {label} script")(show)


for _shell in PRINTERS:
    _printer(_shell)


@sub_command(completion_app, "install", short_help="Write the script where your shell finds it")
def install(
    shell: Annotated[
        str | None,
        typer.Argument(
            metavar="[SHELL]", help="bash, zsh, fish or powershell (default: the shell in $SHELL)", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a file there that stt did not write")] = False,
) -> None:
    """Write the completion script where your shell looks for it, creating folders.

    bash: ~/.local/share/bash-completion/completions/stt (bash-completion's).
    zsh: ~/.zfunc/_stt, a folder of $fpath (stt says the line to add).
    fish: ~/.config/fish/completions/stt.fish.
    PowerShell: ~/.config/powershell/stt-completion.ps1, for $PROFILE.
    XDG_DATA_HOME, XDG_CONFIG_HOME and ZDOTDIR are honoured. A script an older
    stt wrote is replaced; any other file is kept unless --force.

    Examples:
      stt completion install
      stt completion install bash
    """

    if shell is None:
        name = place.shell_from_environment()
    else:
        name = place.SHELL_NAMES.get(shell.lower(), "")
        if not name:
            raise UsageError(f"no completion script for {shell!r}", "pick one of: bash, zsh, fish, powershell")
    done = place.install(name, render(name), force=force)
    label = "PowerShell" if name == "powershell" else name
    if done.changed:
        output.info(f"wrote the {label} completion script to {done.path}")
    else:
        output.info(f"the {label} completion script in {done.path} is already up to date")
    for step in done.next_steps:
        output.info(step)
    output.info("it takes effect in new shells" if not done.next_steps else "then start a new shell")
