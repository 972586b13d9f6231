"""A session: the local ledger and the HTTP client to the service, opened when a use case is ready for them; the
client (and the key it needs) only when the use case asks the service something."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.core.config import spool_dir
from stt_cli.core.settings import host_of, require_key, resolve_base_url, validate_base_url
from stt_cli.errors import Origin

if TYPE_CHECKING:
    from stt_cli.api.client import ApiClient
    from stt_cli.core.ledger import Ledger


class ConnectionOptions(NamedTuple):
    """--base-url and --api-key as given (None: not given; the settings resolver looks further)."""

    base_url: str | None
    api_key: str | None


class Session:
    """The ledger, the service's host (the ledger keeps each service's jobs apart), and the client, made on first
    use: a command served from the ledger alone needs no key and sends nothing."""

    def __init__(self, ledger: Ledger, host: str, make_client: Callable[[], ApiClient]) -> None:
        self.ledger = ledger
        self.host = host
        self._make_client = make_client
        self._client: ApiClient | None = None
        self._lock = threading.Lock()  # a batch's workers may be the first to ask

    @property
    def client(self) -> ApiClient:
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def abort(self) -> None:
        """End the requests in flight (a cancelled batch); with no client made yet, there are none."""
        with self._lock:
            if self._client is not None:
                self._client.abort()

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()


class Connector:
    """Opens a session when the use case asks: the base URL resolved and checked then (after the sources, so a
    bad source is reported before a bad base URL), the ledger opened; the key resolved and the client made at once,
    or, with `need_key=False`, when the use case first asks the service something.

    `log` receives one line per HTTP request (None: no such lines); `on_open` runs once the session exists.
    """

    def __init__(
        self,
        conn: ConnectionOptions,
        log: Callable[[str], None] | None = None,
        on_open: Callable[[], None] | None = None,
        describe: Callable[[Origin], str] = lambda origin: origin.source,
    ) -> None:
        self.conn = conn
        self.log = log
        self.on_open = on_open
        self.describe = describe  # how a setting's origin reads in the -v line (the command line words it)

    def _client(self, base_url: str, base_origin: Origin) -> ApiClient:
        """The key resolved (AuthError when there is none) and the client made."""
        from stt_cli.api.client import ApiClient  # lazy for start-up: stt run --help
        from stt_cli.core.credentials import mask  # lazy for start-up: stt run --help

        key = require_key(self.conn.api_key, base_url, base_origin if base_origin.source != "default" else None)
        origins = {"base_url": base_origin, "key": Origin("api_key", key.source)}
        if self.log is not None:
            where = {name: self.describe(origin) for name, origin in origins.items()}
            self.log(f"base URL {base_url} (from {where['base_url']}); key {mask(key.value)} (from {where['key']})")
        return ApiClient(base_url, key.value, log=self.log, origins=origins)

    def base_url(self) -> str:
        """The base URL in use, resolved and checked; nothing is opened or asked."""
        return validate_base_url(resolve_base_url(self.conn.base_url))

    def keyless_client(self) -> ApiClient:
        """A client that sends no key, for what the service serves to anyone (its model list): no key is
        asked for, and none goes out where none is needed."""
        from stt_cli.api.client import ApiClient  # lazy for start-up: stt models --help

        resolved = resolve_base_url(self.conn.base_url)
        base_url = validate_base_url(resolved)
        if self.log is not None:
            self.log(f"base URL {base_url} (from {self.describe(Origin('base_url', resolved.source))}); no key sent")
        if self.on_open is not None:
            self.on_open()
        return ApiClient(base_url, "", log=self.log, origins={"base_url": Origin("base_url", resolved.source)})

    @contextmanager
    def __call__(self, need_key: bool = True) -> Iterator[Session]:
        from stt_cli.core.files import sweep_temp_files  # lazy for start-up: stt run --help

        resolved = resolve_base_url(self.conn.base_url)
        base_url = validate_base_url(resolved)
        origin = Origin("base_url", resolved.source)
        session: Session | None = None
        from stt_cli.core.ledger import Ledger  # lazy for start-up: stt run --help takes a Connector, opens nothing

        with Ledger() as ledger:
            try:
                session = Session(ledger, host_of(base_url), lambda: self._client(base_url, origin))
                if need_key:
                    session.client  # noqa: B018 - made now: a missing key is reported before any work
                sweep_temp_files(spool_dir())  # stdin spools of killed runs (a missing directory: one failed listdir)
                if self.on_open is not None:
                    self.on_open()
                yield session
            finally:
                if session is not None:
                    session.close()
