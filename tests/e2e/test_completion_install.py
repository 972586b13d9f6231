"""`stt completion install`: each script lands where its real shell finds it on a fresh account (no folders
yet), the rc line it suggests works as printed, and a file stt did not write is kept."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stt_cli.cli.completion import install as place
from stt_cli.cli.completion.scripts import render


def _account(tmp_path: Path) -> dict[str, str]:
    """A new user's environment: an empty home, no XDG variables, no ZDOTDIR."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("XDG_") and k not in ("ZDOTDIR", "BASH_COMPLETION_USER_DIR")
    }
    return {**env, "HOME": str(home), "NO_COLOR": "1"}


def _install(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stt_cli", "completion", "install", *args], capture_output=True,
                          text=True, env=env, cwd=env["HOME"], timeout=30)  # fmt: skip


def _need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed")
    return found


def test_fish_finds_the_script_with_nothing_to_add(tmp_path: Path) -> None:
    fish = _need("fish")
    env = _account(tmp_path)
    done = _install(env, "fish")
    path = Path(env["HOME"]) / ".config" / "fish" / "completions" / "stt.fish"
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"wrote the fish completion script to {path}", "it takes effect in new shells"]
    assert path.read_text() == render("fish")
    offered = subprocess.run([fish, "-c", "complete -C 'stt completion '"], capture_output=True, text=True, env=env,
                             timeout=30).stdout  # fmt: skip
    assert {line.split("\t")[0] for line in offered.splitlines()} >= {"install", "bash", "zsh"}


def test_zsh_completes_after_the_line_it_was_told_to_add(tmp_path: Path) -> None:
    zsh = _need("zsh")
    env = _account(tmp_path)
    done = _install(env, "zsh")
    assert done.returncode == 0, done.stderr
    told = re.search(r"add this line to ~/\.zshrc, before compinit: (.+)", done.stderr)
    assert told is not None, done.stderr
    assert "autoload -Uz compinit && compinit" in done.stderr
    rc = Path(env["HOME"]) / ".zshrc"
    rc.write_text(told.group(1) + "\nautoload -Uz compinit && compinit\n")
    loaded = subprocess.run([zsh, "-i", "-c", "print -r -- ${_comps[stt]}"], capture_output=True, text=True,
                            env={**env, "TERM": "dumb"}, stdin=subprocess.DEVNULL, timeout=30)  # fmt: skip
    assert loaded.stdout.strip() == "_stt", loaded.stderr
    again = _install(env, "zsh")  # the rc line is there now: nothing more to say but that it is current
    assert again.returncode == 0
    assert "already up to date" in again.stderr and "add this line" not in again.stderr


def test_bash_completion_loads_the_script_on_demand(tmp_path: Path) -> None:
    bash = _need("bash")
    main = next((p for p in place.BASH_COMPLETION_SCRIPTS if os.path.exists(p)), None)
    if main is None:
        pytest.skip("bash-completion is not installed")
    env = _account(tmp_path)
    done = _install(env, "bash")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "it takes effect in new shells"
    probe = f"source {main}; _comp_load stt 2>/dev/null || __load_completion stt; complete -p stt"
    shown = subprocess.run([bash, "--norc", "-c", probe], capture_output=True, text=True, env=env, timeout=30)
    assert re.search(r"complete .*-F \S+ stt$", shown.stdout.strip()), (shown.stdout, shown.stderr)


def test_without_bash_completion_the_source_line_it_prints_works(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bash = _need("bash")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "BASH_COMPLETION_USER_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(place, "BASH_COMPLETION_SCRIPTS", ())
    result = cli("completion", "install", "bash")
    assert result.exit_code == 0
    told = re.search(r"add this line to ~/\.bashrc: (source \S+)", result.stderr)
    assert told is not None, result.stderr
    shown = subprocess.run([bash, "--norc", "-c", f"{told.group(1)}; complete -p stt"], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(home)}, timeout=30)  # fmt: skip
    assert " stt" in shown.stdout, shown.stderr


