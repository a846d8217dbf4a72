"""VectorStore: one chromadb PersistentClient on disk, cosine collections, thread-safe, errors as DriverError."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.client import Client
from chromadb.config import Settings
from chromadb.errors import ChromaError, InvalidArgumentError, NotFoundError

from ..errors import DriverError
from .embedding import OfflineEmbedding
from .names import check_name, chroma_name
from .types import Hit, Item, check_items
from .where import normalize_where

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
NAME_KEY = "llmos_name"  # collection metadata: the logical name a chroma name stands for
#: sync the HNSW index after every write so chromadb purges its write-ahead log at once:
#: with the default (1000) a deleted document's text lingers in the log for a thousand writes.
#: Measured: no slower for single adds (both ~30 ms, dominated by the sqlite commit).
#: Wider graph and search than chromadb's defaults (100/100/16): on 10k templated distractors
#: with 20 planted facts, the defaults found 0.70-0.95 of the facts in the top 5 (exact search:
#: 1.00); 400/400/48 found 1.00 at about the same query time (~1.5 ms), for 2x build time.
HNSW = {"space": "cosine", "sync_threshold": 2, "batch_size": 2, "ef_construction": 400, "ef_search": 400,
        "max_neighbors": 48}


class VectorStore:
    """The disk of llmos: one ``chromadb.PersistentClient`` at ``path``.

    Collections are addressed by logical names (``user:alice``, ``proc:k1:42``),
    mapped to valid chromadb names by :func:`chroma_name`; each uses cosine
    space and :class:`OfflineEmbedding`.  Every call is blocking and takes one
    lock, so the kernel may call it from several worker threads.  Failures raise
    :class:`DriverError`: ``io`` for an unwritable or full store, ``invalid`` for
    bad arguments, ``not_found`` for a missing collection where one is needed.  After the first
    disk error the store stays closed and every call fails at once with ``io`` (see ``_stop``)."""

    def __init__(self, path: str | os.PathLike, *, embedding: OfflineEmbedding | None = None):
        self.path = Path(path)
        self.embedding = embedding or OfflineEmbedding()
        self._lock = threading.RLock()
        self._cols: dict[str, object] = {}
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

    # -- collections -----------------------------------------------------------------

    def collection(self, name: str) -> str:
        """Get or create the collection ``name``; returns the name."""
        self._col(name, create=True)
        return name

    def warm(self) -> None:
        """Load the embedding model now (off the boot path), not on the first call that needs it."""
        self.embedding.embed(["warm up"])

    def exists(self, name: str) -> bool:
        return self._col(name, create=False) is not None

    def list_collections(self) -> list[str]:
        with self._lock, self._errors("list collections"):
            out = []
            for c in self._c().list_collections():
                md = c.metadata or {}
                out.append(md.get(NAME_KEY, c.name))
            return sorted(out)

    def drop(self, name: str) -> bool:
        """Delete a collection and everything in it; False if there was none."""
        with self._lock, self._errors(f"drop {name!r}"):
            self._cols.pop(name, None)
            try:
                self._c().delete_collection(chroma_name(name))
            except (NotFoundError, ValueError) as e:
                if "not exist" in str(e).lower() or isinstance(e, NotFoundError):
                    return False
                raise
            return True

    def count(self, name: str) -> int:
        col = self._col(name, create=False)
        if col is None:
            return 0
        with self._lock, self._errors(f"count {name!r}"):
            return col.count()

    # -- items -----------------------------------------------------------------------

    def add(self, collection: str, items: Iterable[Item | Mapping],
            embeddings: Sequence[Sequence[float]] | None = None) -> int:
        """Store items (an existing id is overwritten, so a replayed add is harmless).
        ``embeddings`` may be given precomputed (same order as ``items``)."""
        batch = [it if isinstance(it, Item) else Item(**it) for it in items]
        if not batch:
            return 0
        check_items(batch)
        vecs: Sequence[Sequence[float]] | np.ndarray = embeddings if embeddings is not None else \
            self.embedding.embed([it.text for it in batch])  # outside the lock: CPU-bound
        if len(vecs) != len(batch):
            raise DriverError("embeddings and items differ in length", code="invalid")
        col = self._col(collection, create=True)
        with self._lock, self._errors(f"add to {collection!r}"):
            for s in range(0, len(batch), self._batch):
                part = batch[s:s + self._batch]
                col.upsert(ids=[i.id for i in part], documents=[i.text for i in part],
                           metadatas=[dict(i.metadata) or None for i in part],
                           embeddings=np.asarray(vecs[s:s + self._batch], dtype=np.float32))
        return len(batch)

    def query(self, collection: str, text: str, k: int = 5, where: Mapping | None = None) -> list[Hit]:
        """The ``k`` items nearest to ``text``, nearest first."""
        return self.query_many(collection, [text], k, where)[0]

    def query_many(self, collection: str, texts: Sequence[str], k: int = 5,
                   where: Mapping | None = None) -> list[list[Hit]]:
        if k <= 0:
            raise DriverError("k must be positive", code="invalid")
        flt = normalize_where(where)
        col = self._col(collection, create=False)
        if col is None or not texts:
            return [[] for _ in texts]
        vecs = self.embedding.embed(list(texts))
        with self._lock, self._errors(f"query {collection!r}"):
            n = col.count()
            if n == 0:
                return [[] for _ in texts]
            r = col.query(query_embeddings=np.asarray(vecs, dtype=np.float32), n_results=min(k, n),
                          where=flt, include=["documents", "metadatas", "distances"])
        out = []
        for ids, docs, mds, dists in zip(r["ids"], r["documents"], r["metadatas"], r["distances"]):
            out.append([Hit(i, d or "", dict(m or {}), float(x), collection)
                        for i, d, m, x in zip(ids, docs, mds, dists)])
        return out

    def get(self, collection: str, ids: Sequence[str] | None = None, where: Mapping | None = None,
            limit: int | None = None) -> list[Item]:
        col = self._col(collection, create=False)
        if col is None:
            return []
        with self._lock, self._errors(f"get from {collection!r}"):
            r = col.get(ids=list(ids) if ids is not None else None, where=normalize_where(where),
                        limit=limit, include=["documents", "metadatas"])
        return [Item(i, d or "", dict(m or {})) for i, d, m in zip(r["ids"], r["documents"], r["metadatas"])]

    def delete(self, collection: str, ids: Sequence[str] | None = None, where: Mapping | None = None, *,
               scrub: bool = False) -> int:
        """Delete items by id and/or filter; returns how many were deleted.  They are
        gone from every read at once and from chromadb's write-ahead log (see ``HNSW``);
        ``scrub`` also rewrites the database file so no stale bytes of them remain."""
        if ids is None and not where:
            raise DriverError("delete needs ids or where (use drop for a whole collection)", code="invalid")
        col = self._col(collection, create=False)
        if col is None:
            return 0
        with self._lock, self._errors(f"delete from {collection!r}"):
            found = col.get(ids=list(ids) if ids is not None else None, where=normalize_where(where),
                            include=[])["ids"]
            if found:
                col.delete(ids=found)
                col.count()  # let chromadb apply the delete (and purge its log) now
                if scrub:
                    self.scrub(collection, found)
            return len(found)

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

    def _c(self):
        if self._failed:
            raise DriverError(f"vector store at {self.path} stopped after a disk error ({self._failed}); it "
                              "stays closed until the kernel restarts (free disk space first)", code="io")
        if self._client is None:
            raise DriverError(f"vector store at {self.path} is closed", code="unavailable")
        return self._client

    # -- internals -------------------------------------------------------------------

    def _col(self, name: str, *, create: bool):
        check_name(name)
        with self._lock:
            self._c()
            col = self._cols.get(name)
            if col is not None:
                return col
            with self._errors(f"open collection {name!r}"):
                if create:
                    col = self._c().get_or_create_collection(
                        chroma_name(name), embedding_function=self.embedding,
                        configuration={"hnsw": dict(HNSW)}, metadata={NAME_KEY: name})
                else:
                    try:
                        col = self._c().get_collection(chroma_name(name), embedding_function=self.embedding)
                    except (NotFoundError, ValueError) as e:
                        if isinstance(e, NotFoundError) or "not exist" in str(e).lower():
                            return None
                        raise
            self._cols[name] = col
            return col

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except DriverError:
            raise
        except NotFoundError as e:
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
