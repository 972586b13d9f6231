"""Who may use the emulator: no web page and no other local user. Checked on every request, before its body
is read; a refused request changes nothing and is not logged.

Web pages: any page can send a "simple" request to a loopback port (a form post, fetch in no-cors mode), and
with DNS rebinding (a name of the attacker's that now resolves to 127.0.0.1) read the answers too. So a
request is refused when it carries an Origin header (browsers add it to every cross-origin request and every
POST; the stt client, curl, requests and urllib never send one), when Sec-Fetch-Site or Sec-Fetch-Mode says
it is anything but a navigation the user typed, when it is a CORS preflight (OPTIONS), and when its Host is
not this machine's: a name other than localhost is what rebinding looks like (421).

Other users: loopback is open to every user of the machine. The connecting socket's owner is read from the
kernel's socket table (owners.py), once per connection; a socket of another user, or one no process holds
open any more, is refused. Where the system cannot say (not Linux), connections are not checked.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from email.message import Message

from stt_cli.emulator import owners

HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]]+))(?::(?P<port>\d{1,5}))?")


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8, ::1 (and an IPv4-mapped loopback address); names are not resolved."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_refusal(values: list[str], listen_host: str) -> Refusal | None:
    """The Host header: one, naming this machine. Listening on loopback (the default): localhost or a
    loopback address. Listening beyond (--host): also any IP address, and the --host name itself."""
    if len(values) != 1:
        return Refusal(400, "Bad Request: a request needs exactly one Host header")
    match = HOST.fullmatch(values[0].strip())
    if match is None:
        return Refusal(400, "Bad Request: the Host header is not a host[:port]")
    host = (match.group("v6") or match.group("name") or "").lower()
    if is_loopback(host):
        return None
    if not is_loopback(listen_host) and (_is_address(host) or host == listen_host.strip("[]").lower()):
        return None
    return Refusal(
        421, f"Misdirected Request: the emulator answers only to localhost or an IP address, not to {host!r}"
    )


def page_refusal(method: str, headers: Message) -> Refusal | None:
    """A request a web page made: an Origin header, fetch metadata other than a typed navigation, a preflight."""
    if "Origin" in headers:
        return Refusal(403, "Forbidden: the emulator does not answer web pages (the request has an Origin)")
    site = headers.get("Sec-Fetch-Site")
    mode = headers.get("Sec-Fetch-Mode")
    if (site is not None and site.strip().lower() != "none") or (
        mode is not None and mode.strip().lower() != "navigate"
    ):
        return Refusal(403, "Forbidden: the emulator does not answer web pages (Sec-Fetch-Site/Sec-Fetch-Mode)")
    if method == "OPTIONS":
        return Refusal(403, "Forbidden: the emulator allows no cross-origin requests (OPTIONS)")
    return None


def peer_refusal(peer: owners.Address, local: owners.Address, listen_host: str) -> Refusal | None:
    """The connecting socket (whose own address is our peer's) belongs to the user the emulator runs as and
    is still open. A peer the table does not hold is another machine's: only when listening beyond loopback."""
    try:
        entry = owners.find(peer, local)
    except owners.Unsupported:
        return None
    except ValueError:  # an address family the table does not hold (a Unix socket in a test, say)
        return None
    if entry is None:
        if not is_loopback(listen_host) and not is_loopback(peer[0]):
            return None
        return Refusal(403, "Forbidden: the connecting socket is not in this machine's socket table")
    if not entry.held:
        return Refusal(403, "Forbidden: the connecting socket was closed before the request was answered")
    if entry.uid != os.geteuid():
        return Refusal(403, "Forbidden: the emulator serves only the user who started it")
    return None
