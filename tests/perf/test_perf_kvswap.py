"""KV swap on the real model: preempted sequences saved to memory or disk come back exact; lost ones re-prefill."""
from __future__ import annotations

import anyio
import pytest

from drivers.llm import GenRequest, LlamaEngine, Message

pytestmark = pytest.mark.anyio

STORIES = [[Message("user", s)] for s in ("Write a long story about a lighthouse keeper and a whale.",
                                           "Describe, in great detail, a bakery on the moon.",
                                           "Explain how a fox could learn to sail across a lake.")]
N = 16  # tokens a request: short, so the whole module stays a few seconds of decode


@pytest.fixture
async def swap_engine(model_path, tmp_path):
    """Two slots, no host memory for saved states (every save goes to disk), a swap folder."""
    swap = tmp_path / "swap"
    async with LlamaEngine(model_path, n_slots=2, n_ctx=1024, kv_store_bytes=1, kv_swap_dir=str(swap)) as eng:
        yield eng, swap
    assert not list(swap.iterdir())  # close removes what it spilled


async def _preempt_after(eng: LlamaEngine, msgs: list[Message], n: int):
    gen = eng.submit(GenRequest(messages=msgs, max_tokens=N))
    seen = 0
    async for _ in gen:
        seen += 1
        if seen == n:
            gen.cancel("preempted")
    assert gen.result.finish_reason == "preempted"
    return gen.result


async def _evict_parked(eng: LlamaEngine) -> None:
    """As many unrelated requests as there are slots, at once: every parked slot must be taken."""
    async with anyio.create_task_group() as tg:
        for i in range(eng.n_slots):
            tg.start_soon(eng.generate, GenRequest(messages=[Message("user", f"Say a number ({i}).")],
                                                   max_tokens=4))


async def test_states_swapped_to_disk_under_memory_pressure_resume_exactly(swap_engine):
    eng, swap = swap_engine
    stories = STORIES[:2]
    refs = [await eng.generate(GenRequest(messages=m, max_tokens=N)) for m in stories]
    assert all(r.finish_reason == "length" and len(r.tokens) == N for r in refs)
    parts = [await _preempt_after(eng, m, 6 + i) for i, m in enumerate(stories)]
    await _evict_parked(eng)
    kv = eng.kv_store_stats()
    assert kv["spills"] >= 2 and kv["bytes"] == 0  # no memory budget: every saved state is a file
    assert kv["disk_bytes"] > 0 and len(list(swap.iterdir())) == kv["entries"] >= 2
    before = eng.stats()
    for msgs, part, ref in zip(stories, parts, refs):
        cont = await eng.generate(GenRequest(messages=msgs, max_tokens=N, generated=part.tokens))
        assert cont.tokens == ref.tokens  # same greedy tokens as the uninterrupted run
        assert cont.cached_tokens >= len(cont.prompt)  # nothing of the prompt was computed again
    after, kv2 = eng.stats(), eng.kv_store_stats()
    assert kv2["disk_restores"] - kv["disk_restores"] == 2
    assert after.resumes - before.resumes == 2 and after.reprefills == before.reprefills


async def test_a_lost_state_is_re_prefilled_and_counted(swap_engine):
    eng, swap = swap_engine
    msgs = STORIES[0]
    ref = await eng.generate(GenRequest(messages=msgs, max_tokens=N))
    part = await _preempt_after(eng, msgs, 7)
    await _evict_parked(eng)
    files = list(swap.iterdir())
    assert files
    for f in files:  # the disk lost them
        f.unlink()
    before = eng.stats()
    cont = await eng.generate(GenRequest(messages=msgs, max_tokens=N, generated=part.tokens))
    after = eng.stats()
    assert cont.tokens == ref.tokens  # the fallback is slower, not different
    assert after.reprefills == before.reprefills + 1 and after.reprefill_tokens > before.reprefill_tokens
    assert eng.kv_store_stats()["lost"] >= 1


async def test_memory_pool_keeps_states_within_its_budget(model_path):
    """With host memory for one state only and no disk, the older state is dropped, never overdrawn."""
    async with LlamaEngine(model_path, n_slots=2, n_ctx=1024, kv_store_bytes=3 << 19) as eng:  # about one state's size
        parts = [await _preempt_after(eng, m, 7) for m in STORIES[1:]]
        await _evict_parked(eng)
        kv = eng.kv_store_stats()
        assert kv["saves"] == 2 and kv["bytes"] <= 3 << 19 and kv["entries"] == 1 and kv["dropped"] == 1
        assert kv["disk_bytes"] == 0
        before = eng.stats()
        for msgs, part in zip(STORIES[1:], parts):
            await eng.generate(GenRequest(messages=msgs, max_tokens=N, generated=part.tokens))
        after = eng.stats()
        assert after.resumes - before.resumes == 1 and after.reprefills - before.reprefills == 1
