"""The one door to Typer's private click: every name stt takes from it is still there."""

from __future__ import annotations


def test_the_private_click_inside_typer_still_has_what_stt_uses() -> None:
    """stt_cli/cli/click_api.py is the one import of typer._click: a Typer upgrade that moves a name fails here."""
    import typer

    from stt_cli.cli import click_api

    for name in click_api.__all__:
        assert getattr(click_api, name, None) is not None, f"typer {typer.__version__} has no click {name}"
    assert issubclass(click_api.ClickUsageError, click_api.ClickException)
    assert issubclass(click_api.NoArgsIsHelpError, click_api.ClickUsageError)
    assert hasattr(click_api.HelpFormatter, "write_dl") and hasattr(click_api.Context, "command_path")
