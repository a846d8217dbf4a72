"""HttpVectorStore: the same store calls against a Chroma server (``chroma run``), bounded by a timeout.

Embeddings are computed here (``OfflineEmbedding``) and sent with documents and queries; the server
only stores and searches vectors.  Every failure of the server (down, hung, answering garbage) is one
``DriverError(code="unavailable")`` line that names the address; the store connects again on the
next call, so memory works again once the server is back."""
from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import Any, Iterator, Sequence

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.api.fastapi import FastAPI
from chromadb.config import Settings
from chromadb.errors import ChromaError, InvalidArgumentError, NotFoundError

from ..errors import DriverError
from .chroma import ChromaStore
from .embedding import OfflineEmbedding
from .location import ServerAddress

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
DEFAULT_TIMEOUT = 10.0  # seconds one request to the server may take
HANDSHAKE = 3  # chromadb's client makes three requests before it is usable: that many timeouts in all


class HttpVectorStore(ChromaStore):
    """A Chroma server at ``url`` (``http(s)://host[:port][/database]``).

    Nothing is sent until the first call; connecting checks the server's heartbeat with
    ``timeout`` first (chromadb's own client has none), then every request is bounded by it.
    Calls are not serialized: the HTTP client is safe to share between threads, and one slow
    request must not make the others wait behind it.  After a request times out, calls fail at
    once for one ``timeout`` before the server is tried again."""

    def __init__(self, url: str, *, embedding: OfflineEmbedding | None = None, timeout: float = DEFAULT_TIMEOUT):
        super().__init__(embedding)
        self.address = ServerAddress.parse(url)
        self.path = self.address.url  # what the kernel's mem.store event names
        self.where = self.address.url
        self.timeout = float(timeout)
        self._lock = contextlib.nullcontext()
        self._connect = threading.Lock()
        self._client: ClientAPI | None = None
        self._closed = False
        self._quiet_until = 0.0  # after a timeout, calls fail at once until then (monotonic)

    def warm(self) -> None:
        """Load the embedding model and connect, so boot's ``mem.store`` event says whether the server answers."""
        super().warm()
        with self._errors("connect"):
            self._c()

    def scrub(self, collection: str | None = None, ids: Sequence[str] = ()) -> None:
        """The server's files are the server's: a delete through its API is all a client can do."""

    def close(self) -> None:
        with self._connect:
            self._closed = True
            self._cols.clear()
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()  # type: ignore[attr-defined]  # chromadb's Client has close; ClientAPI does not say so

    def _c(self) -> ClientAPI:
        if self._closed:
            raise DriverError(f"vector store {self.where} is closed", code="unavailable")
        left = self._quiet_until - time.monotonic()
        if left > 0:  # it hung a moment ago: do not make every caller wait out the timeout again
            raise DriverError(f"vector store {self.where} did not answer within {self.timeout:g} s; "
                              f"not tried again for {left:.1f} s", code="unavailable")
        client = self._client
        if client is not None:
            return client
        with self._connect:
            if self._client is None:
                self._client = self._open()
            return self._client

    def _open(self) -> ClientAPI:
        """Connect: the heartbeat (bounded), then chromadb's client, whose constructor asks the server
        three more things before its requests can be bounded: it runs on a thread of its own that is
        left behind if the server stops answering there."""
        self._heartbeat()
        box: dict[str, Any] = {}

        def connect() -> None:
            try:
                box["client"] = self._client_now()
            except BaseException as e:  # handed to the caller below
                box["error"] = e
        t = threading.Thread(target=connect, name="llmos-chroma-connect", daemon=True)
        t.start()
        t.join(HANDSHAKE * self.timeout)
        if "error" in box:
            raise box["error"]
        if "client" not in box:
            raise httpx.ReadTimeout(f"the handshake took over {HANDSHAKE * self.timeout:g} s")
        return box["client"]

    def _client_now(self) -> ClientAPI:
        a = self.address
        if a.database:
            admin = chromadb.AdminClient(self._settings())
            try:
                admin.get_database(a.database)
            except NotFoundError:
                admin.create_database(a.database)
        client = chromadb.HttpClient(host=a.host, port=a.port, ssl=a.ssl, settings=self._settings(),
                                     database=a.database or chromadb.DEFAULT_DATABASE)
        self._bound(client)
        return client

    def _settings(self) -> Settings:
        a = self.address
        return Settings(anonymized_telemetry=False, chroma_api_impl="chromadb.api.fastapi.FastAPI",
                        chroma_server_host=a.host, chroma_server_http_port=a.port, chroma_server_ssl_enabled=a.ssl)

    def _heartbeat(self) -> None:
        """One bounded request before chromadb's client, whose constructor talks to the server unbounded."""
        r = httpx.get(f"{self.address.base}/api/v2/heartbeat", timeout=self.timeout)
        r.raise_for_status()
        if not isinstance(r.json().get("nanosecond heartbeat"), int):
            raise ValueError(f"not a Chroma heartbeat: {r.text[:100]}")

    def _bound(self, client: ClientAPI) -> None:
        """chromadb 1.5's HTTP client sends every request with ``timeout=None`` on one httpx session;
        give that session this store's timeout."""
        server = client._server  # type: ignore[attr-defined]  # chromadb.api.client.Client's ServerAPI
        if not isinstance(server, FastAPI):
            raise DriverError(f"vector store {self.where}: chromadb's HTTP client changed shape "
                              f"({type(server).__name__}); cannot bound its requests", code="unavailable")
        server._session.timeout = httpx.Timeout(self.timeout)

    @contextlib.contextmanager
    def _errors(self, what: str, collection: str | None = None) -> Iterator[None]:
        try:
            yield
        except DriverError:
            raise
        except NotFoundError as e:
            if collection is not None:
                self._forget(collection)
            raise DriverError(f"vector store {self.where}: cannot {what}: {_line(e)}", code="not_found") from e
        except InvalidArgumentError as e:
            raise DriverError(f"vector store {self.where}: cannot {what}: {_line(e)}", code="invalid") from e
        except httpx.TimeoutException as e:
            self._quiet_until = time.monotonic() + self.timeout
            raise DriverError(f"vector store {self.where} did not answer within {self.timeout:g} s ({what})",
                              code="unavailable") from e
        except httpx.HTTPStatusError as e:
            raise DriverError(f"vector store {self.where} answered HTTP {e.response.status_code}, not Chroma's API "
                              f"({what})", code="unavailable") from e
        except httpx.TransportError as e:
            self._reset(collection)
            raise DriverError(f"vector store {self.where} unreachable: {_line(e) or type(e).__name__} ({what})",
                              code="unavailable", retryable=True) from e
        except ChromaError as e:  # the server's own error (its disk, its limits): it may pass
            raise DriverError(f"vector store {self.where}: cannot {what}: {_line(e)}", code="unavailable",
                              retryable=True) from e
        except Exception as e:  # anything else is an answer that is not Chroma's API
            self._reset(collection)
            raise DriverError(f"vector store {self.where} answered garbage ({what}): {type(e).__name__}: "
                              f"{_line(e)}", code="unavailable") from e

    def _reset(self, collection: str | None) -> None:
        """After a transport failure or a nonsense answer the server may be another one when it is
        back: look the collection up again (its id may have changed)."""
        if collection is not None:
            self._forget(collection)


def _line(e: BaseException, limit: int = 200) -> str:
    """An exception's message as one short printable line (a server's answer may be a whole HTML page)."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(e)).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
