"""The Typer app, its commands, and the ONE error boundary that turns every failure into a line and an exit code."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from stt_cli import __version__
from stt_cli.errors import ExitCode, SttError


def _boundary(call: Callable[[], Any]) -> int:
    """Run the CLI; map every outcome to a documented exit code, with one line on stderr for failures."""
    from stt_cli import output

    try:
        result = call()
        return int(result) if isinstance(result, int) else ExitCode.OK
    except SttError as exc:
        output.error(exc.message, exc.hint)
        return exc.exit_code
    except click_exceptions.NoArgsIsHelpError:
        return ExitCode.USAGE  # the help has been shown; a bare `stt` is not a successful run
    except click_exceptions.UsageError as exc:
        where = f"{exc.ctx.command_path} --help" if exc.ctx is not None else "stt --help"
        output.error(exc.format_message(), f"see '{where}'")
        return ExitCode.USAGE
    except click_exceptions.ClickException as exc:
        output.error(exc.format_message())
        return ExitCode.USAGE
    except (typer.Abort, KeyboardInterrupt):
        output.error("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`stt fetch ID | head`): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:  # the last resort: never a traceback unless asked for
        if os.environ.get("STT_DEBUG"):
            traceback.print_exception(exc, limit=None, chain=True)
        output.error(
            f"unexpected {type(exc).__name__}: {exc}",
            "this is a bug in stt; rerun with STT_DEBUG=1 for details and report it",
        )
        return ExitCode.UNEXPECTED


class SttGroup(TyperGroup):
    """The root group: same boundary for the console script and for in-process test runners."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = _boundary(
            lambda: super(SttGroup, self).main(
                args=args,
                prog_name=prog_name or "stt",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=SttGroup,
    name="stt",
    help="Transcribe audio with the AI/ML API speech-to-text service.",
    epilog="Try it without an account: `stt emulator` in one terminal, then see the README's quick start.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit"),
    ] = None,
) -> None:
    """Transcribe audio with the AI/ML API speech-to-text service."""


def _register() -> None:
    from stt_cli.commands import auth, emulator, jobs, transcribe

    transcribe.register(app)
    jobs.register(app)
    app.add_typer(auth.app, name="auth")
    emulator.register(app)


_register()


def _exit_now(signum: int, frame: object) -> None:
    os._exit(ExitCode.INTERRUPTED)


def _on_interrupt(signum: int, frame: object) -> None:
    """The first Ctrl-C or SIGTERM unwinds cleanly (temp files removed, resume hint shown); a second exits at once."""
    signal.signal(signal.SIGINT, _exit_now)
    signal.signal(signal.SIGTERM, _exit_now)
    raise KeyboardInterrupt


def main() -> None:
    """The console script."""
    signal.signal(signal.SIGINT, _on_interrupt)
    signal.signal(signal.SIGTERM, _on_interrupt)
    app()
