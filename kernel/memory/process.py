"""ProcessMemory: one process's context plus its granted view of the disk (mem.* syscalls, page faults)."""
from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from drivers.vectors import Hit, Item
from kernel.memory.context import Context
from kernel.memory.grants import Grants, MemoryDenied, user_collection
from kernel.memory.page import Page
from kernel.memory.prefs import choice_item, preference_item
from kernel.memory.recall import best_hits, recall_page
from kernel.memory.swap import new_mem_id

OnEvent = Callable[..., None]


class ProcessMemory:
    """What the kernel holds per process.  ``context`` is its RAM; every other
    method reaches the disk only through collections ``grants`` allows (the
    process's own ``proc:`` collection always; long-term ones as granted).
    Calls block on the store: the kernel runs them in worker threads."""

    def __init__(self, store: Any, context: Context, grants: Grants, *, pid: int, app: str, user: str,
                 on_event: OnEvent | None = None, clock: Callable[[], float] = time.time):
        self.store = store
        self.context = context
        self.grants = grants
        self.pid, self.app, self.user = pid, app, user
        self.on_event = on_event or (lambda kind, **f: None)
        self.clock = clock

    @property
    def collection(self) -> str:
        """The process's own collection: where its evicted pages go."""
        return self.grants.own

    # -- RAM -----------------------------------------------------------------------

    def add(self, page: Page) -> Page:
        return self.context.add(page)

    def mem_pin(self, page_id: str | None = None, text: str | None = None) -> Page | None:
        """Pin a page already in the context (``page_id``), or add ``text`` as a pinned fact."""
        if page_id is not None:
            return self.context.get(page_id) if self.context.pin(page_id) else None
        if not text:
            raise ValueError("mem_pin needs a page_id or a text")
        page = self.context.add(Page(text=text, kind="pinned", role="system"))
        self.on_event("mem.pin", page=page.id, tokens=page.tokens)
        return page

    # -- page faults ---------------------------------------------------------------

    def recall_for(self, query: str, k: int = 3, threshold: float = 0.3, *, long_term: bool = True,
                   max_tokens: int | None = None) -> Page | None:
        """``page_fault``'s page alone."""
        return self.page_fault(query, k, threshold, long_term=long_term, max_tokens=max_tokens)[0]

    def page_fault(self, query: str, k: int = 3, threshold: float = 0.3, *, long_term: bool = True,
                   max_tokens: int | None = None) -> tuple[Page | None, list[Hit]]:
        """The kernel's page fault: find the evicted pages (and, with ``long_term``,
        granted long-term facts) most relevant to ``query`` and page them back in as
        one ``recall`` page, replacing the previous one.  Hits already shown in the
        current recall page are not repeated by a *different* query; below
        ``threshold`` (cosine similarity) nothing is recalled.  Returns the page (or None) and the hits
        it paged in (the kernel taints the untrusted ones)."""
        names = self._visible() if long_term else [self.collection]
        hits = self._search(names, query, max(k * 2, k + 2), where={"kind": {"$ne": "scratch"}})
        chosen = best_hits(hits, k, threshold)
        budget = max_tokens if max_tokens is not None else max(1, self.context.limit // 4)
        page = recall_page(chosen, budget, self.context.measure) if chosen else None
        if page is None:
            self.on_event("mem.fault", query=query[:200], hits=0)
            return None, []
        return self.context.put_recall(page, query=query, hits=len(page.refs)), [h for h in chosen if h.id in page.refs]

    # -- mem.* syscalls ------------------------------------------------------------

    def mem_recall(self, query: str, k: int = 5, collection: str | None = None,
                   where: dict[str, Any] | None = None) -> list[Hit]:
        """Explicit recall: the ``k`` nearest items, from one granted collection or
        (``collection=None``) from the own and every granted one together."""
        names = self._visible() if collection is None else [self._resolve(collection)]
        hits = sorted(self._search(names, query, k, where), key=lambda h: h.distance)[:k]
        self.on_event("mem.recall_call", query=query[:200], k=k, hits=len(hits),
                      collections=names, ids=[h.id for h in hits])
        return hits

    def mem_store(self, text: str, kind: str = "fact", collection: str | None = None, *,
                  importance: float = 0.5, untrusted: bool = False, **meta: Any) -> tuple[str, str]:
        """Store a fact; returns ``(memory id, collection)``."""
        name = self._resolve(collection)
        item = Item(new_mem_id(), text, {**self._meta(), **_scalars(meta), "kind": kind, "time": self.clock(),
                                          "importance": float(importance), "untrusted": bool(untrusted)})
        self.store.add(name, [item])
        self.on_event("mem.store", id=item.id, collection=name, mem_kind=kind, chars=len(text))
        return item.id, name

    def mem_forget(self, id: str, collection: str | None = None, *, scrub: bool = True) -> bool:
        """Delete a memory for good (``scrub``: no stale bytes left in the database
        file either).  Without ``collection``, looks in the own and every granted
        collection (and nowhere else)."""
        names = self._visible() if collection is None else [self._resolve(collection)]
        for name in names:
            found = self.store.get(name, ids=[id])
            if not found:
                continue
            md = found[0].metadata
            if int(md.get("chunks", 1)) > 1 and md.get("page_id"):  # a long page: forget all its chunks
                n = self.store.delete(name, where={"page_id": md["page_id"]}, scrub=scrub)
            else:
                n = self.store.delete(name, ids=[id], scrub=scrub)
            self.on_event("mem.forget", id=id, collection=name, deleted=n)
            return True
        return False

    # -- long-term memory: the person's preferences --------------------------------

    def remember_preference(self, text: str, *, collection: str | None = None, **meta: Any) -> tuple[str, str]:
        """An explicit preference ("I prefer aisle seats") in the user's collection."""
        name = self._resolve(collection or user_collection(self.user))
        item = preference_item(text, user=self.user, base=self._meta(), now=self.clock(), **_scalars(meta))
        self.store.add(name, [item])
        self.on_event("mem.store", id=item.id, collection=name, mem_kind="preference", chars=len(text))
        return item.id, name

    def learn_choice(self, options: Sequence[str], chosen: str, evidence: str = "", *,
                     collection: str | None = None) -> tuple[str, str]:
        """Record that the person picked ``chosen`` among ``options``: a learned
        preference.  The same choice again strengthens the same memory (``times``)."""
        name = self._resolve(collection or user_collection(self.user))
        probe = choice_item(options, chosen, evidence, user=self.user, base=self._meta(), now=self.clock())
        old = self.store.get(name, ids=[probe.id])
        times = int(old[0].metadata.get("times", 1)) + 1 if old else 1
        item = choice_item(options, chosen, evidence, user=self.user, base=self._meta(), now=self.clock(),
                           times=times)
        self.store.add(name, [item])
        self.on_event("mem.learn", id=item.id, collection=name, chosen=chosen[:100], times=times)
        return item.id, name

    def preferences(self, query: str | None = None, k: int = 5, collection: str | None = None) -> list[Hit]:
        """The person's preferences (explicit and learned), nearest to ``query`` first."""
        name = self._resolve(collection or user_collection(self.user))
        where = {"kind": "preference"}
        if query:
            hits: list[Hit] = self.store.query(name, query, k, where=where)
            return hits
        return [Hit(it.id, it.text, it.metadata, 0.0, name) for it in self.store.get(name, where=where, limit=k)]

    # -- swap ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        return self.context.to_bytes()

    # -- internals -----------------------------------------------------------------

    def _resolve(self, name: str | None) -> str:
        try:
            return self.grants.resolve(name)
        except MemoryDenied:
            self.on_event("mem.denied", collection=str(name)[:200], app=self.app)
            raise

    def _visible(self) -> list[str]:
        return self.grants.visible(self.store.list_collections())

    def _search(self, names: Sequence[str], query: str, k: int, where: dict[str, Any] | None) -> list[Hit]:
        swap = self.context.swap
        if swap is not None and swap.pending and swap.collection in names:
            swap.flush()  # pages that waited in RAM while the store was away become searchable
        hits: list[Hit] = []
        for name in names:
            hits.extend(self.store.query(name, query, k, where=where))
        return hits

    def _meta(self) -> dict[str, Any]:
        return {"pid": self.pid, "app": self.app, "user": self.user}


def _scalars(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))}
