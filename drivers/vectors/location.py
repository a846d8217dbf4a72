"""Where the vector store lives: ``[memory] store`` is "" (the home's own), a folder, or a Chroma server's URL."""
from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import DriverError

if TYPE_CHECKING:
    from .embedding import OfflineEmbedding
    from .protocol import Store

SCHEMES = ("http://", "https://")


def is_server(spec: str) -> bool:
    return spec.strip().lower().startswith(SCHEMES)


class ServerAddress(NamedTuple):
    """A Chroma server: ``http(s)://host[:port][/database]`` (the port defaults as in any URL: 80 or 443;
    no database means chromadb's default one)."""

    host: str
    port: int
    ssl: bool
    database: str = ""

    @classmethod
    def parse(cls, url: str) -> "ServerAddress":
        try:
            u = urllib.parse.urlsplit(url.strip())
            port = u.port
        except ValueError as e:
            raise DriverError(f"vector store address {url!r}: {e}", code="invalid") from None
        if u.scheme not in ("http", "https") or not u.hostname:
            raise DriverError(f"vector store address {url!r}: expected http://HOST:PORT", code="invalid")
        if u.query or u.fragment or u.username or u.password:
            raise DriverError(f"vector store address {url!r}: expected http://HOST:PORT[/DATABASE], "
                              "without a query, fragment or credentials", code="invalid")
        database = u.path.strip("/")
        if "/" in database or (database and not database.replace("-", "").replace("_", "").isalnum()):
            raise DriverError(f"vector store address {url!r}: the database name may hold letters, digits, "
                              "- and _ only", code="invalid")
        ssl = u.scheme == "https"
        return cls(u.hostname, port or (443 if ssl else 80), ssl, database)

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.ssl else 'http'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base + (f"/{self.database}" if self.database else "")


def store_path(spec: str, home: Path) -> Path:
    """The folder of an on-disk store: "" is ``<home>/vectors``; a relative path is relative to the home."""
    if not spec.strip():
        return home / "vectors"
    p = Path(spec.strip()).expanduser()
    return p if p.is_absolute() else home / p


def describe(spec: str, home: Path) -> str:
    """The store as messages name it: its URL or its folder."""
    return ServerAddress.parse(spec).url if is_server(spec) else str(store_path(spec, home))


def open_store(spec: str, home: Path, *, timeout: float = 10.0, embedding: "OfflineEmbedding | None" = None) -> "Store":
    """The store ``spec`` names: a ``VectorStore`` on disk, or an ``HttpVectorStore`` for a server URL."""
    if is_server(spec):
        from .http_store import HttpVectorStore
        return HttpVectorStore(spec, timeout=timeout, embedding=embedding)
    from .store import VectorStore
    return VectorStore(store_path(spec, home), embedding=embedding)
