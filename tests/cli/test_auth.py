"""`stt auth`: the key file (0600 in 0700, atomic), masked display, sources in order, never the key itself."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import EmulatorHandle, one_error_line

KEY = "sk-live-abcdefghijklmnopqrstuvwxyz-9876"


def _key_file(home: Path) -> Path:
    return home / "config" / "stt-cli" / "credentials.json"


def test_login_from_stdin_stores_the_key_privately(cli, isolated_home: Path) -> None:
    result = cli("auth", "login", "--no-check", input=KEY + "\n")
    assert result.exit_code == 0, result.stderr
    path = _key_file(isolated_home)
    assert json.loads(path.read_text())["keys"] == {"https://api.aimlapi.com": KEY}  # the trailing newline trimmed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert KEY not in result.stdout + result.stderr
    assert "****9876" in result.stderr
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]  # no temp file left behind


def test_status_names_the_source_and_masks_the_key(cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("auth", "login", "--no-check", input=KEY)
    stored = cli("auth", "status")
    assert stored.exit_code == 0
    assert "****9876" in stored.stdout and "key file" in stored.stdout
    assert KEY not in stored.stdout
    monkeypatch.setenv("AIMLAPI_API_KEY", "env-key-two-0000000000001111")
    assert "$AIMLAPI_API_KEY" in cli("auth", "status").stdout
    monkeypatch.setenv("AIML_API_KEY", "env-key-one-0000000000002222")
    env = cli("auth", "status", "--json")
    body = json.loads(env.stdout)
    assert body["source"] == "$AIML_API_KEY" and body["key"] == "****2222"
    flag = cli("auth", "status", "--api-key", "flag-key-000000000000003333")
    assert "--api-key" in flag.stdout and "****3333" in flag.stdout


def test_short_keys_show_no_characters(cli) -> None:
    cli("auth", "login", "--no-check", input="zq9xw")
    line = cli("auth", "status").stdout.splitlines()[0]
    assert line.startswith("key:      **** (from key file")
    assert "q9xw" not in line


def test_logout_removes_the_file(cli, isolated_home: Path) -> None:
    cli("auth", "login", "--no-check", input=KEY)
    result = cli("auth", "logout")
    assert result.exit_code == 0
    assert not _key_file(isolated_home).exists()
    status = cli("auth", "status")
    assert status.exit_code == 3
    assert "stt auth login" in status.stderr
    again = cli("auth", "logout")
    assert again.exit_code == 0 and "no stored key" in again.stderr


def test_login_with_nothing_piped_is_refused(cli) -> None:
    result = cli("auth", "login", input="\n")
    assert result.exit_code == 2
    assert "no key was given" in result.stderr


def test_stored_key_is_used_for_requests(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_KEY")
    cli("auth", "login", "--no-check", "--base-url", emulator.base_url, input=KEY)
    emulator.server.state.api_key = KEY
    assert cli("submit", str(talk)).exit_code == 0


def test_a_key_file_others_can_read_is_refused(
    cli, isolated_home: Path, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_KEY")
    cli("auth", "login", "--no-check", input=KEY)
    _key_file(isolated_home).chmod(0o644)
    result = cli("run", str(talk))
    assert result.exit_code == 3
    assert "chmod 600" in result.stderr
    assert emulator.requests() == []


def test_a_corrupt_key_file_is_reported(cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("auth", "login", "--no-check", input=KEY)
    _key_file(isolated_home).write_text("{not json", encoding="utf-8")
    result = cli("auth", "status")
    assert result.exit_code == 3
    assert "corrupt" in result.stderr and "Traceback" not in result.stderr


def test_wrong_key_gives_401_exit_3_and_never_echoes_the_key(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.server.state.api_key = "the-right-key"
    monkeypatch.setenv("AIML_API_KEY", KEY)
    result = cli("run", str(talk))
    assert result.exit_code == 3
    assert "401" in result.stderr
    assert KEY not in result.stdout + result.stderr


def test_403_out_of_credits_exits_3(cli, emulator: EmulatorHandle, talk: Path) -> None:
    emulator.fault("create", {"status": 403, "body": {"message": "Insufficient credits", "statusCode": 403}})
    result = cli("run", str(talk))
    assert result.exit_code == 3
    assert "Insufficient credits" in result.stderr


def test_status_check_tells_an_accepted_key_from_a_refused_one(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import _serve

    for emulator in _serve(monkeypatch, api_key=KEY):
        monkeypatch.setenv("AIML_API_KEY", KEY)
        good = cli("auth", "status", "--check")
        assert good.exit_code == 0, good.stderr
        assert "check:    the key was accepted" in good.stdout and KEY not in good.stdout + good.stderr
        [poll] = emulator.polls()
        assert "stt-auth-check-" in poll["path"] and emulator.creates() == []  # nothing made, nothing billed
        bad = cli("auth", "status", "--check", "--api-key", "sk-dead-0000000000000000")
        assert bad.exit_code == 3
        assert "refused (HTTP 401)" in bad.stderr and "Traceback" not in bad.stderr
        listed = json.loads(cli("auth", "status", "--check", "--json").stdout)
        assert listed["check"].startswith("the key was accepted")


def test_status_without_check_asks_the_service_nothing(cli, emulator: EmulatorHandle) -> None:
    assert cli("auth", "status").exit_code == 0
    assert emulator.requests() == []


def test_login_checks_the_key_with_the_service_before_storing_it(
    cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import _serve

    monkeypatch.delenv("AIML_API_KEY", raising=False)
    for emulator in _serve(monkeypatch, api_key=KEY):
        monkeypatch.delenv("AIML_API_KEY")
        refused = cli("auth", "login", "--base-url", emulator.base_url, input="sk-wrong-00000000000000000000")
        assert refused.exit_code == 3
        line = refused.stderr.strip()
        assert len(line.splitlines()) == 1 and "refused (HTTP 401)" in line and "nothing was stored" in line
        assert "https://aimlapi.com/app/keys" in line and "--no-check" in line
        assert not _key_file(isolated_home).exists()
        stored = cli("auth", "login", "--base-url", emulator.base_url, input=KEY)
        assert stored.exit_code == 0, stored.stderr
        assert "****9876" in stored.stderr and "accepted" in stored.stderr
        assert json.loads(_key_file(isolated_home).read_text())["keys"] == {emulator.root: KEY}
        assert all("stt-auth-check-" in poll["path"] for poll in emulator.polls()) and emulator.creates() == []


def test_login_without_the_service_stores_nothing_unless_no_check(cli, isolated_home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from conftest import free_port

    nowhere = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    offline = cli("auth", "login", "--base-url", nowhere, input=KEY)
    assert offline.exit_code == 5
    assert "could not be checked" in offline.stderr and "stt auth login --no-check" in offline.stderr
    assert not _key_file(isolated_home).exists()
    unchecked = cli("auth", "login", "--no-check", "--base-url", nowhere, input=KEY)
    assert unchecked.exit_code == 0 and "not checked" in unchecked.stderr
    assert _key_file(isolated_home).exists()


@pytest.mark.parametrize(
    ("how", "named", "fix"),
    [
        ("env", "set by $AIML_API_KEY", "check AIML_API_KEY, or unset it"),
        ("flag", "set by --api-key", "check the key given with --api-key"),
        ("file", "set by the key file", "stt auth login --base-url http://127.0.0.1:"),
    ],
)
def test_a_refused_key_names_where_it_came_from_and_where_keys_are_issued(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch, how: str, named: str, fix: str
) -> None:
    emulator.server.state.api_key = "the-right-key-0000000000"
    monkeypatch.delenv("AIML_API_KEY")
    args = []
    if how == "env":
        monkeypatch.setenv("AIML_API_KEY", KEY)
    elif how == "flag":
        args = ["--api-key", KEY]
    else:
        assert cli("auth", "login", "--no-check", "--base-url", emulator.base_url, input=KEY).exit_code == 0
    result = cli("run", str(talk), *args)
    assert result.exit_code == 3
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "refused (HTTP 401)" in line and named in line and fix in line
    assert "https://aimlapi.com/app/keys" in line and KEY not in line


# --- keys bound to their host (issue 25) ----------------------------------------------------------------
def _base_from(how: str, url: str, monkeypatch: pytest.MonkeyPatch, cli) -> list[str]:  # type: ignore[no-untyped-def]
    """The emulator's base URL set one of the three ways a user sets it; the arguments a command then takes."""
    monkeypatch.delenv("AIML_API_BASE")
    if how == "env":
        monkeypatch.setenv("AIML_API_BASE", url)
    elif how == "config":
        assert cli("config", "set", "base_url", url).exit_code == 0
    return ["--base-url", url] if how == "flag" else []


