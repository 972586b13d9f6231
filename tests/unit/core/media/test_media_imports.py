"""What core/media and --dry-run can ever import, read from the source: every import statement they could run,
those inside functions included, followed through the package. --dry-run must never load the HTTP client
(httpx is 40 ms of start-up, and a dry run sends nothing), and media must not reach back into core/sources,
which imports it (the cycle the package split broke)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
MEDIA = sorted(
    f"stt_cli.core.media.{p.stem}" for p in (ROOT / "stt_cli" / "core" / "media").glob("*.py") if p.stem != "__init__"
)


def _file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every module an import in this file names, at any depth, but those under `if TYPE_CHECKING:` (never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names if _file(f"{node.module}.{alias.name}")}
    return found


def reachable(start: list[str]) -> set[str]:
    """The modules these can load, theirs and the third-party ones (top-level names), parent packages included."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _file(name)
        if path is None:
            continue
        parts = name.split(".")
        todo += [".".join(parts[:n]) for n in range(1, len(parts))]
        for found in _imports(path):
            if found.startswith("stt_cli"):
                todo.append(found if _file(found) else found.rsplit(".", 1)[0])
            else:
                seen.add(found.split(".")[0])
    return seen


def test_the_walk_sees_the_package_and_follows_imports() -> None:
    assert len(MEDIA) >= 5
    assert {"stt_cli.core.sources", "stt_cli.core.media.upload", "platformdirs"} <= reachable(["stt_cli.core.sources"])
    assert {"httpx", "stt_cli.api.client"} <= reachable(["stt_cli.core.submission"])


@pytest.mark.parametrize("module", ["stt_cli.core.preview", "stt_cli.core.usecases.dryrun", *MEDIA])
def test_media_and_dry_run_never_load_the_http_client(module: str) -> None:
    loaded = reachable([module])
    assert "httpx" not in loaded and "stt_cli.api.client" not in loaded, module


@pytest.mark.parametrize("module", MEDIA)
def test_media_never_reaches_back_into_sources(module: str) -> None:
    assert "stt_cli.core.sources" not in reachable([module])
