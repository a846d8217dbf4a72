"""Shared prompt prefixes on the real model: copied from a busy slot, they continue exactly like a fresh prefill."""
from __future__ import annotations

import anyio
import pytest

from drivers.llm import GenRequest, LlamaEngine, Message

pytestmark = pytest.mark.anyio

SYSTEM = Message("system", "You are the travel desk of a small company. " + " ".join(
    f"Rule {i}: check the traveller's budget, dates and seat preference before you book anything."
    for i in range(1, 9)))


async def test_copied_prefix_continues_like_a_fresh_prefill(model_path):
    """The copy is bit-for-bit the source's KV.  llama.cpp's numbers depend slightly on how a batch is
    composed (a chunk of 10 rows takes another matmul path than one of 180), so the question asked
    has clear greedy margins: with a near tie ("List three colors." has its top two logits 0.1
    apart) even an uncopied prompt batched beside another sequence can flip its first token."""
    q1 = [SYSTEM, Message("user", "Write a long story about a dragon who books a flight.")]
    q2 = [SYSTEM, Message("user", "Repeat after me, word for word: red, green, blue, yellow, purple.")]
    async with LlamaEngine(model_path, n_slots=2, n_ctx=2048) as eng:
        n_system = len(eng.apply_template([SYSTEM]))
        assert n_system > 100
        fresh = await eng.generate(GenRequest(messages=q2, max_tokens=8))
        assert fresh.cached_tokens == 0 and fresh.tokens
        async with anyio.create_task_group() as tg:  # both slots now hold prompts that share nothing with q2
            for i in range(2):
                tg.start_soon(eng.generate, GenRequest(messages=[Message("user", f"Count to {i + 3}.")],
                                                       max_tokens=2))
        long = eng.submit(GenRequest(messages=q1, max_tokens=200))
        it = long.__aiter__()
        await it.__anext__()  # its slot now holds the system prompt and is busy generating
        before = eng.stats()
        hit = await eng.generate(GenRequest(messages=q2, max_tokens=8))
        after = eng.stats()
        long.cancel()
        assert after.prefix_copies == before.prefix_copies + 1
        assert hit.cached_tokens >= n_system - 2  # the system prompt came from the busy slot, not a prefill
        assert hit.prompt_tokens <= len(hit.prompt) - n_system + 2
        # same continuation as the fresh prefill.  Only the first tokens are compared: ``hit`` decodes
        # in a batch beside ``long`` and ``fresh`` alone, and on an AVX2-only build that difference in
        # the matmul path alone (not the copy) flipped the fifth greedy token of this prompt
        assert hit.tokens[:4] == fresh.tokens[:4]


async def test_requests_arriving_together_compute_their_shared_prefix_once(model_path):
    """A manager's workers start at the same moment with one system prompt: the first prefills it,
    the others wait that one step and get it copied, instead of all four computing it."""
    qs = [[SYSTEM, Message("user", f"Name a city in country number {i}.")] for i in range(4)]
    async with LlamaEngine(model_path, n_slots=5, n_ctx=5120) as eng:
        n_system = len(eng.apply_template([SYSTEM]))
        busy = eng.submit(GenRequest(messages=[Message("user", "Count from one to a hundred.")], max_tokens=64))
        it = busy.__aiter__()
        await it.__anext__()  # the decode thread is now stepping: the four below reach it together
        before = eng.stats()
        gens = [eng.submit(GenRequest(messages=q, max_tokens=4)) for q in qs]
        for g in gens:
            async for _ in g:
                pass
        after = eng.stats()
        busy.cancel()
    results = [g.result for g in gens]
    assert after.prefix_copies - before.prefix_copies == 3
    assert sorted(r.cached_tokens >= n_system - 2 for r in results) == [False, True, True, True]
    prefilled = sum(r.prompt_tokens for r in results)
    assert prefilled < len(results[0].prompt) + 3 * (len(results[0].prompt) - n_system + 8)
    assert all(r.tokens and r.finish_reason in ("stop", "length") for r in results)
