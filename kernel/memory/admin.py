"""MemoryAdmin: the person's view of long-term memory (``llmos mem store/search/list/forget``)."""
from __future__ import annotations

import time
from typing import Any, Callable

from drivers.vectors import Hit, Item
from kernel.memory.grants import app_collection, user_collection
from kernel.memory.prefs import preference_item
from kernel.memory.swap import new_mem_id


def long_term(name: str) -> bool:
    """User and app collections outlive processes; ``proc:`` ones are a process's swap."""
    return name.startswith(("user:", "app:"))


class MemoryAdmin:
    """What the person may do from the CLI and the shell: they own every long-term
    collection (``user:*``, ``app:*``), never a process's swap (``proc:*``).  Blocking:
    the kernel runs these calls in worker threads."""

    def __init__(self, store: Any, *, default_user: str, clock: Callable[[], float] = time.time):
        self.store = store
        self.user = default_user
        self.clock = clock

    def target(self, user: str | None = None, app: str | None = None) -> str:
        if user and app:
            raise ValueError("name a user or an app, not both")
        return app_collection(app) if app else user_collection(user or self.user)

    def put(self, text: str, *, user: str | None = None, app: str | None = None, kind: str = "fact") -> tuple[str, str]:
        """Store ``text``; a ``preference`` goes in as the person's explicit preference."""
        if not text.strip():
            raise ValueError("nothing to store: the text is empty")
        name = self.target(user, app)
        base: dict[str, Any] = {"app": app or "", "pid": 0}
        if kind == "preference":
            item = preference_item(text, user=user or self.user, base=base, now=self.clock(), stored_by="person")
        else:
            item = Item(new_mem_id(), text, {**base, "user": user or self.user, "kind": kind, "time": self.clock(),
                                             "importance": 0.5, "source": "person", "untrusted": False})
        self.store.add(name, [item])
        return item.id, name

    def collections(self, user: str | None = None, app: str | None = None) -> list[str]:
        if user or app:
            name = self.target(user, app)
            return [name] if name in self.store.list_collections() else []
        return [n for n in self.store.list_collections() if long_term(n)]

    def search(self, query: str, *, user: str | None = None, app: str | None = None, k: int = 5) -> list[Hit]:
        hits: list[Hit] = []
        for name in self.collections(user, app):
            hits.extend(self.store.query(name, query, k))
        return sorted(hits, key=lambda h: h.distance)[:k]

    def list(self, *, user: str | None = None, app: str | None = None, limit: int = 100) -> list[tuple[str, Item]]:
        """Items of the long-term collections (or the one named), newest first."""
        out: list[tuple[str, Item]] = []
        for name in self.collections(user, app):
            out.extend((name, it) for it in self.store.get(name))
        out.sort(key=lambda t: -float(t[1].metadata.get("time", 0) or 0))
        return out[:limit]

    def counts(self) -> dict[str, int]:
        return {n: self.store.count(n) for n in self.collections()}

    def drop_user(self, user: str) -> bool:
        """Delete the user's collection and everything in it; False if there was none."""
        return bool(self.store.drop(user_collection(user)))

    def forget(self, mem_id: str) -> str | None:
        """Delete ``mem_id`` for good from whichever long-term collection holds it."""
        for name in self.collections():
            if self.store.get(name, ids=[mem_id]):
                self.store.delete(name, ids=[mem_id], scrub=True)
                return name
        return None
