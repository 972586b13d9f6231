"""The emulator's request log: bounded in entries and bytes, the oldest dropped and counted, texts cut, sent
as one JSON list written in chunks."""

from __future__ import annotations

import json

from stt_cli.emulator.reqlog import CUT_MARK, TEXT_CHARS, RequestLog, as_json_list, cut


def test_texts_are_cut_and_marked_and_the_rest_kept() -> None:
    assert cut("a" * TEXT_CHARS) == "a" * TEXT_CHARS
    long = cut("b" * 60_000)
    assert len(long) == TEXT_CHARS and long.endswith(CUT_MARK)
    assert cut(12) == 12 and cut(None) is None and cut(["x" * 9000]) == ["x" * 9000]
    log = RequestLog()
    log.add({"path": "/v1/stt/" + "a" * 60_000, "time": 1.5, "options": {"k": "v"}, "name": "é"})
    (kept,) = log.snapshot()
    assert len(kept["path"]) == TEXT_CHARS and kept["time"] == 1.5 and kept["options"] == {"k": "v"}
    assert log.bytes == len(json.dumps(kept, ensure_ascii=False).encode())


def test_past_its_count_the_oldest_go_and_are_counted() -> None:
    log = RequestLog(max_entries=3)
    numbers = [log.add({"n": n}) for n in range(5)]
    assert numbers == [0, 1, 2, 3, 4]
    assert [e["n"] for e in log.snapshot()] == [2, 3, 4] and log.dropped == 2 and len(log) == 3
    assert log.bytes == sum(len(piece) for piece in log.pieces())


def test_past_its_bytes_the_oldest_go_and_one_huge_entry_is_no_exception() -> None:
    log = RequestLog(max_bytes=100)
    for n in range(10):
        log.add({"n": n, "pad": "x" * 20})
    assert 0 < log.bytes <= 100 and log.dropped == 10 - len(log)
    assert [e["n"] for e in log.snapshot()] == list(range(10 - len(log), 10))
    log.add({f"field{i}": "y" * 400 for i in range(3)})  # over the bound alone: dropped at once
    assert len(log) == 0 and log.bytes == 0


def test_an_update_is_counted_and_reaches_only_an_entry_still_held() -> None:
    log = RequestLog(max_entries=2)
    first = log.add({"path": "/v1/stt/x"})
    before = log.bytes
    log.update(first, status="completed")
    assert log.snapshot() == [{"path": "/v1/stt/x", "status": "completed"}]
    assert log.bytes == before + len(', "status": "completed"')
    pieces = log.pieces()
    second = log.add({"path": "/v1/stt/y"})
    log.add({"path": "/v1/stt/z"})  # the first is dropped
    log.update(first, status="gone")  # no longer held: nothing changes
    log.update(second, status="queued")
    assert log.snapshot() == [{"path": "/v1/stt/y", "status": "queued"}, {"path": "/v1/stt/z"}]
    assert json.loads(pieces[0]) == {"path": "/v1/stt/x", "status": "completed"}  # a piece taken never changes
    log.clear()
    assert (len(log), log.bytes, log.dropped) == (0, 0, 0)
    log.update(second, status="late")
    assert log.add({"path": "/after"}) == 3 and log.snapshot() == [{"path": "/after"}]


def test_the_log_is_sent_as_the_json_list_its_entries_make() -> None:
    log = RequestLog()
    entries = [{"n": n, "text": "é" * (n % 50)} for n in range(3000)]
    for entry in entries:
        log.add(entry)
    length, chunks = as_json_list(log.pieces(), chunk=4096)
    sent = list(chunks)
    assert max(len(c) for c in sent) < 4096 + 200 and len(sent) > 10
    body = b"".join(sent)
    assert len(body) == length and body == json.dumps(entries, ensure_ascii=False).encode()
    for pieces in ([], log.pieces()[:1]):
        length, chunks = as_json_list(pieces)
        body = b"".join(chunks)
        assert len(body) == length and json.loads(body) == [json.loads(p) for p in pieces]
