"""Sources: the leading bytes of common audio and video containers are recognised."""

from __future__ import annotations


def test_sniffing_knows_common_containers() -> None:
    from stt_cli.core.media.sniff import looks_like_media

    for head in (
        b"RIFF\0\0\0\0WAVE",
        b"ID3\x04",
        b"\xff\xfb\x90",
        b"fLaC",
        b"OggS",
        b"\0\0\0\x20ftypM4A ",
        b"\x1a\x45\xdf\xa3",
        b"#!AMR\n",
    ):
        assert looks_like_media(head), head
    for head in (b"", b"hello", b"%PDF-1.7", b'{"a": 1}'):
        assert not looks_like_media(head), head
