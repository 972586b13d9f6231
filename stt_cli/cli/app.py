"""The Typer app, its commands, and the ONE error boundary that turns every failure into a line and an exit code."""

from __future__ import annotations

import difflib
import importlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Annotated, Any

import typer
from typer.main import get_command

from stt_cli import __version__
from stt_cli.cli import click_api, output
from stt_cli.cli.build import QuietOpt, VerboseOpt, group, set_verbosity
from stt_cli.cli.help import SttSubGroup
from stt_cli.core.defaults import DEFAULTED_COMMANDS
from stt_cli.errors import LOCAL_ERRNOS, ExitCode, SttError, local_failure


def _boundary(call: Callable[[], Any], given: Sequence[str] = ()) -> int:
    """Run the CLI; map every outcome to a documented exit code, with one line on stderr for failures (`given`:
    the command line's words, to tell a file named like an option from a mistyped option)."""

    try:
        result = call()
        return int(result) if isinstance(result, int) else ExitCode.OK
    except SttError as exc:
        from stt_cli.cli.hints import explain  # lazy for start-up: stt --help

        output.error(*explain(exc), int(exc.exit_code))
        return exc.exit_code
    except click_api.NoArgsIsHelpError:
        return ExitCode.USAGE  # the help has been shown; a bare `stt` is not a successful run
    except click_api.ClickUsageError as exc:
        where = f"{exc.ctx.command_path} --help" if exc.ctx is not None else "stt --help"
        hint = f"see '{where}'"
        option = getattr(exc, "option_name", None)
        if option in ("--model", "-m", "--model-unchecked"):  # `--model #g1_...`: the shell dropped `#...`
            from stt_cli.cli.options.model_choice import empty_value_hint  # lazy for start-up: stt --help

            hint = empty_value_hint(option)
        typed = getattr(exc, "option_name", "") if type(exc).__name__ == "NoSuchOption" else ""
        files = [word for word in given if typed and word.startswith(typed) and os.path.isfile(word)]
        if files:  # `stt run -x.wav`: a file whose name starts with a dash
            hint = f"{files[0]} is a file: write it as ./{files[0]} (or put -- before it)"
        output.error(exc.format_message(), hint, ExitCode.USAGE)
        return ExitCode.USAGE
    except click_api.ClickException as exc:
        output.error(exc.format_message(), code=ExitCode.USAGE)
        return ExitCode.USAGE
    except (typer.Abort, KeyboardInterrupt):
        output.error("interrupted", code=ExitCode.INTERRUPTED)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`stt fetch ID | head`): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except OSError as exc:
        if exc.errno not in LOCAL_ERRNOS:
            return _unexpected(exc)
        failure = local_failure(exc, "continue")  # a full disk, a read-only or looping path: the machine, not stt
        output.error(failure.message, failure.hint, int(failure.exit_code))
        return failure.exit_code
    except Exception as exc:  # the last resort: never a traceback unless asked for
        return _unexpected(exc)


def _unexpected(exc: Exception) -> int:

    if os.environ.get("STT_DEBUG"):
        traceback.print_exception(exc, limit=None, chain=True)
    output.error(
        f"unexpected {type(exc).__name__}: {exc}",
        "this is a bug in stt; rerun with STT_DEBUG=1 for details and report it",
        ExitCode.UNEXPECTED,
    )
    return ExitCode.UNEXPECTED


# Every command, loaded only when it is used: `stt --help` and `stt status` import nothing they do not need.
# name: (module, attribute holding its Typer, one-line summary shown by `stt --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("stt_cli.cli.commands.run", "run_app", "Transcribe audio and wait for the result"),
    "submit": ("stt_cli.cli.commands.run", "submit_app", "Create jobs and print their ids at once"),
    "status": ("stt_cli.cli.commands.status", "status_app", "Show a job's status"),
    "fetch": ("stt_cli.cli.commands.fetch", "fetch_app", "Get a job's result (waits while it is pending)"),
    "jobs": ("stt_cli.cli.commands.jobs", "jobs_app", "List and tidy the jobs submitted from this machine"),
    "models": (
        "stt_cli.cli.commands.models",
        "models_app",
        "List the model ids, what they give and the flags each takes",
    ),
    "config": ("stt_cli.cli.commands.config", "config_app", "Show or set defaults (model, format, ...)"),
    "auth": ("stt_cli.cli.commands.auth", "auth_app", "Store, show or remove the API key"),
    "completion": ("stt_cli.cli.commands.completion", "completion_app", "Print or install Tab completion"),
    "emulator": ("stt_cli.cli.commands.emulator", "emulator_app", "Run a local emulator of the API"),
    "help": ("stt_cli.cli.commands.help", "help_app", "Show a topic (environment, exit-codes, formats, ...)"),
}

