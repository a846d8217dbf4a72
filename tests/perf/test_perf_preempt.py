"""Processes preempted mid-generation on the real model resume from saved KV and produce the same tokens."""
from __future__ import annotations

import pytest

from drivers.llm import GenRequest, LlamaEngine, Message

pytestmark = pytest.mark.anyio

CODE = """
async def run(sys, task):
    r = await sys.llm.chat([{"role": "user", "content": task}], max_tokens=16, temperature=0.0)
    return r.text
"""
TASKS = ["Write a long story about a lighthouse keeper and a whale.",
         "Describe, in great detail, a bakery on the moon."]


async def test_round_robin_on_one_slot_swaps_kv_and_output_is_unchanged(model_path, kernel_factory, make_app):
    make_app("story", code=CODE, syscalls=("llm.*",))
    eng = LlamaEngine(model_path, n_slots=1, n_ctx=1024)
    await eng.start()
    refs = [await eng.generate(GenRequest(messages=[Message("user", t)], max_tokens=16)) for t in TASKS]
    async with kernel_factory(eng, policy="rr", quantum=4) as k:  # the kernel closes the engine at exit
        pids = [await k.spawn("story", t) for t in TASKS]
        procs = [await k.wait(pid, timeout=120) for pid in pids]
        assert [p.exit_reason for p in procs] == ["exited", "exited"], [p.error for p in procs]
        assert [p.result for p in procs] == [r.text for r in refs]  # uninterrupted greedy output
        st, kv = eng.stats(), eng.kv_store_stats()
        assert k.sched.preemptions >= 4  # they took turns on the one slot
        assert st.resumes >= 4 and kv["restores"] >= 3 and kv["saves"] >= 3
        assert st.reprefills == 0  # every resume came from saved KV, none from text
