"""VectorStore: one chromadb PersistentClient on disk, cosine collections, thread-safe, errors as DriverError."""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Iterator, Sequence

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.client import Client
from chromadb.config import Settings
from chromadb.errors import ChromaError, InvalidArgumentError, NotFoundError

from ..errors import DriverError
from .chroma import HNSW, NAME_KEY, ChromaStore
from .embedding import OfflineEmbedding

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
__all__ = ["VectorStore", "HNSW", "NAME_KEY"]


class VectorStore(ChromaStore):
    """The disk of llmos: one ``chromadb.PersistentClient`` at ``path``.

    The calls are :class:`ChromaStore`'s.  Every call is blocking and takes one
    lock, so the kernel may call it from several worker threads.  Failures raise
    :class:`DriverError`: ``io`` for an unwritable or full store, ``invalid`` for
    bad arguments, ``not_found`` for a missing collection where one is needed.  After the first
    disk error the store stays closed and every call fails at once with ``io`` (see ``_stop``)."""

    def __init__(self, path: str | os.PathLike, *, embedding: OfflineEmbedding | None = None):
        super().__init__(embedding)
        self.path = Path(path)
        self.where = f"at {self.path}"
        self._client: ClientAPI | None = None
        self._failed = ""  # why the store stopped: set by the first disk error once it is open
        self._wedged: ClientAPI | None = None  # the client of a failed store, kept but never called again
        with self._errors("open the store"):
            self.path.mkdir(parents=True, exist_ok=True)
            if not os.access(self.path, os.W_OK):
                raise PermissionError(f"{self.path} is not writable")
            self._client = chromadb.PersistentClient(
                path=str(self.path), settings=Settings(anonymized_telemetry=False, allow_reset=False))
            self._batch = max(1, min(5000, self._client.get_max_batch_size()))

    def scrub(self, collection: str | None = None, ids: Sequence[str] = ()) -> None:
        """Leave no stale bytes of deleted items on disk: blank their text in
        chromadb's write-ahead log (entries it has not purged yet still carry the
        document; the vectors stay for the index to replay the delete), then
        ``VACUUM`` so free pages are dropped (about 0.1 s for 20k items)."""
        with self._lock, self._errors("scrub the database"):
            col = self._col(collection, create=False) if collection else None
            db = sqlite3.connect(str(self.path / "chroma.sqlite3"), timeout=30)
            try:
                if col is not None and ids:
                    topic = f"persistent://default/default/{col.id}"
                    for s in range(0, len(ids), 500):
                        part = list(ids[s:s + 500])
                        db.execute(f"UPDATE embeddings_queue SET metadata = '{{}}' WHERE topic = ? AND id IN "
                                   f"({','.join('?' * len(part))}) AND operation != 3", [topic, *part])
                    db.commit()
                db.execute("VACUUM")
            finally:
                db.close()

    def close(self) -> None:
        """Release the client (a later VectorStore on the same path reopens it from disk)."""
        with self._lock:
            self._cols.clear()
            client, self._client = self._client, None
            if client is not None and self._failed:
                self._wedged = client  # closing it may block for good, holding the GIL: leave it be
            elif isinstance(client, Client):  # what PersistentClient makes; the ClientAPI interface has no close
                with contextlib.suppress(Exception):
                    client.close()

    def _c(self) -> ClientAPI:
        if self._failed:
            raise DriverError(f"vector store at {self.path} stopped after a disk error ({self._failed}); it "
                              "stays closed until the kernel restarts (free disk space first)", code="io")
        if self._client is None:
            raise DriverError(f"vector store at {self.path} is closed", code="unavailable")
        return self._client

    # -- internals -------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, what: str, collection: str | None = None) -> Iterator[None]:
        try:
            yield
        except DriverError:
            raise
        except NotFoundError as e:
            if collection is not None:
                self._forget(collection)
            raise DriverError(f"vector store: cannot {what}: {e}", code="not_found") from e
        except (InvalidArgumentError, TypeError) as e:
            raise DriverError(f"vector store: cannot {what}: {e}", code="invalid") from e
        except (OSError, sqlite3.Error, ChromaError) as e:
            # with an embedded store, an internal chromadb error is the disk refusing a read or write
            self._stop(what, e)
            raise DriverError(f"vector store at {self.path}: cannot {what}: {e}", code="io") from e
        except ValueError as e:
            code = "io" if _looks_like_io(str(e)) else "invalid"
            if code == "io":
                self._stop(what, e)
            raise DriverError(f"vector store: cannot {what}: {e}", code=code) from e

    def _stop(self, what: str, e: Exception) -> None:
        """After a disk error chromadb (1.5) is not safe to call again: a later call was seen to block
        for good inside its Rust core while holding the GIL, freezing every thread of the process.
        So the first disk error closes the store for the rest of the run; its calls fail at once."""
        if self._client is not None and not self._failed:
            self._failed = f"cannot {what}: {str(e)[:200]}"


def _looks_like_io(msg: str) -> bool:
    msg = msg.lower()
    return any(w in msg for w in ("read-only", "readonly", "disk", "no space", "permission", "os error",
                                  "unable to open", "database is locked"))