# What people type from other tools, and the command that does it here.
OTHER_NAMES = {
    "transcribe": "run",
    "recognize": "run",
    "create": "submit",
    "get": "fetch",
    "result": "fetch",
    "results": "fetch",
    "download": "fetch",
    "wait": "fetch",
    "list": "jobs",
    "ls": "jobs",
    "history": "jobs",
    "login": "auth login",
    "logout": "auth logout",
    "key": "auth",
    "settings": "config",
    "set": "config set",
    "serve": "emulator",
    "server": "emulator",
    "mock": "emulator",
    "version": "--version",
}


def suggest_command(typed: str, names: list[str]) -> str | None:
    """The name among `names` a mistyped one most likely meant (a close spelling), or None."""

    close = difflib.get_close_matches(typed.strip().lower(), names, n=1, cutoff=0.6)
    return close[0] if close else None


class LazyCommands(MutableMapping[str, Any]):
    """The root group's commands: names known up front, each built from its module on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)

            module, attribute, _ = COMMANDS[name]
            built = get_command(getattr(importlib.import_module(module), attribute))
            built.name = name
            self._built[name] = built
        return self._built[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._built[name] = value

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*COMMANDS, *(n for n in self._built if n not in COMMANDS)])

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._built))


class SttGroup(SttSubGroup):
    """The root group: lazy commands, the same plain help, and one boundary for the console script and tests."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = LazyCommands()

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Another tool's name for a command (transcribe, login, ls) says which command does it here; a close
        misspelling gets click's own suggestion."""
        name = args[0].strip().lower() if args else ""
        if name in OTHER_NAMES and name not in COMMANDS:
            meant = OTHER_NAMES[name]
            raise click_api.ClickUsageError(f"No such command {args[0]!r}. Did you mean 'stt {meant}'?", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, _, summary) in COMMANDS.items()])

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        output.set_verbosity(output.NORMAL)  # -q / -v apply to one invocation (tests run many in one process)
        hints = sys.modules.get("stt_cli.cli.hints")  # not loaded: nothing carried (and --help need not load it)
        if hints is not None:
            hints.carry([])  # the options a resume command repeats apply to one invocation too
        given = list(args) if args is not None else sys.argv[1:]
        output.set_json_errors("--json" in given)  # a usage error of a --json run is a JSON line too

        extra.setdefault("default_map", CommandDefaults())  # flag > environment > config file > default
        code = _boundary(
            lambda: super(SttGroup, self).main(
                args=args,
                prog_name=prog_name or "stt",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            ),
            given,
        )
        if standalone_mode:
            sys.exit(code)
        return code


class CommandDefaults:
    """The root context's default_map: a command's defaults from the environment and the config file, worked
    out only when that command runs (flag > environment > config file > default); the file's warnings shown then.
    """

    def get(self, command: str, fallback: Any = None) -> Any:

        if command not in DEFAULTED_COMMANDS:  # click asks of every option and command: most have no settings
            return fallback
        from stt_cli.core.settings import command_defaults  # lazy for start-up: stt --help

        defaults, warnings = command_defaults(command)
        for warning in warnings:
            output.warn(warning)
        return defaults if defaults is not None else fallback


ROOT_HELP = """Transcribe audio with the AI/ML API speech-to-text service.

Examples:
  stt run talk.wav                        # the transcript on stdout
  stt run talk.wav -f srt -o talk.srt     # subtitles
  id=$(stt submit talk.wav) && stt fetch "$id" -f json

No account yet? `stt emulator` is a local stand-in of the service: see the
README's quick start. `stt COMMAND --help` explains each command.
"""

app = group("stt", ROOT_HELP, cls=SttGroup, no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stt {__version__}")
        raise typer.Exit()


def _man(value: bool) -> None:
    if value:
        from stt_cli.cli.manpage import render  # lazy for start-up: stt --help

        output.data(render(app, COMMANDS))
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit"),
    ] = None,
    man: Annotated[
        bool | None,
        typer.Option("--man", callback=_man, is_eager=True, help="Print the manual page: stt --man | man -l -"),
    ] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    set_verbosity(quiet, verbose)


def _exit_now(signum: int, frame: object) -> None:
    os._exit(ExitCode.INTERRUPTED)


def _on_interrupt(signum: int, frame: object) -> None:
    """The first Ctrl-C or SIGTERM unwinds cleanly (temp files removed, resume hint shown); a second exits at once."""
    signal.signal(signal.SIGINT, _exit_now)
    signal.signal(signal.SIGTERM, _exit_now)
    raise KeyboardInterrupt


def launch() -> None:
    """The app under stt's signal handling (cli/main.py, the console script, calls it once start-up is done)."""
    signal.signal(signal.SIGINT, _on_interrupt)
    signal.signal(signal.SIGTERM, _on_interrupt)
    app()
