"""Processes preempted mid-generation on the real model resume from saved KV and produce the same tokens."""
from __future__ import annotations

import anyio
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


SYSTEM = "You are the travel desk of a small company. " + " ".join(
    f"Rule {i}: check the traveller's budget, dates and seat preference before you book anything." for i in range(8))
SHARED = f"SYSTEM = {SYSTEM!r}\n" + """
async def run(sys, task):
    r = await sys.llm.chat([{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}],
                           max_tokens=int(task.split()[-1]))
    return r.text
"""


async def test_processes_of_one_app_reuse_its_system_prompt(model_path, kernel_factory, make_app):
    """The kernel's prompts start with the app's system prompt token for token, so the second
    process gets it from the first one's slot (copied while that one still generates)."""
    make_app("desk", code=SHARED, syscalls=("llm.*",))
    eng = LlamaEngine(model_path, n_slots=2, n_ctx=2048)
    async with kernel_factory(eng, policy="fair") as k:
        first = await k.spawn("desk", "Write a long story about a trip to Oslo, 60")
        while not k.ptable.get(first).usage.tokens_out:
            await anyio.sleep(0.01)
        second = await k.spawn("desk", "Which seat do I prefer? 4")
        for pid in (first, second):
            p = await k.wait(pid, timeout=120)
            assert p.exit_reason == "exited", p.error
        resp = [e for e in k.events.for_pid(second) if e["kind"] == "llm.response"]
        n_system = len(eng.apply_template([Message("system", SYSTEM)])) - 3  # less the assistant opener
        assert n_system > 100 and resp and resp[0]["cached_tokens"] >= n_system
        assert eng.stats().prefix_copies >= 1
