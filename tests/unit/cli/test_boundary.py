"""The error boundary: an unexpected error is one line and exit 1, never a traceback."""

from __future__ import annotations

import pytest


def test_unexpected_errors_exit_1_in_one_line_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    from stt_cli.cli.app import _boundary

    def broken() -> None:
        secret = "do-not-show-locals"  # noqa: F841 - a local that must never be printed
        raise RuntimeError("boom")

    assert _boundary(broken) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected RuntimeError: boom")
    assert "Traceback" not in err and "do-not-show-locals" not in err
