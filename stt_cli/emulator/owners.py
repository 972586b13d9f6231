"""Who owns a TCP socket of this machine, from the kernel's socket table (Linux: sock_diag over netlink, else
/proc/net/tcp): the user at the other end of a loopback connection, which TCP itself never says.

A socket is named by its own address and its peer's; for a connection to the emulator, the client's socket is
the one whose own address is the emulator's peer. The table gives its owner's uid and its inode, which is 0
once no process holds it open (closed, or a time-wait remnant, whose uid the kernel reports as 0).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
import struct
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ESTABLISHED = 1
HANDSHAKING = {3, 12}  # SYN_RECV, NEW_SYN_RECV: the server's half of a connection whose handshake is ending
SOCK_DIAG_BY_FAMILY = 20
NETLINK_SOCK_DIAG = 4
NLMSG_ERROR = 2
NLM_F_REQUEST = 1
NO_COOKIE = 0xFFFFFFFF
NETLINK_SECONDS = 2.0
HEADER = struct.Struct("=LHHLL")  # nlmsghdr: length, type, flags, sequence, port id
REQUEST = struct.Struct("=BBBBI")  # inet_diag_req_v2 up to its socket id: family, protocol, ext, pad, states
PORTS = struct.Struct("!HH")  # the socket id's ports, in network order
MESSAGE_BYTES = 4 + 48 + 20  # inet_diag_msg: family/state/timer/retrans, the socket id, expires...inode

Address = tuple[str, int]


class Unsupported(Exception):
    """This system does not say who owns a socket (not Linux, or neither netlink nor /proc answers)."""


@dataclass(frozen=True)
class Entry:
    """A socket in the kernel's table."""

    state: int  # the kernel's TCP state number (1 established, 6 time-wait, ...)
    uid: int
    inode: int

    @property
    def held(self) -> bool:
        """Whether a process still holds it open."""
        return self.inode != 0


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as the table holds it: an IPv4 client of an IPv6 socket (::ffff:a.b.c.d) is IPv4 there."""
    address = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def find(local: Address, remote: Address) -> Entry | None:
    """The socket whose own address is `local` and whose peer is `remote`, or None when there is none.
    Unsupported when this system cannot say."""
    if sys.platform != "linux":
        raise Unsupported("only Linux says who owns a socket")
    mine, theirs = _ip(local[0]), _ip(remote[0])
    if mine.version != theirs.version:
        return None
    try:
        return _netlink(mine, local[1], theirs, remote[1])
    except Unsupported:
        return _proc(mine, local[1], theirs, remote[1])


@cache
def can_tell() -> bool:
    """Whether this system says who owns a socket (asked once: about a socket that cannot exist)."""
    try:
        find(("127.0.0.1", 0), ("127.0.0.1", 0))
    except Unsupported:
        return False
    return True


def _netlink(
    local: ipaddress.IPv4Address | ipaddress.IPv6Address,
    local_port: int,
    remote: ipaddress.IPv4Address | ipaddress.IPv6Address,
    remote_port: int,
) -> Entry | None:
    """One exact lookup (no dump): the kernel finds the socket by its four-tuple."""
    family = socket.AF_INET if local.version == 4 else socket.AF_INET6
    socket_id = (
        PORTS.pack(local_port, remote_port)
        + local.packed.ljust(16, b"\0")
        + remote.packed.ljust(16, b"\0")
        + struct.pack("=III", 0, NO_COOKIE, NO_COOKIE)
    )
    body = REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF) + socket_id
    try:
        link = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
    except (OSError, AttributeError) as exc:
        raise Unsupported(str(exc)) from None
    with link:
        try:
            link.settimeout(NETLINK_SECONDS)
            link.sendto(HEADER.pack(HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0) + body, (0, 0))
            data = link.recv(8192)
        except OSError as exc:
            raise Unsupported(str(exc)) from None
    if len(data) < HEADER.size + 4:
        raise Unsupported("a short answer from the kernel")
    kind = HEADER.unpack_from(data)[1]
    if kind == NLMSG_ERROR:
        code = -struct.unpack_from("=i", data, HEADER.size)[0]
        if code == errno.ENOENT:
            return None
        raise Unsupported(errno.errorcode.get(code, str(code)))
    if kind != SOCK_DIAG_BY_FAMILY or len(data) < HEADER.size + MESSAGE_BYTES:
        raise Unsupported("an unexpected answer from the kernel")
    at = HEADER.size
    state = data[at + 1]
    ports = PORTS.unpack_from(data, at + 4)
    if ports != (local_port, remote_port):
        return None  # a listening socket on that port, not the connection asked for
    uid, inode = struct.unpack_from("=II", data, at + MESSAGE_BYTES - 8)
    return Entry(state=state, uid=uid, inode=inode)


def _proc(
    local: ipaddress.IPv4Address | ipaddress.IPv6Address,
    local_port: int,
    remote: ipaddress.IPv4Address | ipaddress.IPv6Address,
    remote_port: int,
) -> Entry | None:
    """The same from /proc/net/tcp and tcp6 (an IPv6 socket of an IPv4 connection is listed in tcp6)."""
    tables = ["tcp", "tcp6"] if local.version == 4 else ["tcp6"]
    read_any = False
    for table in tables:
        try:
            text = (Path("/proc/net") / table).read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        read_any = True
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10:
                continue
            with contextlib.suppress(ValueError):
                if _proc_address(fields[1]) == (local, local_port) and _proc_address(fields[2]) == (
                    remote,
                    remote_port,
                ):
                    return Entry(state=int(fields[3], 16), uid=int(fields[7]), inode=int(fields[9]))
    if not read_any:
        raise Unsupported("/proc/net/tcp cannot be read")
    return None


LISTEN = 10


def listener(local: Address) -> Entry | None:
    """The listening socket that takes connections to `local` (bound to that address or to every address), from
    /proc/net/tcp and tcp6; None when there is none or the system does not say."""
    if sys.platform != "linux":
        return None
    wanted = _ip(local[0])
    for table in ("tcp", "tcp6"):
        try:
            text = (Path("/proc/net") / table).read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != f"{LISTEN:02X}":
                continue
            with contextlib.suppress(ValueError):
                address, port = _proc_address(fields[1])
                if port == local[1] and (address == wanted or address.is_unspecified):
                    return Entry(state=LISTEN, uid=int(fields[7]), inode=int(fields[9]))
    return None


def holder(inode: int) -> int | None:
    """A process that holds the socket `inode` open, where this system lets us look (Linux's /proc/PID/fd;
    another user's processes only when stt runs as root); None when none is found."""
    if inode == 0 or sys.platform != "linux":
        return None
    target = f"socket:[{inode}]"
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for descriptor in os.scandir(process / "fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(descriptor.path) == target:
                        return int(process.name)
    return None


def _proc_address(field: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """`0100007F:1F90` -> (127.0.0.1, 8080): the address is printed as 32-bit words in the host's byte order."""
    address, port = field.split(":")
    raw = bytes.fromhex(address)
    if sys.byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return _ip(str(ipaddress.ip_address(raw))), int(port, 16)
