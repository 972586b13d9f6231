"""core/media/sniff.py: what the first bytes of a file say it is, so ffprobe is skipped only where it could not
change what is sent (no media at all, or audio compressed already) and asked in any doubt."""

from __future__ import annotations

import pytest

from stt_cli.core.media.sniff import HEAD_BYTES, Sniffed, looks_like_media, sniff


def ogg_page(body: bytes, opens: bool, serial: int = 1) -> bytes:
    """One Ogg page holding one packet: its header (BOS flag when it opens a stream), segment table and body."""
    table = bytes([255] * (len(body) // 255) + [len(body) % 255])
    return (b"OggS\x00" + bytes([0x02 if opens else 0]) + bytes(8) + serial.to_bytes(4, "little") + bytes(8)
            + bytes([len(table)]) + table + body)  # fmt: skip


VORBIS = ogg_page(b"\x01vorbis" + bytes(22), opens=True)
OPUS = ogg_page(b"OpusHead" + bytes(11), opens=True, serial=2)
THEORA = ogg_page(b"\x80theora" + bytes(35), opens=True, serial=3)
NEXT = ogg_page(b"\x03vorbis" + bytes(60), opens=False)

HEADS = {
    # media, compressed already: sent as it is under lossless without ffprobe
    "ID3 tag": (b"ID3\x04\x00" + bytes(20), Sniffed(True, "ID3-tagged MPEG audio")),
    "MPEG audio frame": (b"\xff\xfb\x90\x64", Sniffed(True, "MPEG audio")),
    "ADTS AAC frame": (b"\xff\xf1\x50\x80", Sniffed(True, "AAC (ADTS)")),
    "FLAC": (b"fLaC\x00\x00\x00\x22", Sniffed(True, "FLAC")),
    "AMR": (b"#!AMR\n", Sniffed(True, "AMR")),
    "WavPack": (b"wvpk" + bytes(28), Sniffed(True, "WavPack")),
    "M4A": (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", Sniffed(True, "MPEG-4 audio (M4A)")),
    "M4B audiobook": (b"\x00\x00\x00\x20ftypM4B ", Sniffed(True, "MPEG-4 audio (M4B)")),
    "Ogg Vorbis": (VORBIS + NEXT, Sniffed(True, "Ogg audio")),
    "Ogg with two audio streams": (VORBIS + OPUS + NEXT, Sniffed(True, "Ogg audio")),
    # media that ffprobe must look at: PCM, or a video, or a container that may hold either
    "WAV": (b"RIFF\x24\x00\x00\x00WAVEfmt ", Sniffed(True)),
    "AIFF": (b"FORM\x00\x00\x00\x00AIFF", Sniffed(True)),
    "MP4 video": (b"\x00\x00\x00\x18ftypisom", Sniffed(True)),
    "MOV opening with a wide atom": (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", Sniffed(True)),
    "Matroska or WebM": (b"\x1a\x45\xdf\xa3\x01", Sniffed(True)),
    "ASF (WMA or WMV)": (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", Sniffed(True)),
    "CAF": (b"caff\x00\x01", Sniffed(True)),
    "Ogg Theora video": (THEORA + VORBIS + NEXT, Sniffed(True)),
    "Ogg audio before a Theora stream": (VORBIS + THEORA + NEXT, Sniffed(True)),
    "Ogg cut before its first data page": (VORBIS, Sniffed(True)),
    "MPEG transport stream": (b"\x47" + bytes(187) + b"\x47" + bytes(187), Sniffed(True)),
    "M2TS": (bytes(4) + b"\x47" + bytes(191) + b"\x47" + bytes(10), Sniffed(True)),
    "MPEG program stream": (b"\x00\x00\x01\xba\x44", Sniffed(True)),
    # no media: sent as it is without ffprobe
    "nothing": (b"", Sniffed(False)),
    "text": (b"hello, world", Sniffed(False)),
    "PDF": (b"%PDF-1.7\n", Sniffed(False)),
    "JSON": (b'{"a": 1}', Sniffed(False)),
    "zeros": (bytes(HEAD_BYTES), Sniffed(False)),
    "a G then no second sync byte": (b"G" + bytes(400), Sniffed(False)),
}


@pytest.mark.parametrize(("head", "expected"), HEADS.values(), ids=HEADS.keys())
def test_first_bytes(head: bytes, expected: Sniffed) -> None:
    assert sniff(head[:HEAD_BYTES]) == expected
    assert looks_like_media(head) == expected.media


def test_the_head_read_is_enough_for_two_ogg_pages_and_two_transport_packets() -> None:
    assert len(VORBIS + OPUS + NEXT) <= HEAD_BYTES and HEAD_BYTES > 192 + 4
