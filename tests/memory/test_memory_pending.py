"""Page-outs while the store cannot be reached: pages wait in the swap (and in the journal), nothing is lost."""
from __future__ import annotations

import pytest
from memhelpers import words

from drivers.errors import DriverError
from drivers.vectors import MemoryVectorStore
from kernel.memory import MemoryRegistry, Page, swap


class Flaky(MemoryVectorStore):
    """The in-memory store, with a switch that makes every call fail as a Chroma server that is down does."""

    def __init__(self, code: str = "unavailable"):
        super().__init__()
        self.down, self.code, self.tries = False, code, 0

    def _check(self):
        self.tries += 1
        if self.down:
            raise DriverError("vector store http://127.0.0.1:9 unreachable: [Errno 111] Connection refused",
                              code=self.code)

    def add(self, *a, **kw):
        self._check()
        return super().add(*a, **kw)

    def query_many(self, *a, **kw):
        self._check()
        return super().query_many(*a, **kw)

    def list_collections(self):
        self._check()
        return super().list_collections()


def fill(pm, n, start=0):
    for i in range(start, start + n):
        pm.add(Page(text=f"turn {i}: " + ("the spare key is under the blue flowerpot" if i == 2 else
                                          f"small talk about topic {i}"), role="user"))


def test_page_outs_wait_while_the_store_is_down_and_are_recalled_after():
    store = Flaky()
    pm = MemoryRegistry(store, kernel_id="kP").open(3, app="a", user="u", limit=60, count_tokens=words)
    store.down = True
    fill(pm, 40)  # far more than fits: every eviction happens while the store is down
    assert pm.context.used <= pm.context.limit
    assert any("blue flowerpot" in it.text for it in pm.context.swap.pending)
    with pytest.raises(DriverError):
        pm.recall_for("where is the spare key?", k=1)
    store.down = False
    page = pm.recall_for("where is the spare key?", k=1, threshold=0.1, max_tokens=40)
    assert page is not None and "blue flowerpot" in page.text  # flushed before the search, then found
    assert pm.context.swap.pending == [] and store.count(pm.collection) >= 30


def test_pending_pages_ride_in_the_journal():
    store = Flaky()
    svc = MemoryRegistry(store, kernel_id="kP")
    pm = svc.open(4, app="a", user="u", limit=60, count_tokens=words)
    store.down = True
    fill(pm, 30)
    waiting = len(pm.context.swap.pending)
    assert waiting > 0
    journal = pm.to_bytes()
    store.down = False
    pm2 = MemoryRegistry(store, kernel_id="kP").resume(4, journal, app="a", user="u", count_tokens=words)
    assert len(pm2.context.swap.pending) == waiting
    fill(pm2, 5, start=100)  # the next page-out that reaches the store writes them first
    assert pm2.context.swap.pending == []
    assert any("blue flowerpot" in it.text for it in store.get(pm2.collection))


def test_past_the_cap_or_on_a_lasting_error_the_context_keeps_its_pages(monkeypatch):
    for code, cap in (("unavailable", 0), ("io", swap.PENDING_CHARS)):
        monkeypatch.setattr(swap, "PENDING_CHARS", cap)
        store = Flaky(code)
        pm = MemoryRegistry(store, kernel_id="kP").open(5, app="a", user="u", limit=60, count_tokens=words)
        fill(pm, 4)
        store.down = True
        before = pm.context.pages_for_prompt()
        with pytest.raises(DriverError) as e:
            fill(pm, 40, start=10)
        assert e.value.code == code
        kept = pm.context.pages_for_prompt()
        assert kept[:len(before)] == before  # nothing was dropped to make room
        assert pm.context.swap.pending == []


def test_a_store_that_failed_is_not_tried_again_at_every_page_out(monkeypatch):
    """A server that hangs costs its timeout per try: page-outs right after a failure go straight to pending."""
    store = Flaky()
    pm = MemoryRegistry(store, kernel_id="kP").open(6, app="a", user="u", limit=60, count_tokens=words)
    store.down = True
    fill(pm, 40)
    assert len(pm.context.swap.pending) > 20 and store.tries == 1  # one failed write, then none for RETRY_AFTER
    monkeypatch.setattr(swap.time, "monotonic", lambda: 1e12)  # long after: the next page-out tries again
    store.down = False
    fill(pm, 5, start=100)
    assert pm.context.swap.pending == [] and store.tries > 1
    assert store.count(pm.collection) == pm.context.stats()["evicted_pages"]  # every page paged out is there