def test_the_shell_comes_from_shell_and_xdg_folders_are_honoured(tmp_path: Path) -> None:
    env = _account(tmp_path)
    config = tmp_path / "elsewhere"
    done = _install({**env, "SHELL": "/usr/local/bin/fish", "XDG_CONFIG_HOME": str(config)})
    assert done.returncode == 0, done.stderr
    assert (config / "fish" / "completions" / "stt.fish").read_text() == render("fish")
    relative = _install({**env, "SHELL": "/bin/fish", "XDG_CONFIG_HOME": "not/absolute"})  # the spec ignores it
    assert relative.returncode == 0
    assert (Path(env["HOME"]) / ".config" / "fish" / "completions" / "stt.fish").exists()
    for shell in ("/bin/tcsh", ""):
        refused = _install({**env, "SHELL": shell})
        assert refused.returncode == 2
        assert (
            refused.stderr.startswith("error: cannot tell which shell")
            and "stt completion install bash" in refused.stderr
        )
    unknown = _install(env, "tcsh")
    assert unknown.returncode == 2 and "pick one of: bash, zsh, fish, powershell" in unknown.stderr


def test_a_file_stt_did_not_write_is_kept_unless_force(tmp_path: Path) -> None:
    env = _account(tmp_path)
    path = Path(env["HOME"]) / ".config" / "fish" / "completions" / "stt.fish"
    path.parent.mkdir(parents=True)
    path.write_text("# my own completions\ncomplete -c stt -f\n")
    kept = _install(env, "fish")
    assert kept.returncode == 2
    assert kept.stderr.count("\n") == 1 and "was not written by stt" in kept.stderr and "--force" in kept.stderr
    assert path.read_text() == "# my own completions\ncomplete -c stt -f\n"
    forced = _install(env, "fish", "--force")
    assert forced.returncode == 0 and path.read_text() == render("fish")


def test_an_older_stt_s_script_is_replaced_and_a_link_is_kept(tmp_path: Path) -> None:
    env = _account(tmp_path)
    dotfiles = tmp_path / "dotfiles" / "stt.fish"
    dotfiles.parent.mkdir()
    dotfiles.write_text("# stt 0.0.1 completion for fish; generated by scripts/generate.py from the app: do not edit\n")
    path = Path(env["HOME"]) / ".config" / "fish" / "completions" / "stt.fish"
    path.parent.mkdir(parents=True)
    path.symlink_to(dotfiles)
    done = _install(env, "fish")
    assert done.returncode == 0, done.stderr
    assert path.is_symlink() and dotfiles.read_text() == render("fish")
    assert [p.name for p in dotfiles.parent.iterdir()] == ["stt.fish"]  # no temp file left beside it


def test_a_folder_that_cannot_be_made_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = _account(tmp_path)
    (Path(env["HOME"]) / ".config").write_text("a file where a folder should be\n")
    done = _install(env, "fish")
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot write ") and done.stderr.count("\n") == 1
    assert "stt completion fish > FILE" in done.stderr and "Traceback" not in done.stderr


def test_powershell_gets_a_file_and_the_profile_line(tmp_path: Path) -> None:
    env = _account(tmp_path)
    done = _install(env, "pwsh")
    path = Path(env["HOME"]) / ".config" / "powershell" / "stt-completion.ps1"
    assert done.returncode == 0 and path.read_text() == render("powershell")
    assert f"add this line to your $PROFILE: . '{path}'" in done.stderr


# --- rc lines quoted for their shell; special files where a script or rc file goes (issue 25) -------------
ODD = "a dir's name"  # a space and a single quote: what an unquoted rc line breaks on


