"""LazyStore: the kernel's one vector store (on disk or a Chroma server), opened on first use (or in a worker thread at boot)."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable


class LazyStore:
    """Stands in for the store at ``path`` (a folder, or a Chroma server's URL) and opens it the
    first time it is needed, so booting a kernel does not wait for chromadb.  ``opener`` builds the
    real store (tests pass a ``MemoryVectorStore``).  Thread-safe: a caller that arrives while
    another thread opens it waits for that open; an open that fails is tried again by the next call."""

    METHODS = ("collection", "exists", "add", "query", "query_many", "get", "delete", "drop",
               "list_collections", "count", "scrub", "export")

    def __init__(self, path: str | Path, opener: Callable[[Any], Any] | None = None, *, timeout: float = 10.0):
        self.path = path
        self._opener = opener or (lambda where: _open_store(where, timeout))
        self._lock = threading.Lock()
        self._store: Any = None
        self._closed = False

    @property
    def opened(self) -> bool:
        return self._store is not None

    def open(self) -> Any:
        if self._store is None:
            with self._lock:
                if self._closed:
                    from drivers.errors import DriverError
                    raise DriverError("the kernel's vector store is closed", code="unavailable")
                if self._store is None:
                    self._store = self._opener(self.path)
        return self._store

    def close(self) -> None:
        with self._lock:
            self._closed = True
            store, self._store = self._store, None
        if store is not None:
            store.close()

    def __getattr__(self, name: str) -> Any:  # probe: stands in for the store until it opens
        if name in LazyStore.METHODS:
            return getattr(self.open(), name)
        raise AttributeError(name)


def _open_store(where: str | Path, timeout: float) -> Any:
    from drivers.vectors import open_store
    return open_store(str(where), Path("."), timeout=timeout)


def kernel_store(spec: str, home: Path, timeout: float) -> LazyStore:
    """The store ``[memory] store`` names for the kernel at ``home`` (docs/memory.md)."""
    from drivers.vectors.location import ServerAddress, is_server, store_path
    where: str | Path = ServerAddress.parse(spec).url if is_server(spec) else store_path(spec, home)
    return LazyStore(where, timeout=timeout)
