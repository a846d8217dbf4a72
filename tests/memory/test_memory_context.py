"""Context: the budget is never exceeded, eviction follows the policy, pinned pages stay, stubs remain."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memhelpers import words

from drivers.errors import DriverError
from drivers.vectors import MemoryVectorStore
from kernel.memory import Context, ContextFull, Page, Scored, Swap


def ctx_with_disk(limit, policy="oldest", events=None, overhead=0):
    store = MemoryVectorStore()
    swap = Swap(store, "proc:k:1", {"pid": 1, "app": "t", "user": "u"})
    return Context(limit, words, swap=swap, policy=policy, on_event=events, page_overhead=overhead), store


def msg(n, size=5, **kw):
    return Page(text=" ".join([f"m{n}"] + ["w"] * (size - 1)), **kw)


def prompt_tokens(ctx):
    return sum(words(m["content"]) + ctx._s.page_overhead for m in ctx.pages_for_prompt())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(limit=st.integers(30, 400), overhead=st.integers(0, 4),
       pages=st.lists(st.tuples(st.integers(1, 120), st.sampled_from(["message", "observation", "scratch"]),
                                st.booleans(), st.floats(0, 1)), min_size=1, max_size=80),
       policy=st.sampled_from(["oldest", "scored"]))
def test_budget_is_never_exceeded(limit, overhead, pages, policy):
    ctx, store = ctx_with_disk(limit, policy, overhead=overhead)
    ctx.set_system("You are a careful agent.")
    written = 0
    for i, (size, kind, untrusted, imp) in enumerate(pages):
        ctx.add(Page(text=" ".join(["x"] * size), kind=kind, untrusted=untrusted, importance=imp,
                     role="tool" if kind == "observation" else "user"))
        assert ctx.used <= ctx.limit
        assert prompt_tokens(ctx) == ctx.used  # counted independently from what is sent
        assert ctx.pages[0].kind == "system"
        if i % 10 == 9:
            ctx.touch(ctx.pages[-1].id)
            ctx.pin(ctx.pages[-1].id) if ctx.used < limit // 3 else None
    written = store.count("proc:k:1")
    assert written >= ctx.stats()["evicted_pages"] >= 0
    assert sum(1 for p in ctx.pages if p.kind == "stub") <= 1  # stubs merge, they do not pile up


def test_oldest_first_with_a_stub_in_their_place(events):
    ctx, store = ctx_with_disk(30, events=events)
    ctx.set_system("sys prompt here")  # 3 tokens
    for n in range(5):
        ctx.add(msg(n))  # 25 tokens: fits
    assert [p.text.split()[0] for p in ctx.pages[1:]] == ["m0", "m1", "m2", "m3", "m4"]
    ctx.add(msg(5))
    kinds = [p.kind for p in ctx.pages]
    assert kinds[0] == "system" and kinds[1] == "stub"
    texts = [p.text.split()[0] for p in ctx.pages if p.kind == "message"]
    assert texts[-1] == "m5" and "m0" not in texts and "m1" not in texts  # the oldest went first
    stub = ctx.pages[1]
    assert stub.text.startswith("[paged out: ") and "message" in stub.text and "→ mem id" in stub.text
    assert store.get("proc:k:1", ids=stub.refs)[0].text.startswith("m0")
    ev = [f for k, f in events.log if k == "mem.evict"]
    assert ev and ev[0]["policy"] == "oldest" and ev[0]["mem_ids"] == stub.refs and ev[0]["written"] >= 2


def test_scratch_goes_first():
    ctx, _ = ctx_with_disk(70)
    ctx.add(msg(0, size=15))
    ctx.add(msg(1, size=15, kind="scratch"))
    ctx.add(msg(2, size=15))
    ctx.add(msg(3, size=15, kind="scratch"))
    ctx.add(msg(4, size=20))  # needs 10 tokens plus a stub: both scratch pages go, older messages stay
    left = [p.text.split()[0] for p in ctx.pages if p.kind != "stub"]
    assert left == ["m0", "m2", "m4"]
    assert "2 scratch notes" in next(p.text for p in ctx.pages if p.kind == "stub")


def test_pinned_and_system_never_leave():
    ctx, _ = ctx_with_disk(40)
    ctx.set_system("system words")
    pinned = ctx.add(Page(text="user prefers aisle seats", kind="pinned"))
    first = ctx.add(msg(0))
    ctx.pin(first.id)
    for n in range(1, 40):
        ctx.add(msg(n))
    ids = [p.id for p in ctx.pages]
    assert ctx.pages[0].kind == "system" and pinned.id in ids and first.id in ids
    with pytest.raises(ContextFull):
        ctx.add(Page(text=" ".join(["p"] * 40), kind="pinned"))
    assert pinned.id in [p.id for p in ctx.pages]


def test_scored_policy_keeps_important_and_used_pages(events):
    ctx, _ = ctx_with_disk(40, policy=Scored(half_life=4), events=events)
    keep = ctx.add(msg(0, importance=1.0))
    used = ctx.add(msg(1))
    for _ in range(5):
        ctx.touch(used.id)
    plain = ctx.add(msg(2))
    ctx.add(msg(3, kind="observation", role="tool"))
    obs_old = ctx.pages[-1].id
    for n in range(4, 10):
        ctx.add(msg(n))
    ids = [p.id for p in ctx.pages]
    assert keep.id in ids and used.id in ids
    assert plain.id not in ids and obs_old not in ids
    assert all(f["policy"] == "scored" for k, f in events.log if k == "mem.evict")


def test_oversized_page_is_truncated_and_kept_whole_on_disk(events):
    ctx, store = ctx_with_disk(50, events=events)
    ctx.set_system("system")
    huge = Page(text=" ".join(f"w{i}" for i in range(400)), kind="observation", role="tool", untrusted=True)
    page = ctx.add(huge)
    assert ctx.used <= 50 and page.text.startswith("w0 w1")
    assert "truncated" in page.text and page.refs
    stored = store.get("proc:k:1", where={"page_id": page.id})
    assert " ".join(i.text for i in sorted(stored, key=lambda i: i.metadata["chunk"])).count("w399") >= 1
    assert any(k == "mem.truncate" for k, _ in events.log)
    assert page.render().startswith("<untrusted") and page.render().endswith("</untrusted>")


def test_failed_write_leaves_the_context_unchanged():
    class BrokenStore(MemoryVectorStore):
        def add(self, *a, **k):
            raise DriverError("disk full", code="io")

    ctx = Context(20, words, swap=Swap(BrokenStore(), "proc:k:1"))
    for n in range(4):
        ctx.add(msg(n))
    before = [p.id for p in ctx.pages]
    with pytest.raises(DriverError):
        ctx.add(msg(9))
    assert [p.id for p in ctx.pages] == before and ctx.used == 20


def test_resize_and_evict_on_demand():
    ctx, _ = ctx_with_disk(100)
    for n in range(15):
        ctx.add(msg(n))
    assert ctx.used <= 100
    ctx.resize(40)
    assert ctx.used <= 40 and ctx.limit == 40
    freed = ctx.evict(30)
    assert freed > 0 and ctx.free >= 30
    ctx.resize(100)
    for n in range(15, 30):
        ctx.add(msg(n, size=3))
    free = ctx.free  # some of it free already: evict frees the rest, not just the difference
    assert 0 < free < 90 and ctx.evict(free + 10) >= 10 and ctx.free >= free + 10
    assert ctx.evict(5) == 0  # already free


def test_set_system_replaces_and_stays_first():
    ctx, _ = ctx_with_disk(100)
    ctx.add(msg(0))
    ctx.set_system("first prompt")
    ctx.set_system("second prompt")
    assert [p.kind for p in ctx.pages].count("system") == 1
    assert ctx.pages_for_prompt()[0] == {"role": "system", "content": "second prompt"}
