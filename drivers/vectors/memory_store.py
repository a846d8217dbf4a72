"""MemoryVectorStore: the in-process test double of VectorStore, same interface, no disk."""
from __future__ import annotations

import hashlib
import math
import re
import threading
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from ..errors import DriverError
from .names import check_name
from .types import Hit, Item, check_items
from .where import matches, normalize_where

Embed = Callable[[Sequence[str]], Sequence[Sequence[float]]]
_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedding:
    """A trivial bag-of-words embedding: each lower-cased word (and word pair)
    hashed into ``dim`` buckets, L2-normalised.  Deterministic and instant; good
    enough for kernel unit tests where the real model is not the point."""

    def __init__(self, dim: int = 256):
        self.dim = dim

    def __call__(self, input: Sequence[str]) -> list[list[float]]:  # chromadb's argument name
        return [self._one(text) for text in input]

    def _one(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        words = _WORD.findall(text.lower())
        grams = words + [a + " " + b for a, b in zip(words, words[1:])]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += -1.0 if (h >> 63) & 1 else 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]


class MemoryVectorStore:
    """Same public API as :class:`VectorStore`; exact cosine search in pure Python.

    ``embedding`` is any callable mapping a list of texts to vectors (the real
    :class:`OfflineEmbedding` works too); the default is :class:`HashEmbedding`."""

    def __init__(self, path: str | None = None, *, embedding: Embed | None = None):
        self.path = path
        self.embedding = embedding or HashEmbedding()
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, tuple[Item, list[float]]]] = {}

    def warm(self) -> None:
        """Nothing to load ahead of the first call: pure Python, in memory."""

    def collection(self, name: str) -> str:
        with self._lock:
            self._data.setdefault(check_name(name), {})
            return name

    def exists(self, name: str) -> bool:
        with self._lock:
            return check_name(name) in self._data

    def add(self, collection: str, items: Iterable[Item | Mapping],
            embeddings: Sequence[Sequence[float]] | None = None) -> int:
        batch = [it if isinstance(it, Item) else Item(**it) for it in items]
        if not batch:
            return 0
        check_items(batch)
        vecs = list(embeddings) if embeddings is not None else list(self.embedding([i.text for i in batch]))
        if len(vecs) != len(batch):
            raise DriverError("embeddings and items differ in length", code="invalid")
        with self._lock:
            col = self._data.setdefault(check_name(collection), {})
            for it, v in zip(batch, vecs):
                col[it.id] = (it, [float(x) for x in v])
        return len(batch)

    def query(self, collection: str, text: str, k: int = 5, where: Mapping | None = None) -> list[Hit]:
        return self.query_many(collection, [text], k, where)[0]

    def query_many(self, collection: str, texts: Sequence[str], k: int = 5,
                   where: Mapping | None = None) -> list[list[Hit]]:
        normalize_where(where)  # validate like the real store
        if k <= 0:
            raise DriverError("k must be positive", code="invalid")
        with self._lock:
            rows = list(self._data.get(check_name(collection), {}).values())
        rows = [(it, v) for it, v in rows if matches(where, it.metadata)]
        out = []
        for q in self.embedding(list(texts)):
            q = [float(x) for x in q]
            scored = sorted(((1.0 - _cos(q, v), it) for it, v in rows), key=lambda t: t[0])[:k]
            out.append([Hit(it.id, it.text, dict(it.metadata), d, collection) for d, it in scored])
        return out

    def get(self, collection: str, ids: Sequence[str] | None = None, where: Mapping | None = None,
            limit: int | None = None) -> list[Item]:
        normalize_where(where)
        with self._lock:
            col = self._data.get(check_name(collection), {})
            its = [col[i][0] for i in ids if i in col] if ids is not None else [it for it, _ in col.values()]
        its = [it for it in its if matches(where, it.metadata)]
        return its[:limit] if limit is not None else its

    def delete(self, collection: str, ids: Sequence[str] | None = None, where: Mapping | None = None, *,
               scrub: bool = False) -> int:
        if ids is None and not where:
            raise DriverError("delete needs ids or where (use drop for a whole collection)", code="invalid")
        with self._lock:
            col = self._data.get(check_name(collection), {})
            doomed = [it.id for it in self.get(collection, ids, where)]
            for i in doomed:
                col.pop(i, None)
            return len(doomed)

    def export(self, collection: str, batch: int = 500) -> Iterator[tuple[list[Item], list[list[float]]]]:
        with self._lock:
            rows = list(self._data.get(check_name(collection), {}).values())
        for s in range(0, len(rows), batch):
            yield [it for it, _ in rows[s:s + batch]], [list(v) for _, v in rows[s:s + batch]]

    def drop(self, collection: str) -> bool:
        with self._lock:
            return self._data.pop(check_name(collection), None) is not None

    def list_collections(self) -> list[str]:
        with self._lock:
            return sorted(self._data)

    def count(self, collection: str) -> int:
        with self._lock:
            return len(self._data.get(check_name(collection), {}))

    def scrub(self, collection: str | None = None, ids: Sequence[str] = ()) -> None:
        pass

    def close(self) -> None:
        pass


def _cos(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)
