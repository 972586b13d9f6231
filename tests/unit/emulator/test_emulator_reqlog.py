"""The emulator's request log: bounded in entries and bytes, the oldest dropped and counted, texts cut."""

from __future__ import annotations

import json

from stt_cli.emulator.reqlog import CUT_MARK, TEXT_CHARS, RequestLog, cut, size_of


def test_texts_are_cut_and_marked_and_the_rest_kept() -> None:
    assert cut("a" * TEXT_CHARS) == "a" * TEXT_CHARS
    long = cut("b" * 60_000)
    assert len(long) == TEXT_CHARS and long.endswith(CUT_MARK)
    assert cut(12) == 12 and cut(None) is None and cut(["x" * 9000]) == ["x" * 9000]
    log = RequestLog()
    kept = log.add({"path": "/v1/stt/" + "a" * 60_000, "time": 1.5, "options": {"k": "v"}})
    assert len(kept["path"]) == TEXT_CHARS and kept["time"] == 1.5 and kept["options"] == {"k": "v"}
    assert log.bytes == size_of(kept) == len(json.dumps(kept))


def test_past_its_count_the_oldest_go_and_are_counted() -> None:
    log = RequestLog(max_entries=3)
    for n in range(5):
        log.add({"n": n})
    assert [e["n"] for e in log.snapshot()] == [2, 3, 4] and log.dropped == 2 and len(log) == 3
    assert log.bytes == sum(size_of(e) for e in log.snapshot())


def test_past_its_bytes_the_oldest_go_and_one_huge_entry_is_no_exception() -> None:
    log = RequestLog(max_bytes=100)
    for n in range(10):
        log.add({"n": n, "pad": "x" * 20})
    assert 0 < log.bytes <= 100 and log.dropped == 10 - len(log)
    assert [e["n"] for e in log.snapshot()] == list(range(10 - len(log), 10))
    log.add({f"field{i}": "y" * 400 for i in range(3)})  # over the bound alone: dropped at once
    assert len(log) == 0 and log.bytes == 0


def test_an_update_is_counted_and_a_snapshot_is_a_copy() -> None:
    log = RequestLog()
    entry = log.add({"path": "/v1/stt/x"})
    before = log.bytes
    log.update(entry, status="completed")
    assert log.bytes == before + len(', "status": "completed"')
    copy = log.snapshot()
    copy[0]["path"] = "changed"
    assert log.snapshot()[0]["path"] == "/v1/stt/x"
    log.update({"path": "/v1/stt/x"}, status="gone")  # an entry it no longer holds: nothing changes
    assert log.snapshot()[0]["status"] == "completed"
    log.clear()
    assert (len(log), log.bytes, log.dropped) == (0, 0, 0)
