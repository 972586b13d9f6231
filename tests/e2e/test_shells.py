"""Real bash, zsh and fish complete from the committed scripts and never run or offer a poisoned job id; `stt
__complete ids` is empty and quick without a ledger."""

from __future__ import annotations

import os
import pty
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import IDS

from stt_cli.core.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]


COMPLETIONS = ROOT / "completions"


BIN = str(Path(sys.executable).parent)  # where this environment's `stt` lives


# The lines the issue names, and what each shell must answer (a trailing space: complete a new word).
REQUIRED = {
    "stt f": {"fetch"},
    "stt run --fo": {"--force", "--format"},
    "stt run -f ": {"text", "json", "srt", "vtt", "tsv", "md", "all"},
}


MORE = {
    "stt run --format=": {"text", "json", "srt", "vtt", "tsv", "md", "all"},
    "stt fetch -f s": {"srt"},
    "stt jobs ": {"rm", "prune"},
    "stt config get max_c": {"max_cps", "max_cue_duration"},
    "stt completion ": {"bash", "zsh", "fish", "powershell", "install"},
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


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "HOME": str(tmp_path)}


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
        os.write(master, f"source {Path(__file__).resolve().parents[1] / 'shells' / 'capture.zsh'}\n".encode())
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


def test_job_ids_without_a_ledger_is_empty_and_quick(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stt_cli", "__complete", "ids"], capture_output=True, text=True, env=_env(tmp_path)
    )
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


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
    answers = ASK[shell]([model_line, file_line, "stt run -m nova-3-", "stt run -m whisper-t"], tmp_path)
    model = {"bash": "\\#g1_whisper-tiny"}.get(shell, "#g1_whisper-tiny")
    assert answers[model_line] == {model}
    assert answers["stt run -m nova-3-"] == {"nova-3-general", "nova-3-medical"}
    assert answers["stt run -m whisper-t"] == {"whisper-tiny"}  # the aliases, which need no quoting
    files = {name.rsplit("/", 1)[-1] for name in answers[file_line]}
    assert files == {"talk.wav", "talk.srt"}


def test_bash_completion_never_runs_or_offers_a_poisoned_id(tmp_path: Path, isolated_home: Path) -> None:

    with Ledger() as ledger:
        ledger.add("good-id-1", "127.0.0.1:1", "/a.wav", "m", {})
    db = sqlite3.connect(isolated_home / "data" / "stt-cli" / "ledger.sqlite3")
    for job_id in ["$(touch pwned1)", "`touch pwned2`", "x;touch pwned3", "goo$(touch pwned4)"]:
        db.execute(
            "INSERT INTO jobs (id, host, created_at, updated_at, source, model, options, status)"
            " VALUES (?, 'h:1', 9e9, 9e9, 's', 'm', '{}', 'queued')",
            (job_id,),
        )
    db.commit()
    db.close()
    answers = _bash(["stt fetch ", "stt fetch g", "stt status x"], tmp_path)
    assert answers == {"stt fetch ": {"good-id-1"}, "stt fetch g": {"good-id-1"}, "stt status x": set()}
    assert list(tmp_path.glob("pwned*")) == [] and list(Path.cwd().glob("pwned*")) == []


def test_bash_completion_drops_unsafe_words_even_from_a_lying_stt(tmp_path: Path) -> None:
    """The script itself never evaluates a candidate: a stand-in `stt` printing poisoned ids runs nothing."""
    import shutil

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "stt").write_text(
        "#!/bin/sh\nprintf '%s\\t\\n' '$(touch pwned)' '`touch pwned2`' 'ok-id' '*' 'a b'\n", encoding="utf-8"
    )
    (fake / "stt").chmod(0o755)
    script = Path(__file__).resolve().parents[2] / "completions" / "stt.bash"
    driver = 'source "$1"; COMP_WORDS=(stt fetch ""); COMP_CWORD=2; _stt; printf "%s\\n" "${COMPREPLY[@]}"'
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", driver, "driver", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"},
        timeout=30,
    )
    assert done.stdout.split() == ["ok-id"], done.stdout
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
