"""LazyStore: the kernel's one VectorStore, opened on first use (or in a worker thread at boot)."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable


class LazyStore:
    """Stands in for a ``VectorStore`` at ``path`` and opens it the first time it is
    needed, so booting a kernel does not wait for chromadb.  ``opener`` builds the
    real store (tests pass a ``MemoryVectorStore``).  Thread-safe: a caller that
    arrives while another thread opens it waits for that open."""

    METHODS = ("collection", "exists", "add", "query", "query_many", "get", "delete", "drop",
               "list_collections", "count", "scrub")

    def __init__(self, path: str | Path, opener: Callable[[Path], Any] | None = None):
        self.path = Path(path)
        self._opener = opener or _open_vector_store
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


def _open_vector_store(path: Path) -> Any:
    from drivers.vectors import VectorStore
    return VectorStore(path)