@pytest.mark.parametrize("how", ["env", "flag", "config"])
def test_a_stored_key_is_never_sent_to_another_host(
    cli, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A squatter on the emulator's port (or any base URL set for a test) never gets the key `stt auth login`
    stored for the service: exit 3 before any request, naming the host and the ways to give it a key."""
    monkeypatch.delenv("AIML_API_KEY")
    assert cli("auth", "login", "--no-check", input=KEY).exit_code == 0  # for the service
    args = _base_from(how, emulator.base_url, monkeypatch, cli)
    result = cli("run", str(talk), *args)
    assert result.exit_code == 3
    line = one_error_line(result.stderr)
    assert f"no API key for {emulator.root}" in line and "https://api.aimlapi.com" in line
    assert "export AIML_API_KEY=" in line and f"stt auth login --base-url {emulator.base_url}" in line
    assert emulator.requests() == [] and KEY not in result.stderr
    status = cli("auth", "status", *args)
    assert status.exit_code == 3 and f"no API key for {emulator.root}" in status.stderr
    monkeypatch.setenv("AIML_API_KEY", "anything")  # the README's quick start: a key in the environment goes anywhere
    assert cli("run", str(talk), *args).exit_code == 0


def test_a_key_stored_for_a_base_url_goes_there_and_only_there(
    cli, isolated_home: Path, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIML_API_KEY")
    other = "sk-emulator-key-000000000000abcd"
    assert cli("auth", "login", "--no-check", input=KEY).exit_code == 0
    written = emulator.root.replace("http://", "HTTP://") + "/v1/"  # the same host, however it is written
    stored = cli("auth", "login", "--no-check", "--base-url", written, input=other)
    assert stored.exit_code == 0 and f"for {emulator.root}" in stored.stderr
    emulator.server.state.api_key = other
    assert cli("submit", str(talk)).exit_code == 0
    assert json.loads(_key_file(isolated_home).read_text())["keys"] == {
        "https://api.aimlapi.com": KEY,
        emulator.root: other,
    }
    listed = cli("auth", "status")
    assert listed.exit_code == 0 and "****abcd (from key file" in listed.stdout
    assert "stored:   ****9876 for https://api.aimlapi.com" in listed.stdout
    assert f"stored:   ****abcd for {emulator.root}" in listed.stdout
    assert KEY not in listed.stdout + listed.stderr and other not in listed.stdout + listed.stderr
    body = json.loads(cli("auth", "status", "--json").stdout)
    assert sorted(body["stored"], key=str) == sorted(
        [{"host": "https://api.aimlapi.com", "key": "****9876"}, {"host": emulator.root, "key": "****abcd"}], key=str
    )
    # logout --base-url removes that host's key only; logout removes the rest with the file
    one = cli("auth", "logout", "--base-url", emulator.base_url)
    assert one.exit_code == 0 and f"removed the key for {emulator.root}" in one.stderr
    assert json.loads(_key_file(isolated_home).read_text())["keys"] == {"https://api.aimlapi.com": KEY}
    assert cli("submit", str(talk)).exit_code == 3
    again = cli("auth", "logout", "--base-url", emulator.base_url)
    assert again.exit_code == 0 and f"no stored key for {emulator.root}" in again.stderr
    every = cli("auth", "logout")
    assert every.exit_code == 0 and "https://api.aimlapi.com" in every.stderr
    assert not _key_file(isolated_home).exists()


def test_a_key_file_from_before_hosts_belongs_to_the_service(
    cli, isolated_home: Path, emulator: EmulatorHandle, talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key file written before keys were bound ({"api_key": ...}) keeps working for the default service, and
    only there; storing another key keeps it, under the service's host."""
    monkeypatch.delenv("AIML_API_KEY")
    path = _key_file(isolated_home)
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text(json.dumps({"api_key": KEY}))
    path.chmod(0o600)
    monkeypatch.delenv("AIML_API_BASE")
    status = cli("auth", "status")
    assert status.exit_code == 0 and "key:      ****9876 (from key file" in status.stdout
    assert "base URL: https://api.aimlapi.com/v1 (from default)" in status.stdout
    assert "stored:   ****9876 for https://api.aimlapi.com" in status.stdout
    refused = cli("run", str(talk), "--base-url", emulator.base_url)
    assert refused.exit_code == 3 and emulator.requests() == []
    other = "sk-other-0000000000000000"
    cli("auth", "login", "--no-check", "--base-url", emulator.base_url, input=other)
    assert json.loads(path.read_text())["keys"] == {"https://api.aimlapi.com": KEY, emulator.root: other}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_login_with_another_base_url_in_use_stores_for_the_service_and_says_so(
    cli, isolated_home: Path, emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AIML_API_BASE exported for the emulator (the README's quick start) does not make `stt auth login` store, or
    check, the real key there."""
    monkeypatch.delenv("AIML_API_KEY")
    result = cli("auth", "login", "--no-check", input=KEY)
    assert result.exit_code == 0 and "for https://api.aimlapi.com" in result.stderr
    assert f"the base URL in use, {emulator.base_url} (from $AIML_API_BASE), is another host" in result.stderr
    assert "--api-key" in result.stderr and "--base-url" in result.stderr
    assert emulator.requests() == []
