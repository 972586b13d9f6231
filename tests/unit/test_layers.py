"""The layers hold: each package imports only what sits below it (lazy imports inside functions included).

cli/         the terminal: Typer, flags, views, the one output sink          may import everything
completion/  the shells' scripts, made from the cli's command tree           cli, core, api, formats
core/        the use cases and local state, free of any terminal             api, formats
formats/     results rendered as text, JSON, SRT, VTT                        api.wire
api/         the wire: HTTP client, wire format, model catalogue, dialects   nothing above
emulator/    the stand-in service, faithful to the provider's documents     api, formats
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "stt_cli"
FORBIDDEN = {
    "core": ("stt_cli.cli", "typer", "click", "rich"),
    "formats": ("stt_cli.cli", "stt_cli.core", "typer", "click", "rich", "httpx"),
    "api": ("stt_cli.cli", "stt_cli.core", "stt_cli.formats", "typer", "click", "rich"),
    "emulator": ("stt_cli.cli", "stt_cli.core", "typer", "click", "rich", "httpx"),
    "errors.py": ("stt_cli.cli", "stt_cli.core", "stt_cli.api", "typer", "rich", "httpx"),
}
ONLY_IN = {"httpx": {"api/client.py"}, "rich": {"cli/output.py", "cli/views.py"}}
# What formats/ may take of stt: the wire's helpers, the errors, and itself (renderers are pure functions).
FORMATS_MAY_IMPORT = ("stt_cli.api.wire", "stt_cli.errors", "stt_cli.formats")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_nothing_above_its_layer(path: Path) -> None:
    where = str(path.relative_to(PACKAGE))
    layer = where.split("/", 1)[0]
    imports = _imports(path)
    for banned in FORBIDDEN.get(layer, ()):
        hits = sorted(i for i in imports if i == banned or i.startswith(banned + "."))
        assert not hits, f"{where} imports {hits}: {layer} sits below them"
    for library, allowed in ONLY_IN.items():
        if where not in allowed:
            assert not any(i == library or i.startswith(library + ".") for i in imports), f"{where} imports {library}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "formats").rglob("*.py")), ids=lambda p: p.name)
def test_formats_take_only_the_wire_s_helpers_and_the_errors(path: Path) -> None:
    ours = sorted(i for i in _imports(path) if i.startswith("stt_cli"))
    stray = [i for i in ours if not any(i == allowed or i.startswith(allowed + ".") for allowed in FORMATS_MAY_IMPORT)]
    assert stray == [], f"formats/{path.name} imports {stray}"


def test_the_check_sees_every_layer() -> None:
    layers = {p.relative_to(PACKAGE).parts[0] for p in MODULES}
    assert {"cli", "core", "api", "formats", "emulator"} <= layers


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if p.relative_to(PACKAGE).parts[0] in ("core", "api", "formats")],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_the_lower_layers_never_print(path: Path) -> None:
    """What core, api and formats want shown goes back to their caller (a Reporter, a warning list, a
    return value): none of them writes to the terminal itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "print", f"{path.name}:{node.lineno} prints"
        if isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr"):
            assert not (isinstance(node.value, ast.Name) and node.value.id == "sys"), f"{path.name}:{node.lineno}"


def _module(path: Path) -> str:
    parts = ["stt_cli", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Who imports whom among stt's own modules: every import, at the top, inside functions and for type
    checking alike (a cycle hidden in a function is still a cycle)."""
    names = {_module(path) for path in MODULES}
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        me = _module(path)
        targets = set()
        for imported in _imports(path):
            while imported and imported not in names:  # stt_cli.core.ledger.Ledger -> stt_cli.core.ledger
                imported = imported.rpartition(".")[0]
            if imported and imported.startswith("stt_cli") and imported != me:
                targets.add(imported)
        graph[me] = targets
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules around it, or None (depth-first search, colouring as it goes)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_module_imports_itself_back_through_others() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "an import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    assert "stt_cli.core.ledger" in _graph()["stt_cli.core.session"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_an_import_inside_a_function_says_why(path: Path) -> None:
    """Imports sit at the top of a module; one inside a function is there for start-up (a command that loads
    the module need not load what it imports), or because it may be missing, and says so on its line."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                written = lines[node.lineno - 1 : node.end_lineno]
                assert any("#" in line for line in written), f"{path.name}:{node.lineno} gives no reason"
