"""What a file's first bytes say it is: a media container or not, and compressed audio or something to probe (pure).

The answer lets stt skip ffprobe where it could not change what is sent: a file that is no media at all, and
audio that is already compressed (the lossless mode sends it as it is). Anything in doubt is left to ffprobe.
"""

from __future__ import annotations

from typing import NamedTuple

HEAD_BYTES = 1024  # what is read of a file to sniff it: enough for an Ogg file's first pages

# Leading bytes of the containers ffmpeg may open here (core/media/ffmpeg.DEMUXERS) and the service may take:
# (offset, magic). A file matching none of them is sent as it is without asking ffprobe.
MEDIA_SIGNATURES = (
    (0, b"RIFF"),  # WAV, AVI, XWMA
    (0, b"RF64"),
    (0, b"BW64"),
    (0, b"riff\x2e\x91\xcf\x11"),  # Sony Wave64
    (0, b"ID3"),
    (0, b"fLaC"),
    (0, b"OggS"),
    (4, b"ftyp"),  # MP4, M4A, MOV, 3GP
    (4, b"moov"),  # QuickTime files that open with an atom other than ftyp
    (4, b"mdat"),
    (4, b"wide"),
    (4, b"free"),
    (4, b"skip"),
    (4, b"pnot"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska, WebM
    (0, b"#!AMR"),
    (0, b"FORM"),  # AIFF
    (0, b".snd"),  # Sun AU
    (0, b"MThd"),
    (0, b"\x30\x26\xb2\x75"),  # ASF: WMA, WMV
    (0, b"caff"),
    (0, b"FLV"),
    (0, b".RMF"),  # RealMedia
    (0, b"wvpk"),  # WavPack
    (0, b"MAC "),  # Monkey's Audio
    (0, b"TTA1"),
    (0, b"DSD "),
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream (VOB, .mpg)
    (0, b"\x0b\x77"),  # AC-3, E-AC-3
    (0, b"\x7f\xfe\x80\x01"),  # DTS, and its little-endian and 14-bit forms
    (0, b"\xfe\x7f\x01\x80"),
    (0, b"\x1f\xff\xe8\x00"),
    (0, b"\xff\x1f\x00\xe8"),
    (0, b"\xf0\x7e"),  # MIDI sample dump (SDS)
    (4, b"\xf8\x72\x6f\xba"),  # MLP
    (4, b"\xf8\x72\x6f\xbb"),  # TrueHD
    (0, b"Creative Voice File"),
    (0, b".SoX"),
    (0, b"XoS."),
    (0, b"nut/multimedia container"),
    (0, b"\x64\xa3\x01\x00"),  # IRCAM, its four variants in both byte orders
    (0, b"\x64\xa3\x02\x00"),
    (0, b"\x64\xa3\x03\x00"),
    (0, b"\x64\xa3\x04\x00"),
    (0, b"\x00\x01\xa3\x64"),
    (0, b"\x00\x02\xa3\x64"),
    (0, b"\x00\x03\xa3\x64"),
    (0, b"\x00\x04\xa3\x64"),
)

# Audio that is compressed already (lossy or lossless), which the lossless mode sends as it is whatever
# ffprobe would say of it: the name shown, and how to know it.
COMPRESSED = (
    ("ID3-tagged MPEG audio", 0, b"ID3"),
    ("FLAC", 0, b"fLaC"),
    ("AMR", 0, b"#!AMR"),
    ("WavPack", 0, b"wvpk"),
    ("Monkey's Audio", 0, b"MAC "),
    ("TTA", 0, b"TTA1"),
    ("AC-3", 0, b"\x0b\x77"),
    ("DTS", 0, b"\x7f\xfe\x80\x01"),
)
# MPEG-4 brands of audio-only files (AAC or ALAC in an M4A, M4B audiobook, M4P, Flash audio).
AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "})
# The first packet of each audio codec an Ogg stream may carry (Theora, a video, is absent on purpose).
OGG_AUDIO = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")
OGG_HEADER = 27  # bytes of an Ogg page header before its segment table


class Sniffed(NamedTuple):
    """What the first bytes say: media or not, and the name of the compressed audio they are (or "")."""

    media: bool
    compressed: str = ""


def sniff(head: bytes) -> Sniffed:
    """A file's first bytes (HEAD_BYTES of them, or all of a shorter file) read as a container."""
    if not looks_like_media(head):
        return Sniffed(False)
    for name, offset, magic in COMPRESSED:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(True, name)
    if _frame_sync(head):
        return Sniffed(True, "AAC (ADTS)" if head[1] & 0x06 == 0 else "MPEG audio")
    if head[4:8] == b"ftyp" and head[8:12] in AUDIO_BRANDS:
        return Sniffed(True, "MPEG-4 audio (" + head[8:12].decode("ascii").strip() + ")")
    if head[:4] == b"OggS" and _ogg_audio_only(head):
        return Sniffed(True, "Ogg audio")
    return Sniffed(True)


def looks_like_media(head: bytes) -> bool:
    """True when the first bytes match a known audio/video container, an MPEG transport stream, or an
    MPEG/AAC frame sync."""
    if any(head[offset : offset + len(magic)] == magic for offset, magic in MEDIA_SIGNATURES):
        return True
    return _frame_sync(head) or _transport_stream(head)


def _frame_sync(head: bytes) -> bool:
    """An MPEG audio frame or an ADTS (AAC) frame: eleven bits set, then a version and layer that exist."""
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0


def _transport_stream(head: bytes) -> bool:
    """MPEG-TS (188-byte packets) or M2TS (192, the sync byte after a 4-byte time stamp), by two sync bytes
    a packet apart; a file shorter than two packets by its first."""
    for first, size in ((0, 188), (4, 192)):
        if len(head) > first and head[first] == 0x47 and (len(head) <= first + size or head[first + size] == 0x47):
            return True
    return False


def _ogg_audio_only(head: bytes) -> bool:
    """Every stream that opens the Ogg file is audio: its opening (BOS) pages, read until the first page that
    opens none, each begin with an audio codec's header. In doubt (the head ends first): False."""
    at = 0
    streams = 0
    while head[at : at + 4] == b"OggS" and len(head) >= at + OGG_HEADER:
        opens = head[at + 5] & 0x02
        count = head[at + 26]
        table = head[at + OGG_HEADER : at + OGG_HEADER + count]
        if len(table) < count:
            return False
        body = at + OGG_HEADER + count
        if not opens:
            return streams > 0
        if not any(head[body : body + len(magic)] == magic for magic in OGG_AUDIO):
            return False
        streams += 1
        at = body + sum(table)
    return False