def test_zsh_loads_completion_with_the_printed_line_in_a_zdotdir_with_a_space_and_a_quote(tmp_path: Path) -> None:
    zsh = _need("zsh")
    env = _account(tmp_path)
    zdotdir = tmp_path / ODD
    zdotdir.mkdir()
    env["ZDOTDIR"] = str(zdotdir)
    done = _install(env, "zsh")
    assert done.returncode == 0, done.stderr
    told = re.search(r"before compinit: (.+)$", done.stderr, re.MULTILINE)
    assert told is not None, done.stderr
    (zdotdir / ".zshrc").write_text(told.group(1) + "\nautoload -Uz compinit && compinit\n")
    loaded = subprocess.run([zsh, "-i", "-c", "print -r -- ${_comps[stt]}"], capture_output=True, text=True,
                            env={**env, "TERM": "dumb"}, stdin=subprocess.DEVNULL, timeout=30)  # fmt: skip
    assert loaded.stdout.strip() == "_stt", (told.group(1), loaded.stderr)
    assert "add this line" not in _install(env, "zsh").stderr  # the quoted line counts as there


@pytest.mark.parametrize("where", ["home", "xdg"])
def test_bash_sources_the_printed_line_from_folders_with_a_space_and_a_quote(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    bash = _need("bash")
    home = tmp_path / ODD / "home"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("BASH_COMPLETION_USER_DIR", raising=False)
    if where == "xdg":  # outside the home: the whole path is quoted
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / ODD / "data's place"))
    else:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr(place, "BASH_COMPLETION_SCRIPTS", ())
    result = cli("completion", "install", "bash")
    assert result.exit_code == 0, result.stderr
    told = re.search(r"add this line to ~/\.bashrc: (source .+)$", result.stderr, re.MULTILINE)
    assert told is not None, result.stderr
    shown = subprocess.run([bash, "--norc", "-c", f"{told.group(1)} && complete -p stt"], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(home)}, timeout=30)  # fmt: skip
    assert shown.returncode == 0 and " stt" in shown.stdout, (told.group(1), shown.stderr)


def _powershell_string(literal: str) -> str:
    """A single-quoted PowerShell string read by PowerShell's rules: a quote (' and its typographic kin)
    inside is written twice; a lone one would end the string."""
    quotes = place.POWERSHELL_QUOTES
    assert literal[0] in quotes and literal[-1] in quotes and len(literal) >= 2
    inner, text, i = literal[1:-1], [], 0
    while i < len(inner):
        if inner[i] in quotes:
            assert i + 1 < len(inner) and inner[i + 1] in quotes, f"a lone quote at {i} ends the string: {literal}"
            i += 1
        text.append(inner[i])
        i += 1
    return "".join(text)


def test_the_powershell_profile_line_quotes_the_path(tmp_path: Path) -> None:
    env = _account(tmp_path)
    config = tmp_path / "it's ‘quoted’ $(Get-Secret)"
    done = _install({**env, "XDG_CONFIG_HOME": str(config)}, "powershell")
    assert done.returncode == 0, done.stderr
    told = re.search(r"add this line to your \$PROFILE: \. (.+)$", done.stderr, re.MULTILINE)
    assert told is not None, done.stderr
    assert _powershell_string(told.group(1)) == str(config / "powershell" / "stt-completion.ps1")
    pwsh = shutil.which("pwsh")
    if pwsh is not None:  # where PowerShell is installed, it reads the literal back as the same path
        said = subprocess.run([pwsh, "-NoProfile", "-Command", f"Write-Output {told.group(1)}"], capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert said.stdout.strip() == str(config / "powershell" / "stt-completion.ps1")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("what", ["fifo", "zero"])
def test_a_fifo_or_device_where_the_script_goes_is_refused_by_name(tmp_path: Path, what: str) -> None:
    env = _account(tmp_path)
    path = Path(env["HOME"]) / ".config" / "fish" / "completions" / "stt.fish"
    path.parent.mkdir(parents=True)
    if what == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    done = _install(env, "fish")  # times out (a failure) if it waits on the FIFO
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert str(path.resolve()) in done.stderr and "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_for_a_zshrc_does_not_hang_the_install(tmp_path: Path) -> None:
    env = _account(tmp_path)
    os.mkfifo(Path(env["HOME"]) / ".zshrc")
    done = _install(env, "zsh")
    assert done.returncode == 0 and "before compinit" in done.stderr, done.stderr
