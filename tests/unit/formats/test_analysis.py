"""The analysis blocks, read from both shapes: present exactly when the result carries them, bounded, cleaned."""

from __future__ import annotations

from stt_cli.formats.analysis import blocks, language, render_blocks
from stt_cli.formats.render import render

AAI = {
    "id": "j",
    "status": "completed",
    "text": "Hello there. Bye.",
    "words": [
        {"text": "Hello", "start": 0, "end": 400, "confidence": 0.9},
        {"text": "there.", "start": 400, "end": 800, "confidence": 0.9},
        {"text": "Bye.", "start": 5000, "end": 5400, "confidence": 0.8},
    ],
    "language_code": "en_us",
    "language_confidence": 0.97,
    "summary": "- A greeting\x1b[31m and a goodbye",
    "chapters": [{"headline": "Greeting", "gist": "hi", "summary": "They greet.", "start": 0, "end": 800}],
    "iab_categories_result": {"status": "success", "results": [], "summary": {"Hobbies>Chat": 0.6, "News": 0.9}},
    "sentiment_analysis_results": [
        {"text": "Hello there.", "start": 3_661_000, "end": 800, "sentiment": "POSITIVE", "confidence": 0.8}
    ],
    "entities": [{"entity_type": "person_name", "text": "Ada", "start": 0, "end": 10}],
}


def test_every_assemblyai_block_comes_out_titled_and_clean() -> None:
    found = {block.title: block.lines for block in blocks(AAI)}
    assert list(found) == ["Summary", "Chapters", "Topics", "Sentiment", "Entities"]
    assert found["Summary"] == ("- A greeting and a goodbye",)  # the escape sequence is gone
    assert found["Topics"] == ("News (0.90)", "Hobbies>Chat (0.60)")
    assert found["Sentiment"] == ("[01:01:01] positive (0.80): Hello there.",)
    assert found["Chapters"] == ("[00:00:00] Greeting: They greet.",) and found["Entities"] == ("person_name: Ada",)
    assert language(AAI) == ("en_us", 0.97)
    text, _ = render(AAI, "text")
    assert text.startswith("Hello there. Bye.\n\nSummary\n  - A greeting and a goodbye\n")


def test_nothing_asked_for_means_no_block_and_malformed_blocks_are_left_out() -> None:
    plain = {k: v for k, v in AAI.items() if k in ("id", "status", "text", "words")}
    assert blocks(plain) == [] and language(plain) is None
    assert render(plain, "text")[0] == "Hello there. Bye.\n"
    broken = {**plain, "chapters": "not a list", "iab_categories_result": {"summary": [1, 2]}, "entities": [None, 3]}
    assert blocks(broken) == []
    flood = {**plain, "entities": [{"entity_type": "x", "text": "y" * 10_000}] * 5000}
    [entities] = blocks(flood)
    assert len(entities.lines) == 50 and all(len(line) < 130 for line in entities.lines)
    assert render_blocks([]) == ""


def test_the_md_report_escapes_what_a_viewer_would_act_on() -> None:
    from stt_cli.formats.markdown import escape

    hostile = {**AAI, "summary": "<img src=x onerror=alert(1)> [click](http://evil) **bold** # title"}
    report, _ = render(hostile, "md")
    import re

    assert not re.search(r"(?<!\\)<img", report) and not re.search(r"(?<!\\)\]\(http", report)
    assert "\\<img" in report and "\n# title" not in report
    assert escape("- a list? 1. no") == "\\- a list? 1. no" and escape("a|b`c") == "a\\|b\\`c"
    assert report.startswith("# Transcript\n") and "## Chapters" in report and "## Transcript" in report
