"""The README runs as written: its quick start and its marked examples, against an emulator. It stays short (300
lines at most), its links and those of docs/ lead to pages and headings that exist, and the `stt --help` block of
docs/usage.md matches the app."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EmulatorHandle, free_port, subprocess_env

ROOT = Path(__file__).resolve().parents[2]


README = (ROOT / "README.md").read_text(encoding="utf-8")


DOCS = ROOT / "docs"


MARK = "<!-- readme-test:"


BIN = str(Path(sys.executable).parent)


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate", ROOT / "scripts" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _marked_blocks() -> list[str]:
    blocks = []
    for match in re.finditer(re.escape(MARK) + r".*?-->\n```bash\n(.*?)```", README, re.S):
        blocks.append(match.group(1))
    return blocks


BLOCKS = _marked_blocks()


def _run_block(block: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    if shutil.which("jq") is None:
        if os.environ.get("CI"):
            pytest.fail("jq is not installed; .ci/run installs it")
        pytest.skip("jq is not installed")
    return subprocess.run([bash, "-c", block], cwd=cwd, env=env, capture_output=True, text=True, timeout=90)


def _env(emulator: EmulatorHandle, tmp_path: Path) -> dict[str, str]:
    env = subprocess_env(emulator)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["CI"] = "true"
    return env


@pytest.fixture
def workdir(emulator: EmulatorHandle, tmp_path: Path) -> Path:
    """Where the quick start leaves the reader: the sample recording as talk.wav."""
    done = subprocess.run(
        [sys.executable, "-m", "stt_cli", "emulator", "--write-sample", "talk.wav"], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0
    return tmp_path


INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install . && "
QUICK_START = next(b for b in re.findall(r"```bash\n(.*?)```", README, re.S) if b.startswith(INSTALL))
STOP = re.search(r"`(stt emulator --stop --port 8750)` stops it", README)


def test_the_quick_start_runs_twice_and_its_stop_line_stops_the_emulator(tmp_path: Path) -> None:
    """The one-liner as written (minus the install, done already; on a port of the test's own), run twice:
    the second run finds the emulator there and says nothing of it but that; then the README's stop line."""
    port = str(free_port())
    line = QUICK_START.removeprefix(INSTALL).replace("8750", port)
    assert "--detach" in line and STOP is not None
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    bash = shutil.which("bash")
    assert bash is not None
    first = subprocess.run([bash, "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90)
    pid = re.search(r"\(pid (\d+); stop it: stt emulator --stop --port " + port + r"\)", first.stderr)
    try:
        assert first.returncode == 0 and pid is not None, first.stderr
        assert first.stdout.startswith("Welcome to the speech to text command line tool.")
        assert "Speaker 0: Welcome to the speech" in first.stdout
        second = subprocess.run([bash, "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90)
        assert second.returncode == 0 and second.stdout == first.stdout, second.stderr
        assert "Address already in use" not in second.stderr and "error" not in second.stderr.lower()
        assert f"stt emulator already listening on http://127.0.0.1:{port}/v1 (pid {pid.group(1)})" in second.stderr
        stop = subprocess.run(
            [bash, "-c", STOP.group(1).replace("8750", port)], env=env, capture_output=True, text=True, timeout=30
        )
        assert stop.returncode == 0 and stop.stderr == f"stopped the stt emulator on http://127.0.0.1:{port}/v1\n"
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", int(port)), timeout=1):
            pass
    finally:
        if pid is not None and Path(f"/proc/{pid.group(1)}").exists():  # a failed test leaves no emulator
            subprocess.run([bash, "-c", STOP.group(1).replace("8750", port)], env=env, capture_output=True, timeout=30)
            cmdline = Path(f"/proc/{pid.group(1)}/cmdline")
            if cmdline.exists() and b"stt_cli\0emulator" in cmdline.read_bytes():  # the one this test started
                os.kill(int(pid.group(1)), signal.SIGKILL)


def test_the_help_block_is_what_stt_help_prints() -> None:
    generate = _generator()
    page = (DOCS / "usage.md").read_text(encoding="utf-8")
    assert generate.with_help(page) == page, "docs/usage.md's stt --help block is stale: python scripts/generate.py"
    block = page[page.index(generate.HELP_START) : page.index(generate.HELP_END)]
    assert "Usage: stt [OPTIONS] COMMAND" in block and "completion  Print or install Tab completion" in block


def test_the_readme_marks_its_script_examples() -> None:
    assert len(BLOCKS) == 3


def test_the_scripting_examples_run_as_written(emulator: EmulatorHandle, workdir: Path) -> None:
    done = _run_block(BLOCKS[0], workdir, _env(emulator, workdir))
    assert done.returncode == 0 and "error:" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] in ("queued", "processing", "completed")
    assert lines[1] == "39"  # the sample's words, through jq
    assert lines[-1] == "text"  # stt config get format
    assert "#g1_whisper-tiny" in lines and "#g1_whisper-base" in lines
    assert (workdir / "talk.srt").read_text().startswith("1\n00:00:00,")
    assert sum(1 for c in emulator.creates()) == 2 and sum(1 for line in lines if line.endswith("talk.wav")) == 1


def test_the_exit_code_loop_runs_as_written(emulator: EmulatorHandle, workdir: Path) -> None:
    env = _env(emulator, workdir)
    done = _run_block(BLOCKS[1], workdir, env)
    assert done.returncode == 0 and done.stdout == "ok: talk.wav\n" and done.stderr == ""
    assert (workdir / "subs" / "talk.srt").exists()
    emulator.next_job(fail="Audio could not be decoded")
    (workdir / "subs" / "talk.srt").unlink()
    again = _run_block(BLOCKS[1].replace("--skip-existing", "--skip-existing --resubmit"), workdir, env)
    assert again.stdout == "" and "failed on the server: talk.wav" in again.stderr
    env["AIML_API_KEY"] = ""
    env["STT_CONFIG_DIR"] = str(workdir / "empty-config")
    keyless = _run_block(BLOCKS[1], workdir, env)
    assert keyless.returncode == 3 and "run stt auth login" in keyless.stderr


def test_the_ci_pipeline_test_runs_as_written(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "CI": "true"}
    for name in ("AIML_API_BASE", "AIML_API_KEY"):
        env.pop(name, None)
    done = _run_block(BLOCKS[2], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("pipeline ok")
    assert (tmp_path / "sample.srt").read_text().startswith("1\n00:00:00,300 --> ")


def test_the_readme_stays_short() -> None:
    """The README is what a first-time user reads through; the depth lives in docs/."""
    assert len(README.splitlines()) <= 300, "README.md is over 300 lines: move the detail to a page in docs/"


def _anchor(heading: str) -> str:
    """The anchor GitHub makes for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _headings(text: str) -> set[str]:
    outside_code = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.S | re.M)
    return {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", outside_code, re.M)}


def test_the_links_of_the_readme_and_docs_lead_to_pages_and_headings_that_exist() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    assert {p.name for p in pages} >= {
        "README.md",
        "security.md",
        "performance.md",
        "architecture.md",
        "models.md",
        "output-formats.md",
        "emulator.md",
        "development.md",
    }
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.is_file() and anchor not in _headings(linked.read_text(encoding="utf-8")):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
