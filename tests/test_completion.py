"""Shell completion: the committed scripts match the app, and real bash, zsh and fish complete from them."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stt_cli.completion.ids import job_ids
from stt_cli.completion.scripts import FILE_NAMES, SHELLS, render
from stt_cli.completion.spec import command_specs
from stt_cli.core.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"
BIN = str(Path(sys.executable).parent)  # where this environment's `stt` lives
IDS = ("3f1c9a2e-0001", "7b2d44aa-0002", "short03")

# The lines the issue names, and what each shell must answer (a trailing space: complete a new word).
REQUIRED = {
    "stt f": {"fetch"},
    "stt run --fo": {"--force", "--format"},
    "stt run -f ": {"text", "json", "srt", "vtt"},
}
MORE = {
    "stt run --format=": {"text", "json", "srt", "vtt"},
    "stt fetch -f s": {"srt"},
    "stt jobs ": {"rm", "prune"},
    "stt config get max_c": {"max_cps", "max_cue_duration"},
    "stt completion ": {"bash", "zsh", "fish", "powershell"},
    "stt -v st": {"status"},
    "stt run --custom-topic-mode ": {"strict", "extended"},
    "stt status ": set(IDS),
    "stt jobs rm 7": {"7b2d44aa-0002"},
    "stt status --json s": {"short03"},
}


def _need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{shell} is not installed; .ci/run installs it")
        pytest.skip(f"{shell} is not installed")
    return found


@pytest.fixture
def ledger_with_jobs() -> None:
    ledger = Ledger()
    for n, job_id in enumerate(IDS):
        ledger.add(job_id, "127.0.0.1:1", f"/audio/call-{n}.wav", "#g1_whisper-large", {}, None, None)
    ledger.close()


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "HOME": str(tmp_path)}


# --- the files --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shell", SHELLS)
def test_committed_scripts_are_up_to_date(shell: str) -> None:
    committed = (COMPLETIONS / FILE_NAMES[shell]).read_text(encoding="utf-8")
    assert committed == render(shell), f"completions/{FILE_NAMES[shell]} is stale: run python scripts/generate.py"


def test_generate_check_reports_stale_files_and_rewrites_them(tmp_path: Path) -> None:
    for part in ("scripts", "completions"):
        shutil.copytree(ROOT / part, tmp_path / part)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    script = str(tmp_path / "scripts" / "generate.py")
    assert subprocess.run([sys.executable, script, "--check"], capture_output=True).returncode == 0
    (tmp_path / "completions" / "stt.fish").write_text("# edited by hand\n")
    readme = (tmp_path / "README.md").read_text()
    (tmp_path / "README.md").write_text(readme.replace("Show the version and exit", "Show the version"))
    check = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert check.returncode == 1 and "completions/stt.fish" in check.stderr and "README.md" in check.stderr
    assert (tmp_path / "completions" / "stt.fish").read_text() == "# edited by hand\n"  # --check never writes
    fix = subprocess.run([sys.executable, script], capture_output=True, text=True)
    assert fix.returncode == 0 and (tmp_path / "completions" / "stt.fish").read_text() == render("fish")
    assert (tmp_path / "README.md").read_text() == readme


def test_stt_completion_prints_the_committed_script(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("completion", "zsh")
    assert result.exit_code == 0
    assert result.stdout == (COMPLETIONS / "_stt").read_text(encoding="utf-8")
    assert cli("completion", "tcsh").exit_code == 2


def test_the_tree_holds_every_command_and_option() -> None:
    specs = {spec.path: spec for spec in command_specs()}
    assert {"", "run", "submit", "status", "fetch", "jobs", "jobs rm", "config set", "auth login", "models"} <= set(
        specs
    )
    run = {name: option for option in specs["run"].options for name in option.names}
    assert run["-f"].choices == ("text", "json", "srt", "vtt") and run["-m"].value == "model"
    assert run["-o"].value == "file" and run["--output-dir"].value == "dir" and run["--diarize"].value is None
    assert specs["status"].args == ("id",) and specs["run"].args == ("file...",)


def test_job_ids_come_from_the_ledger_newest_first(ledger_with_jobs: None) -> None:
    lines = job_ids().splitlines()
    assert [line.split("\t")[0] for line in lines] == list(reversed(IDS))
    assert lines[0].split("\t")[1] == "call-2.wav, queued"


def test_job_ids_without_a_ledger_is_empty_and_quick(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stt_cli", "__complete", "ids"], capture_output=True, text=True, env=_env(tmp_path)
    )
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


# --- real shells ----------------------------------------------------------------------------------------
BASH_DRIVER = r"""
source "$1"
shift
for line in "$@"; do
    COMP_LINE=$line
    COMP_POINT=${#line}
    read -r -a COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    # bash splits --format=srt at "=" (COMP_WORDBREAKS)
    if [[ ${COMP_WORDS[-1]} == --*= ]]; then w=${COMP_WORDS[-1]}; unset 'COMP_WORDS[-1]'; COMP_WORDS+=("${w%=}" "="); fi
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _stt
    printf '%s\t' "${COMPREPLY[@]}"
    printf '\n'
done
"""


def _bash(lines: list[str], tmp_path: Path) -> dict[str, set[str]]:
    bash = _need("bash")
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", BASH_DRIVER, "driver", str(COMPLETIONS / "stt.bash"), *lines],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answers = done.stdout.split("\n")[: len(lines)]
    return {line: {w for w in answer.split("\t") if w} for line, answer in zip(lines, answers, strict=True)}


def _fish(lines: list[str], tmp_path: Path) -> dict[str, set[str]]:
    fish = _need("fish")
    answers = {}
    for line in lines:
        done = subprocess.run(
            [fish, "--no-config", "-c", f"source {COMPLETIONS / 'stt.fish'}; complete -C $argv[1]", line],
            capture_output=True,
            text=True,
            env=_env(tmp_path),
            timeout=60,
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        # fish answers whole tokens: --format=srt where the others answer srt
        token = line.rsplit(" ", 1)[-1]
        head = token[: token.index("=") + 1] if token.startswith("--") and "=" in token else ""
        answers[line] = {row.split("\t")[0].removeprefix(head) for row in done.stdout.splitlines() if row}
    return answers


def _zsh(lines: list[str], tmp_path: Path) -> dict[str, set[str]]:
    """An interactive zsh on a pseudo-terminal: each line is typed, then Tab; tests/shells/capture.zsh logs."""
    zsh = _need("zsh")
    capture = tmp_path / "zsh-capture.txt"
    capture.write_text("")
    env = {
        **_env(tmp_path),
        "STT_CAPTURE": str(capture),
        "STT_COMPLETIONS": str(COMPLETIONS),
        "TERM": "xterm",
        "PS1": "> ",
        "ZDOTDIR": str(tmp_path),
    }
    master, slave = pty.openpty()
    proc = subprocess.Popen([zsh, "-f", "-i"], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)

    def wait_for(marker: str) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            while select.select([master], [], [], 0.02)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
            text = capture.read_text()
            if marker in text:
                return text
        raise AssertionError(f"zsh did not answer; captured so far: {capture.read_text()!r}")

    answers = {}
    try:
        os.write(master, f"source {Path(__file__).parent / 'shells' / 'capture.zsh'}\n".encode())
        wait_for("--ready--")
        for line in lines:
            capture.write_text("")
            os.write(master, line.encode() + b"\t")
            text = wait_for("--done--")
            os.write(master, b"\x15")  # ^U: clear the line for the next one
            answers[line] = {row for row in text.splitlines() if row and row != "--done--"}
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    return answers


ASK = {"bash": _bash, "zsh": _zsh, "fish": _fish}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_real_shells_complete_the_issue_lines(shell: str, tmp_path: Path, ledger_with_jobs: None) -> None:
    expected = {**REQUIRED, **MORE}
    answers = ASK[shell](list(expected), tmp_path)
    for line, want in expected.items():
        assert answers[line] == want, f"{shell}: {line!r} gave {sorted(answers[line])}, wanted {sorted(want)}"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_real_shells_complete_models_and_files(shell: str, tmp_path: Path) -> None:
    (tmp_path / "talk.wav").write_bytes(b"RIFF")
    (tmp_path / "talk.srt").write_text("")
    prefix = {"bash": "\\#g1_whisper-t", "zsh": "'#g1_whisper-t", "fish": "'#g1_whisper-t"}[shell]
    model_line = f"stt run -m {prefix}"
    file_line = f"stt run {tmp_path}/tal"
    answers = ASK[shell]([model_line, file_line, "stt run -m nova-3-"], tmp_path)
    model = {"bash": "\\#g1_whisper-tiny"}.get(shell, "#g1_whisper-tiny")
    assert answers[model_line] == {model}
    assert answers["stt run -m nova-3-"] == {"nova-3-general", "nova-3-medical"}
    files = {name.rsplit("/", 1)[-1] for name in answers[file_line]}
    assert files == {"talk.wav", "talk.srt"}
