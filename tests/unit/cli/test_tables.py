"""The tables' pieces: a cell shortened to a width (the file name's end kept), ids shortened until unique."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from stt_cli.cli.output import END, MIDDLE, shortened
from stt_cli.core.lookup import short_ids

PATH = "/home/ada/recordings/2024/conference/day-two/keynote.wav"


@pytest.mark.parametrize("width", [1, 2, 5, 12, 20, 30, 55, 56, 80])
@pytest.mark.parametrize("text", [PATH, "https://example.com/" + "x" * 90 + ".mp3", "日本語のファイル名" * 5 + ".wav"])
def test_a_shortened_cell_fits_its_width(text: str, width: int) -> None:
    for side in (MIDDLE, END):
        cut = shortened(text, width, side)
        assert cell_len(cut) <= width
        assert (cut == text) == (cell_len(text) <= width)
        if cut != text and width > 1:
            assert cut.count("\u2026") == 1


def test_the_middle_goes_first_and_the_file_name_stays_whole_when_it_can() -> None:
    assert shortened(PATH, 30, MIDDLE) == "/home/ada/recordi\u2026/keynote.wav"
    assert shortened(PATH, 16, MIDDLE) == "/ho\u2026/keynote.wav"
    assert shortened(PATH, 12, MIDDLE) == "/h\u2026ynote.wav"  # the name no longer fits: its end stays
    assert shortened(PATH, 12, END) == "/home/ada/r\u2026"


def test_short_ids_are_8_characters_or_as_many_as_tell_them_apart() -> None:
    among = ["3f1c9a2e-0001", "3f1c9a2e-0002", "7b2d44aa-0003", "7b2d", "RlLz0hRdAs9voL5Qi1Pzr"]
    assert short_ids(among, among) == ["3f1c9a2e-0001", "3f1c9a2e-0002", "7b2d44aa", "7b2d", "RlLz0hRd"]
    assert short_ids(["7b2d44aa-0003"], ["7b2d44aa-0004"]) == ["7b2d44aa-0003"]  # against jobs not listed too
    assert short_ids(["abc"], []) == ["abc"]
