"""Swap: write evicted pages to the process's collection on disk and describe them in a one-line stub."""
from __future__ import annotations

import collections
import re
import threading
import time
import uuid
from typing import Any, Callable, Sequence

from drivers.errors import DriverError
from drivers.vectors import Item
from kernel.memory.page import Page

CHUNK_WORDS = 150  # the embedding model reads 256 word pieces; ~150 words stay under that
#: characters of paged-out text a process's swap keeps in RAM while the store cannot be reached
#: (a Chroma server that is down); past it a page-out fails and the context stays as it was
PENDING_CHARS = 1 << 20
TRANSIENT = ("unavailable", "timeout")  # store errors that may pass: worth keeping the pages for
RETRY_AFTER, RETRY_MAX = 1.0, 30.0  # after a failure, page-outs try the store again after 1 s, 2 s, 4 s ... 30 s
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]{2,}")
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not now of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours yourself yourselves
yes okay sure please thanks thank let lets like get got one two also maybe well really want need know
paged pages page message messages observation observations mem ids recall untrusted source said says
""".split())


def new_mem_id() -> str:
    return "m-" + uuid.uuid4().hex[:16]


def chunks(text: str, words: int = CHUNK_WORDS) -> list[str]:
    """Split long text into pieces the embedding model reads whole (a small overlap keeps context)."""
    parts = text.split()
    if len(parts) <= words:
        return [text]
    step = words - words // 10
    return [" ".join(parts[i:i + words]) for i in range(0, len(parts), step) if parts[i:i + words]]


def topic(texts: Sequence[str], n: int = 3) -> list[str]:
    """The ``n`` most frequent content words: a stub's cheap, model-free "about X"."""
    counts: collections.Counter[str] = collections.Counter()
    for t in texts:
        counts.update(w.lower() for w in _WORD.findall(t) if w.lower() not in STOPWORDS)
    return [w for w, _ in counts.most_common(n)]


LABELS = {"scratch": "scratch note"}


def stub_text(counts: dict[str, int], words: list[str], refs: list[str]) -> str:
    kinds = ", ".join(f"{n} {LABELS.get(k, k)}{'s' if n != 1 else ''}" for k, n in sorted(counts.items()) if n)
    about = f" about {', '.join(words)}" if words else ""
    if not refs:
        where = ""
    elif len(refs) == 1:
        where = f" → mem id {refs[0]}"
    else:
        where = f" → mem ids {refs[0]}…{refs[-1]}"
    return f"[paged out: {kinds}{about}{where}; mem.recall brings them back]"


def make_stub(victims: Sequence[Page], ids: Sequence[str], role: str = "system") -> Page:
    """One stub for the evicted ``victims`` (older stubs among them are merged in);
    ``ids`` are the new memory ids of the victims that went to disk, in order."""
    counts: dict[str, int] = {}
    refs: list[str] = []
    texts: list[str] = []
    new = iter(ids)
    for p in victims:
        if p.kind == "stub":
            for k, n in p.meta.items():
                counts[k] = counts.get(k, 0) + n
            refs.extend(p.refs)
        elif p.kind != "recall":
            counts[p.kind] = counts.get(p.kind, 0) + 1
            refs.extend(r for r in [next(new, None)] if r)
        if p.kind != "recall":
            texts.append(p.text)
    return Page(text=stub_text(counts, topic(texts), refs), kind="stub", role=role, refs=refs, meta=counts)


class Swap:
    """Where a context's evicted pages go: one collection of a ``VectorStore`` (or its double).

    ``meta`` is stamped on every item (pid, app, user); each page becomes one
    item, or several for text longer than the embedding model reads.  While the store
    cannot be reached (``unavailable``, ``timeout``), written items wait in ``pending``
    (up to ``PENDING_CHARS``) and go to the store before the next write or search that
    reaches it: a page-out never loses a page, and the process's step goes on.  After a
    failure, page-outs do not try the store again for a while (``RETRY_AFTER``, doubling),
    so a store that hangs costs a step one timeout now and then, not one per page-out."""

    def __init__(self, store: Any, collection: str, meta: dict[str, Any] | None = None,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.collection = collection
        self.meta = {k: v for k, v in (meta or {}).items() if isinstance(v, (str, int, float, bool))}
        self.clock = clock
        self.pending: list[Item] = []
        self._lock = threading.Lock()
        self._failed = DriverError("the vector store failed", code="unavailable")  # the last transient failure
        self._backoff = 0.0  # seconds page-outs go straight to ``pending`` after a failure (doubling)
        self._retry_at = 0.0

    def flush(self) -> int:
        """Write the pending items to the store (DriverError if it still cannot take them; they stay)."""
        with self._lock:
            batch = list(self.pending)
            if batch:
                self.store.add(self.collection, batch)
                del self.pending[:len(batch)]
            return len(batch)

    def _put(self, items: list[Item]) -> None:
        try:
            if self.pending and time.monotonic() < self._retry_at:
                raise self._failed  # the store failed a moment ago: do not wait on it (or embed for it) again yet
            self.flush()
            self.store.add(self.collection, items)
            self._backoff = 0.0
        except DriverError as exc:
            size = sum(len(it.text) for it in self.pending) + sum(len(it.text) for it in items)
            if exc.code not in TRANSIENT or size > PENDING_CHARS:
                raise  # nothing has changed: the context keeps its pages
            with self._lock:
                self.pending.extend(items)
            if exc is not self._failed:
                self._failed = exc
                self._backoff = min(RETRY_MAX, self._backoff * 2 or RETRY_AFTER)
                self._retry_at = time.monotonic() + self._backoff

    def write(self, pages: Sequence[Page], ids: Sequence[str] | None = None) -> list[str]:
        """Store the pages under ``ids`` (one per page, drawn here if not given; a long
        page's further chunks get ``<id>.1``, ``<id>.2``...).  Returns the ids."""
        ids = list(ids) if ids is not None else [new_mem_id() for _ in pages]
        if len(ids) != len(pages):
            raise ValueError("one id per page")
        items: list[Item] = []
        now = self.clock()
        for page, first in zip(pages, ids):
            pieces = chunks(page.text)
            for i, piece in enumerate(pieces):
                mid = first if i == 0 else f"{first}.{i}"
                items.append(Item(mid, piece, {
                    **self.meta, "kind": page.kind, "role": page.role, "time": float(page.created),
                    "evicted": float(now), "step": page.step, "page_id": page.id, "untrusted": page.untrusted,
                    "source": page.source, "importance": float(page.importance), "chunk": i,
                    "chunks": len(pieces)}))
        if items:
            self._put(items)
        return ids
