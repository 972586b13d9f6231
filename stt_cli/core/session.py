"""A session: the HTTP client to the service and the local ledger, opened when a use case is ready for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from stt_cli.core.ledger import Ledger
from stt_cli.errors import Origin

if TYPE_CHECKING:
    from stt_cli.api.client import ApiClient


class ConnectionOptions(NamedTuple):
    """--base-url and --api-key as given (None: not given; the settings resolver looks further)."""

    base_url: str | None
    api_key: str | None


class Session(NamedTuple):
    client: ApiClient
    ledger: Ledger
    host: str  # host:port of the base URL: the ledger keeps each service's jobs apart


class Connector:
    """Opens a session when the use case asks: the base URL and the key resolved and checked then (after the
    sources, so a bad source is reported before a missing key), the client made, the ledger opened.

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

    def resolve(self) -> tuple[str, str, dict[str, Origin]]:
        """The base URL and the key, checked before anything is read or sent, and where each came from."""
        from stt_cli.core.credentials import mask
        from stt_cli.core.settings import require_key, resolve_base_url, validate_base_url

        resolved = resolve_base_url(self.conn.base_url)
        base_url = validate_base_url(resolved)
        key = require_key(self.conn.api_key)
        origins = {"base_url": Origin("base_url", resolved.source), "key": Origin("api_key", key.source)}
        if self.log is not None:
            where = {name: self.describe(origin) for name, origin in origins.items()}
            self.log(f"base URL {base_url} (from {where['base_url']}); key {mask(key.value)} (from {where['key']})")
        return base_url, key.value, origins

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        from stt_cli.api.client import ApiClient
        from stt_cli.core.config import spool_dir
        from stt_cli.core.files import sweep_temp_files
        from stt_cli.core.settings import host_of

        base_url, key, origins = self.resolve()
        with Ledger() as ledger, ApiClient(base_url, key, log=self.log, origins=origins) as client:
            sweep_temp_files(spool_dir())  # stdin spools of killed runs (a missing directory costs one failed listdir)
            if self.on_open is not None:
                self.on_open()
            yield Session(client, ledger, host_of(base_url))
