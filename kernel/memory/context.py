"""Context: a process's RAM, ordered pages under a token budget, evicting to swap when full."""
from __future__ import annotations

import threading
from typing import Callable, Sequence

import msgspec

from kernel.memory.fit import longest_prefix
from kernel.memory.page import CACHED_KINDS, Page
from kernel.memory.policy import Policy, make_policy
from kernel.memory.state import VERSION, ContextFull, ContextState
from kernel.memory.swap import Swap, make_stub, new_mem_id

CountTokens = Callable[[str], int]
OnEvent = Callable[..., None]


class Context:
    """Ordered pages (system prompt first) whose tokens never exceed ``limit``.

    ``count_tokens`` is the model's tokenizer (the kernel passes the real one);
    ``page_overhead`` is what the chat template adds per message.  When a page
    would overflow, the policy picks victims; they are written through ``swap``
    (if any) *before* the context changes, so a failed write leaves it as it was,
    and one stub page replaces them.  ``on_event(kind, **fields)`` hears
    ``mem.evict``, ``mem.truncate``, ``mem.recall`` and ``mem.pin``.  Thread-safe."""

    def __init__(self, limit: int, count_tokens: CountTokens, *, swap: Swap | None = None,
                 policy: str | Policy = "oldest", on_event: OnEvent | None = None, page_overhead: int = 0,
                 stub_role: str = "system"):
        if limit <= 0:
            raise ValueError("limit must be positive")
        self.count_tokens = count_tokens
        self.swap = swap
        self.policy = make_policy(policy) if isinstance(policy, str) else policy
        self.on_event = on_event or (lambda kind, **f: None)
        self.stub_role = stub_role
        self._lock = threading.RLock()
        self._s = ContextState(limit=limit, policy=self.policy.name, policy_params=self.policy.params(),
                               page_overhead=page_overhead, collection=swap.collection if swap else "")

    # -- numbers -------------------------------------------------------------------

    @property
    def limit(self) -> int:
        return self._s.limit

    @property
    def used(self) -> int:
        with self._lock:
            return sum(p.tokens for p in self._s.pages)

    @property
    def free(self) -> int:
        return self.limit - self.used

    @property
    def step(self) -> int:
        return self._s.step

    @property
    def pages(self) -> list[Page]:
        """A snapshot of the pages, in prompt order."""
        with self._lock:
            return list(self._s.pages)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"used": self.used, "limit": self.limit, "pages": len(self._s.pages),
                    "evicted_pages": self._s.evicted_pages, "evicted_tokens": self._s.evicted_tokens,
                    "faults": self._s.faults}

    def measure(self, page: Page) -> int:
        return self.count_tokens(page.render()) + self._s.page_overhead

    # -- adding --------------------------------------------------------------------

    def add(self, page: Page) -> Page:
        """Append a page, evicting others first if it would overflow.  A page bigger
        than everything evictable is truncated (its full text goes to swap first);
        a pinned page that cannot fit raises :class:`ContextFull`."""
        with self._lock:
            if page.kind == "system" and any(p.kind == "system" for p in self._s.pages):
                raise ValueError("the context already has a system page; use set_system")
            self._s.step += 1
            page.step = self._s.step
            page.tokens = self.measure(page)
            if not self._make_room(page.tokens):
                if not page.evictable:
                    raise ContextFull(f"{page.kind} page of {page.tokens} tokens does not fit: "
                                      f"{self.used} of {self.limit} used by pages that stay")
                floor = self.measure(Page(text="", kind=page.kind, untrusted=page.untrusted, source=page.source))
                self._make_room(page.tokens, evict_all=floor)  # then cut the page to what is left
                if not self._truncate(page, self.limit - self.used):
                    raise ContextFull(f"no room at all: {self.used} of {self.limit} used by pages that stay")
            if page.kind == "system":
                self._s.pages.insert(0, page)
            else:
                self._s.pages.append(page)
            assert self.used <= self.limit
            return page

    def set_system(self, text: str) -> Page:
        """Set (or replace) the system prompt, always the first page."""
        with self._lock:
            old = [p for p in self._s.pages if p.kind == "system"]
            for p in old:
                self._s.pages.remove(p)
            try:
                return self.add(Page(text=text, kind="system", role="system"))
            except ContextFull:
                self._s.pages[0:0] = old
                raise

    def remove(self, page_id: str) -> Page | None:
        """Take a page out without writing it anywhere (the kernel's undo)."""
        with self._lock:
            for i, p in enumerate(self._s.pages):
                if p.id == page_id:
                    return self._s.pages.pop(i)
            return None

    def get(self, page_id: str) -> Page | None:
        with self._lock:
            return next((p for p in self._s.pages if p.id == page_id), None)

    def touch(self, page_id: str, importance: float | None = None) -> bool:
        """Note that a page was used (the scored policy keeps used pages longer)."""
        with self._lock:
            page = self.get(page_id)
            if page is None:
                return False
            page.uses += 1
            if importance is not None:
                page.importance = float(importance)
            return True

    def pin(self, page_id: str) -> bool:
        """Pin a page in place: it is never evicted."""
        with self._lock:
            page = self.get(page_id)
            if page is None or page.kind in ("stub", "recall"):
                return False
            page.pinned = True
            self.on_event("mem.pin", page=page.id, tokens=page.tokens)
            return True

    def unpin(self, page_id: str) -> bool:
        with self._lock:
            page = self.get(page_id)
            if page is None or page.kind in ("system", "pinned"):
                return False
            page.pinned = False
            return True

    def resize(self, limit: int) -> None:
        """Change the budget (the kernel re-shares ``n_ctx``); evicts down to it."""
        with self._lock:
            if limit <= 0:
                raise ValueError("limit must be positive")
            kept = sum(p.tokens for p in self._s.pages if not p.evictable)
            if kept > limit:
                raise ContextFull(f"pinned pages need {kept} tokens, more than {limit}")
            self._s.limit = limit
            self._make_room(0)

    def evict(self, tokens: int) -> int:
        """Page out until at least ``tokens`` of the budget are free (if that many can be);
        returns the tokens freed (0 if they were free already or cannot be)."""
        with self._lock:
            before = self.used
            if tokens > self.free:
                self._make_room(tokens)
            return before - self.used

    # -- recall pages --------------------------------------------------------------

    def put_recall(self, page: Page | None, *, query: str = "", hits: int = 0) -> Page | None:
        """Replace the recall page (at most one lives in the context) with ``page``."""
        with self._lock:
            self._s.pages = [p for p in self._s.pages if p.kind != "recall"]
            if page is None:
                return None
            self._s.faults += 1
            added = self.add(page)
            self.on_event("mem.recall", query=query[:200], hits=hits, tokens=added.tokens, page=added.id,
                          refs=list(added.refs))
            return added

    # -- the prompt ----------------------------------------------------------------

    def pages_for_prompt(self) -> list[dict[str, str]]:
        """The messages to send, in order; their tokens never exceed ``limit``."""
        with self._lock:
            return [{"role": p.role, "content": p.render()} for p in self._s.pages]

    # -- swap ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        with self._lock:
            self._s.pending = list(self.swap.pending) if self.swap else []
            return msgspec.msgpack.encode(self._s)

    @classmethod
    def from_bytes(cls, data: bytes, count_tokens: CountTokens, *, swap: Swap | None = None,
                   on_event: OnEvent | None = None, stub_role: str = "system") -> "Context":
        state = msgspec.msgpack.decode(data, type=ContextState)
        if state.version != VERSION:
            raise ValueError(f"context format {state.version} is not {VERSION}")
        ctx = cls(state.limit, count_tokens, swap=swap, policy=make_policy(state.policy, **state.policy_params),
                  on_event=on_event, page_overhead=state.page_overhead, stub_role=stub_role)
        ctx._s = state
        if swap is not None:
            state.collection = swap.collection
            swap.pending = list(state.pending)  # written at the next page-out or search that reaches the store
        return ctx

    # -- internals -----------------------------------------------------------------

    def _make_room(self, incoming: int, *, evict_all: int | None = None) -> bool:
        """Evict until ``incoming`` more tokens fit; False (and nothing changed) if they cannot.
        With ``evict_all=floor``, a shortfall still evicts everything evictable, keeping a
        stub only if ``floor`` tokens stay free beside it."""
        used = self.used
        if used + incoming <= self.limit:
            return True
        victims: list[Page] = []
        ids: list[str] = []  # memory ids are drawn up front so the stub is sized exactly
        freed = 0
        stubs = [p for p in self._s.pages if p.kind == "stub"]  # merged into the new stub: one stub at most
        order = stubs + self.policy.order([p for p in self._s.pages if p.evictable and p.kind != "stub"],
                                          self._s.step)
        for page in order:
            victims.append(page)
            if page.kind not in CACHED_KINDS:
                ids.append(new_mem_id())
            freed += page.tokens
            if used - freed + incoming > self.limit:
                continue
            stub = self._stub(victims, ids)
            if used - freed + stub.tokens + incoming <= self.limit:
                self._evict(victims, ids, stub)
                return True
        if not victims:
            return False
        if used - freed + incoming <= self.limit:  # fits only if even the stub goes
            self._evict(victims, ids, None)
            return True
        if evict_all is not None:
            stub = self._stub(victims, ids)
            self._evict(victims, ids, stub if used - freed + stub.tokens + evict_all <= self.limit else None)
        return False

    def _evict(self, victims: Sequence[Page], ids: list[str], stub: Page | None) -> None:
        to_disk = [p for p in victims if p.kind not in CACHED_KINDS]
        if self.swap and to_disk:
            self.swap.write(to_disk, ids)  # may raise: nothing has changed yet
        first = min(self._s.pages.index(p) for p in victims)
        gone = {p.id for p in victims}
        self._s.pages = [p for p in self._s.pages if p.id not in gone]
        if stub is not None:
            stub.step = self._s.step
            self._s.pages.insert(min(first, len(self._s.pages)), stub)
        tokens = sum(p.tokens for p in victims)
        self._s.evicted_pages += len(to_disk)
        self._s.evicted_tokens += sum(p.tokens for p in to_disk)
        self.on_event("mem.evict", pages=len(victims), written=len(to_disk) if self.swap else 0, tokens=tokens,
                      kinds=sorted({p.kind for p in victims}), mem_ids=ids if self.swap else [],
                      policy=self.policy.name, stub=stub.id if stub else "",
                      collection=self.swap.collection if self.swap else "",
                      pending=len(self.swap.pending) if self.swap else 0)

    def _stub(self, victims: Sequence[Page], ids: list[str]) -> Page:
        page = make_stub(victims, ids if self.swap else [], self.stub_role)
        page.tokens = self.measure(page)
        return page

    def _truncate(self, page: Page, room: int) -> bool:
        """Cut an evictable page to ``room`` tokens (its full text goes to swap first);
        False if not even an empty page fits."""
        if self.measure(Page(text="", kind=page.kind, untrusted=page.untrusted, source=page.source)) > room:
            return False
        ids = [new_mem_id()] if self.swap else []
        if self.swap:
            self.swap.write([page], ids)
        full = page.tokens
        marker = f"\n…[truncated: {full} tokens; full text paged out" + (f" → mem id {ids[0]}]" if ids else "]")
        text = page.text

        def fits(n: int) -> bool:
            page.text = text[:n] + marker
            return self.measure(page) <= room

        lo = longest_prefix(text, fits)
        page.text = text[:lo] + marker
        if self.measure(page) > room:  # not even the marker fits
            page.text = ""
        page.refs = ids
        page.tokens = self.measure(page)
        self.on_event("mem.truncate", page=page.id, tokens=full, kept=page.tokens, mem_ids=ids, role=page.role,
                      page_kind=page.kind, limit=self.limit)
        return True
