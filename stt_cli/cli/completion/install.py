"""`stt completion install`: each shell's script written where that shell looks for it, for this user.

- bash: bash-completion's user directory, `$BASH_COMPLETION_USER_DIR/completions/stt`, else
  `${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions/stt`; bash-completion loads it on first Tab.
- zsh: `${ZDOTDIR:-~}/.zfunc/_stt`; that folder must be in $fpath before compinit (one line in ~/.zshrc).
- fish: `${XDG_CONFIG_HOME:-~/.config}/fish/completions/stt.fish`, which fish loads by itself.
- PowerShell: `${XDG_CONFIG_HOME:-~/.config}/powershell/stt-completion.ps1`, dot-sourced from $PROFILE.

A file that stt wrote (its header says so) is replaced when it differs, since a newer stt has new options;
any other file is kept unless --force.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import NamedTuple

from stt_cli.core.files import atomic_write_bytes
from stt_cli.core.safeopen import NotRegular, TooLarge, read_regular
from stt_cli.errors import UsageError

READ_LIMIT = 4 * 1024 * 1024  # bytes: stt's scripts are about 30 KB; an rc file past this is not looked through
SHELL_NAMES = {"bash": "bash", "zsh": "zsh", "fish": "fish", "pwsh": "powershell", "powershell": "powershell"}

# Where bash-completion's main script is on common systems: when none is there, bash needs a `source` line.
BASH_COMPLETION_SCRIPTS = (
    "/usr/share/bash-completion/bash_completion",
    "/etc/bash_completion",
    "/usr/local/share/bash-completion/bash_completion",
    "/opt/homebrew/etc/profile.d/bash_completion.sh",
    "/usr/local/etc/profile.d/bash_completion.sh",
)


class Installed(NamedTuple):
    path: Path
    changed: bool  # False: the same script was already there
    next_steps: tuple[str, ...]  # what the user still has to do, if anything


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def _xdg(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else _home() / default  # the spec ignores relative values


def _zdotdir() -> Path:
    """Where zsh reads ~/.zshrc from: $ZDOTDIR when it is an absolute path, else the home directory."""
    value = os.environ.get("ZDOTDIR", "")
    return Path(value) if os.path.isabs(value) else _home()


def _shown(path: Path) -> str:
    """A path as the user would type it in a bash or zsh rc file: ~ for the home directory (left unquoted, so
    the shell expands it), the rest quoted where a space, a quote or any other shell syntax needs it."""
    home = _home()
    try:
        return "~/" + shlex.quote(str(path.relative_to(home)))
    except ValueError:
        return shlex.quote(str(path))


# The characters PowerShell reads as a single quote: inside a single-quoted string each is written twice.
POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"


def powershell_quote(text: str) -> str:
    """A single-quoted PowerShell string of `text`: nothing inside is expanded, and each quote is doubled."""
    return "'" + "".join(ch * 2 if ch in POWERSHELL_QUOTES else ch for ch in text) + "'"


def _read(path: Path) -> str | None:
    """A text file stt looks at (a script in place, an rc file): None when there is none. A FIFO or a device
    there is refused by name (a read would hang or never end), and a file past READ_LIMIT is not read whole."""
    try:
        return read_regular(path, READ_LIMIT).data.decode("utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):  # nothing there (a file where a folder should be: said on write)
        return None
    except NotRegular as exc:
        raise UsageError(f"{path} is {exc.kind}, not a regular file", "move it aside, then try again") from None
    except TooLarge:
        raise UsageError(f"{path} is over {READ_LIMIT:,} bytes: no completion script", "move it aside") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror})", "check its permissions") from None


def shell_from_environment() -> str:
    """The user's login shell, from $SHELL, as one of the names stt has a script for."""
    raw = os.environ.get("SHELL", "")
    name = SHELL_NAMES.get(os.path.basename(raw))
    if name is None:
        told = f"SHELL={raw}" if raw else "SHELL is not set"
        raise UsageError(
            f"cannot tell which shell to install for ({told})",
            "name it: stt completion install bash (or zsh, fish, powershell)",
        )
    return name


def target(shell: str) -> Path:
    """Where `shell` looks for stt's completion script, for this user."""
    if shell == "bash":
        user_dirs = [d for d in os.environ.get("BASH_COMPLETION_USER_DIR", "").split(":") if os.path.isabs(d)]
        base = Path(user_dirs[0]) if user_dirs else _xdg("XDG_DATA_HOME", ".local/share") / "bash-completion"
        return base / "completions" / "stt"
    if shell == "zsh":
        return _zdotdir() / ".zfunc" / "_stt"
    if shell == "fish":
        return _xdg("XDG_CONFIG_HOME", ".config") / "fish" / "completions" / "stt.fish"
    return _xdg("XDG_CONFIG_HOME", ".config") / "powershell" / "stt-completion.ps1"


def _ours(text: str, shell: str) -> bool:
    """Whether a file is a completion script stt wrote (any version): its header says so."""
    label = "PowerShell" if shell == "powershell" else shell
    return any(f" completion for {label}; generated by " in line for line in text.splitlines()[:3])


def _next_steps(shell: str, path: Path) -> tuple[str, ...]:
    if shell == "bash":
        if any(os.path.exists(script) for script in BASH_COMPLETION_SCRIPTS):
            return ()
        return (f"bash-completion is not installed: add this line to ~/.bashrc: source {_shown(path)}",)
    if shell == "zsh":
        folder = _shown(path.parent)
        rc = _zdotdir() / ".zshrc"
        try:
            written = _read(rc) or ""
        except UsageError:  # an rc file stt cannot read says nothing about what is in it
            written = ""
        if folder in written or str(path.parent) in written:
            return ()
        return (
            f"add this line to {_shown(rc)}, before compinit: fpath=({folder} $fpath)",
            "and, if it has no compinit yet, after it: autoload -Uz compinit && compinit",
        )
    if shell == "powershell":
        return (f"add this line to your $PROFILE: . {powershell_quote(str(path))}",)
    return ()


def install(shell: str, script: str, *, force: bool) -> Installed:
    """Write `script` for `shell` to its standard place, creating the folders; atomic, never a half file."""

    path = target(shell)
    if path.is_symlink():  # a dotfiles manager's link: write where it points, keep the link
        path = path.resolve()
    if path.is_dir():
        raise UsageError(f"{path} is a directory", "move it aside, then run stt completion install again")
    current = _read(path)
    steps = _next_steps(shell, path)
    if current == script:
        return Installed(path, False, steps)
    if current is not None and not force and not _ours(current, shell):
        raise UsageError(
            f"{path} exists and was not written by stt",
            "look at it first; stt completion install --force replaces it",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, script.encode("utf-8"))
    except OSError as exc:
        raise UsageError(
            f"cannot write {path} ({exc.strerror})",
            f"check that folder's permissions, or print the script: stt completion {shell} > FILE",
        ) from None
    return Installed(path, True, steps)
