"""The emulator's TLS (--tls-cert): each connection's handshake in its own handler thread, under a deadline.

The listening socket stays plain, so accepting a connection never waits on its client: a connection that
sends nothing (or half a handshake) holds one thread for HANDSHAKE_SECONDS at most, and the server goes on
accepting others meanwhile (--stop included).
"""

from __future__ import annotations

import contextlib
import socket
import ssl

HANDSHAKE_SECONDS = 10.0


def server_context(cert: str, key: str) -> ssl.SSLContext:
    """A server context for the certificate and its key (ssl.SSLError or OSError when they do not load)."""
    made = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    made.load_cert_chain(cert, key)
    return made


def secure(tls: ssl.SSLContext, connection: socket.socket) -> ssl.SSLSocket | None:
    """The connection with its handshake done, or None (and the connection closed) when the client did not
    complete it within HANDSHAKE_SECONDS, spoke no TLS, or went away."""
    try:
        wrapped = tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
    except (OSError, ValueError):
        connection.close()
        return None
    try:
        wrapped.settimeout(HANDSHAKE_SECONDS)
        wrapped.do_handshake()
        wrapped.settimeout(None)
    except (OSError, ValueError):  # ssl.SSLError and socket timeouts are OSErrors
        with contextlib.suppress(OSError):
            wrapped.close()
        return None
    return wrapped
