"""stt's own files replaced by a FIFO or a device (issue 25): the key file, the config file and the ledger are
refused by name (exit 2) without waiting on a FIFO or reading a device for
ever, and Tab completion offers nothing, at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import one_error_line, run_stt

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")
MEMORY = 1024 * 1024 * 1024  # bytes of address space: reading /dev/zero whole would pass it at once
WAIT = 30  # s: a read that waits on a FIFO never ends; the run's timeout turns it into a failure


def _place(path: Path, what: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if what == "fifo":
        os.mkfifo(path, 0o600)
    else:
        path.symlink_to("/dev/zero")


@pytest.mark.parametrize(("what", "kind"), [("fifo", "a FIFO"), ("zero", "a device")])
def test_a_ledger_that_is_no_regular_file_is_named_not_waited_on(isolated_home: Path, what: str, kind: str) -> None:
    ledger = isolated_home / "data" / "stt-cli" / "ledger.sqlite3"
    _place(ledger, what)
    done = run_stt("jobs", cwd=isolated_home, timeout=WAIT, memory=MEMORY)
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert f"the job ledger {ledger} is {kind}, not a regular file" in line and "mv " in line
    assert "rollback" not in line and "disk I/O" not in line
    tab = run_stt("__complete", "ids", cwd=isolated_home, timeout=WAIT, memory=MEMORY)
    assert tab.returncode == 0 and tab.stdout == "" and tab.stderr == ""


@pytest.mark.parametrize(("what", "kind"), [("fifo", "a FIFO"), ("zero", "a device")])
def test_a_config_file_that_is_no_regular_file_is_named(isolated_home: Path, what: str, kind: str) -> None:
    config = isolated_home / "config" / "stt-cli" / "config.toml"
    _place(config, what)
    done = run_stt("config", "list", cwd=isolated_home, timeout=WAIT, memory=MEMORY)
    assert done.returncode == 2
    assert f"the config file {config} is {kind}, not a regular file" in one_error_line(done.stderr)


@pytest.mark.parametrize(("what", "kind"), [("fifo", "a FIFO"), ("zero", "a device")])
def test_a_key_file_that_is_no_regular_file_is_named(isolated_home: Path, what: str, kind: str) -> None:
    key_file = isolated_home / "config" / "stt-cli" / "credentials.json"
    _place(key_file, what)
    done = run_stt("auth", "status", cwd=isolated_home, timeout=WAIT, memory=MEMORY)
    assert done.returncode == 2
    assert f"the key file {key_file} is {kind}, not a regular file" in one_error_line(done.stderr)


def test_a_huge_config_file_is_not_read_whole(isolated_home: Path) -> None:
    config = isolated_home / "config" / "stt-cli" / "config.toml"
    config.parent.mkdir(parents=True)
    with config.open("wb") as handle:
        handle.truncate(2 * MEMORY)  # sparse: no disk used, but twice what the process may map
    done = run_stt("config", "list", cwd=isolated_home, timeout=WAIT, memory=MEMORY)
    assert done.returncode == 2 and "bytes: no config file of stt's" in one_error_line(done.stderr)
