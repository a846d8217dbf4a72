"""ChromaStore: the collection and item calls shared by the on-disk store and the Chroma server client.

Subclasses give the chromadb client (``_c``), the error mapping (``_errors``) and ``where`` (the
path or address named in messages).  Embeddings are always computed here, by llmos's
:class:`OfflineEmbedding`, and sent with the documents and queries: chromadb never embeds."""
from __future__ import annotations

import threading
from typing import Any, ContextManager, Iterable, Iterator, Mapping, Sequence

import numpy as np
from chromadb.api import ClientAPI
from chromadb.errors import NotFoundError

from ..errors import DriverError
from .embedding import OfflineEmbedding
from .names import check_name, chroma_name
from .types import Hit, Item, check_items
from .where import normalize_where

NAME_KEY = "llmos_name"  # collection metadata: the logical name a chroma name stands for
#: sync the HNSW index after every write so chromadb purges its write-ahead log at once:
#: with the default (1000) a deleted document's text lingers in the log for a thousand writes.
#: Measured: no slower for single adds (both ~30 ms, dominated by the sqlite commit).
#: Wider graph and search than chromadb's defaults (100/100/16): on 10k templated distractors
#: with 20 planted facts, the defaults found 0.70-0.95 of the facts in the top 5 (exact search:
#: 1.00); 400/400/48 found 1.00 at about the same query time (~1.5 ms), for 2x build time.
HNSW = {"space": "cosine", "sync_threshold": 2, "batch_size": 2, "ef_construction": 400, "ef_search": 400,
        "max_neighbors": 48}
EXPORT_BATCH = 500  # items per page of ``export``


class ChromaStore:
    """Collections addressed by logical names (``user:alice``, ``proc:k1:42``), mapped to valid
    chromadb names by :func:`chroma_name`; each uses cosine space and :class:`OfflineEmbedding`.
    Every call is blocking; failures raise :class:`DriverError`."""

    where = ""  # the path or address, for messages

    def __init__(self, embedding: OfflineEmbedding | None = None):
        self.embedding = embedding or OfflineEmbedding()
        self._lock: Any = threading.RLock()
        self._cols: dict[str, Any] = {}
        self._batch = 1000

    # -- what a subclass gives ---------------------------------------------------------

    def _c(self) -> ClientAPI:
        raise NotImplementedError

    def _errors(self, what: str, collection: str | None = None) -> ContextManager[None]:
        """Map a failure of ``what`` to a DriverError (a handle of ``collection`` that the store
        says is gone is forgotten, so the next call looks it up again)."""
        raise NotImplementedError

    def scrub(self, collection: str | None = None, ids: Sequence[str] = ()) -> None:
        """Leave no stale bytes of deleted items where the store keeps them (the subclass says how)."""

    def close(self) -> None:
        raise NotImplementedError

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
                out.append(str(md.get(NAME_KEY, c.name)))
            return sorted(out)

    def drop(self, name: str) -> bool:
        """Delete a collection and everything in it; False if there was none."""
        check_name(name)
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
        with self._lock, self._errors(f"count {name!r}", name):
            return int(col.count())

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
        with self._lock, self._errors(f"add to {collection!r}", collection):
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
        with self._lock, self._errors(f"query {collection!r}", collection):
            n = col.count()
            if n == 0:
                return [[] for _ in texts]
            r = col.query(query_embeddings=np.asarray(vecs, dtype=np.float32), n_results=min(k, n),
                          where=flt, include=["documents", "metadatas", "distances"])
            return [[Hit(str(i), d or "", dict(m or {}), float(x), collection)
                     for i, d, m, x in zip(ids, docs, mds, dists)]
                    for ids, docs, mds, dists in zip(r["ids"], r["documents"], r["metadatas"], r["distances"])]

    def get(self, collection: str, ids: Sequence[str] | None = None, where: Mapping | None = None,
            limit: int | None = None) -> list[Item]:
        col = self._col(collection, create=False)
        if col is None:
            return []
        with self._lock, self._errors(f"get from {collection!r}", collection):
            r = col.get(ids=list(ids) if ids is not None else None, where=normalize_where(where),
                        limit=limit, include=["documents", "metadatas"])
            return [Item(str(i), d or "", dict(m or {})) for i, d, m in zip(r["ids"], r["documents"], r["metadatas"])]

    def export(self, collection: str, batch: int = EXPORT_BATCH) -> Iterator[tuple[list[Item], list[list[float]]]]:
        """Every item of ``collection`` with its stored embedding, ``batch`` at a time (for migration)."""
        col = self._col(collection, create=False)
        if col is None:
            return
        offset = 0
        while True:
            with self._lock, self._errors(f"read {collection!r}", collection):
                r = col.get(limit=batch, offset=offset, include=["documents", "metadatas", "embeddings"])
                items = [Item(str(i), d or "", dict(m or {}))
                         for i, d, m in zip(r["ids"], r["documents"], r["metadatas"])]
                vecs = [[float(x) for x in v] for v in r["embeddings"]]
            if not items:
                return
            yield items, vecs
            offset += len(items)

    def delete(self, collection: str, ids: Sequence[str] | None = None, where: Mapping | None = None, *,
               scrub: bool = False) -> int:
        """Delete items by id and/or filter; returns how many were deleted.  They are gone from
        every read at once and from chromadb's write-ahead log (see ``HNSW``); ``scrub`` also
        leaves no stale bytes of them where the store keeps its files (see ``scrub``)."""
        if ids is None and not where:
            raise DriverError("delete needs ids or where (use drop for a whole collection)", code="invalid")
        col = self._col(collection, create=False)
        if col is None:
            return 0
        with self._lock, self._errors(f"delete from {collection!r}", collection):
            found = col.get(ids=list(ids) if ids is not None else None, where=normalize_where(where),
                            include=[])["ids"]
            if found:
                col.delete(ids=found)
                col.count()  # let chromadb apply the delete (and purge its log) now
                if scrub:
                    self.scrub(collection, found)
            return len(found)

    # -- internals -------------------------------------------------------------------

    def _col(self, name: str, *, create: bool) -> Any:
        check_name(name)
        with self._lock, self._errors(f"open collection {name!r}"):
            client: Any = self._c()  # chromadb's stubs take neither our embedding function nor a plain dict config
            col = self._cols.get(name)
            if col is not None:
                return col
            if create:
                col = client.get_or_create_collection(
                    chroma_name(name), embedding_function=self.embedding,
                    configuration={"hnsw": dict(HNSW)}, metadata={NAME_KEY: name})
            else:
                try:
                    col = client.get_collection(chroma_name(name), embedding_function=self.embedding)
                except (NotFoundError, ValueError) as e:
                    if isinstance(e, NotFoundError) or "not exist" in str(e).lower():
                        return None
                    raise
            self._cols[name] = col
            return col

    def _forget(self, name: str) -> None:
        """A collection handle the store no longer knows (dropped elsewhere): look it up again next time."""
        self._cols.pop(name, None)

