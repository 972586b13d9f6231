"""The placement rule of the tests, checked: a test's folder says what it crosses.

    unit/  pure code: no server, no socket, no subprocess, no CLI run; its folders mirror the package
           (unit/core/test_ledger.py tests stt_cli/core/ledger.py)
    cli/   a command run in-process (the `cli` fixture, or the app) against a real server on loopback
           (the emulator or tests/hostile.py); one file per command (test_<command>.py), and one per
           concern every command shares (bad input, hostile answers, HTTP, conventions, reliability)
    e2e/   real processes: signals, pipes, terminals, several stt at once, real shells, the README's
           commands, the provider's example programs

Shared fixtures and helpers live in tests/conftest.py; the hostile server in tests/hostile.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SERVERS = {"emulator", "emulator_b", "hostile", "cli", "slow_emulator", "nasty", "fuzz_emulator"}
PROCESS_MODULES = {"subprocess", "pty", "multiprocessing"}
PROCESS_HELPERS = {"stderr_on_a_terminal", "stdout_on_a_terminal", "run_stt", "subprocess_env", "spawn"}
NETWORK = {"socket", "urllib", "httpx", "http"}


def _uses(path: Path) -> tuple[set[str], set[str], set[str]]:
    """The modules a test file imports, the fixtures its tests take, and the names it refers to."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    fixtures: set[str] = set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.FunctionDef):
            fixtures |= {arg.arg for arg in node.args.args}
        elif isinstance(node, ast.Name):
            names.add(node.id)
    return modules, fixtures, names


def test_every_test_file_is_in_one_of_the_three_folders() -> None:
    loose = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert loose == [], f"move these into unit/, cli/ or e2e/: {loose}"
    basenames = [p.name for p in TESTS.glob("*/**/test_*.py")]
    assert len(basenames) == len(set(basenames)), "two test files share a name (pytest cannot import both)"
    packages = sorted(str(p.relative_to(TESTS)) for p in TESTS.rglob("__init__.py"))
    assert packages == [], f"test folders are no packages (pytest imports test files by basename): {packages}"


@pytest.mark.parametrize("path", sorted(TESTS.glob("unit/**/test_*.py")), ids=lambda p: p.name)
def test_unit_tests_cross_no_wire_and_start_no_process(path: Path) -> None:
    modules, fixtures, names = _uses(path)
    assert not modules & (PROCESS_MODULES | NETWORK), f"{path.name} imports {modules & (PROCESS_MODULES | NETWORK)}"
    assert not fixtures & SERVERS, f"{path.name} takes {fixtures & SERVERS}: it belongs in cli/"
    assert not names & {"run_cli", "start_emulator", "Emulator", "HostileServer", "ApiClient"}, path.name


@pytest.mark.parametrize("path", sorted(TESTS.glob("cli/**/test_*.py")), ids=lambda p: p.name)
def test_cli_tests_run_in_process(path: Path) -> None:
    modules, _, names = _uses(path)
    assert not modules & PROCESS_MODULES, f"{path.name} imports {modules & PROCESS_MODULES}: it belongs in e2e/"
    assert not names & PROCESS_HELPERS, f"{path.name} uses {names & PROCESS_HELPERS}: it belongs in e2e/"


def test_unit_tests_mirror_the_package() -> None:
    """tests/unit/core/media/ holds the tests of stt_cli/core/media/, and so on: each folder under tests/unit/ is
    a package of stt_cli (the tests of the whole project's rules sit at tests/unit/ itself)."""
    package = TESTS.parent / "stt_cli"
    folders = sorted(p.relative_to(TESTS / "unit") for p in (TESTS / "unit").rglob("*") if p.is_dir())
    folders = [f for f in folders if f.name != "__pycache__" and "__pycache__" not in f.parts]
    assert folders, "tests/unit has no package folders"
    for folder in folders:
        assert (package / folder / "__init__.py").exists(), f"tests/unit/{folder} mirrors no package of stt_cli"
    loose = sorted(p.name for p in (TESTS / "unit").glob("test_*.py"))
    assert loose == ["test_layers.py", "test_placement.py"], f"move these beside their package's tests: {loose}"
