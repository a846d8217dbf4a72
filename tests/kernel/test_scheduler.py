"""Scheduler policies: the order slots are granted is observable with the scripted model."""
import anyio
import pytest

from drivers.llm import ScriptedEngine

pytestmark = pytest.mark.anyio

CHAT = """
async def run(sys, task):
    r = await sys.llm.chat(task, max_tokens=500)
    return r.text
"""


async def _order(kernel_factory, make_app, policy, tasks, priorities=None, quantum=64):
    make_app("chat", code=CHAT)
    eng = ScriptedEngine(default=" ".join(["tok"] * 10), n_slots=1, token_delay=0.002)
    async with kernel_factory(eng, policy=policy, quantum=quantum) as k:
        blocker = await k.spawn("chat", "hold the slot")
        while k.sched.busy == 0:
            await anyio.sleep(0.001)
        pids = [await k.spawn("chat", t, priority=(priorities[i] if priorities else None))
                for i, t in enumerate(tasks)]
        while k.sched.queued < len(tasks):
            await anyio.sleep(0.001)
        for pid in [blocker, *pids]:
            await k.wait(pid)
        assert all(k.ptable.get(p).result == " ".join(["tok"] * 10) for p in pids)
        order = [p for p in k.sched.grants if p in pids]
        return pids, order, k.sched


async def test_fifo_serves_in_arrival_order(kernel_factory, make_app):
    pids, order, _ = await _order(kernel_factory, make_app, "fifo", ["a " * 50, "b", "c " * 10])
    assert order == pids


async def test_priority_serves_lowest_number_first(kernel_factory, make_app):
    pids, order, _ = await _order(kernel_factory, make_app, "priority", ["a", "b", "c"], priorities=[30, 5, 10])
    assert order == [pids[1], pids[2], pids[0]]


async def test_fair_share_serves_least_tokens_first(kernel_factory, make_app):
    # prompt tokens count as consumption: the longest task has used the most
    pids, order, _ = await _order(kernel_factory, make_app, "fair", ["a " * 80, "b", "c " * 20])
    assert order == [pids[1], pids[2], pids[0]]


async def test_round_robin_preempts_after_the_quantum_and_output_is_whole(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    reply = " ".join(f"w{i}" for i in range(40))
    eng = ScriptedEngine(default=reply, n_slots=1, token_delay=0.001)
    async with kernel_factory(eng, policy="rr", quantum=5) as k:
        a = await k.spawn("chat", "a")
        b = await k.spawn("chat", "b")
        pa, pb = await k.wait(a), await k.wait(b)
        assert pa.result == reply and pb.result == reply  # preemption lost nothing
        assert k.sched.preemptions >= 4
        grants = [p for p in k.sched.grants if p in (a, b)]
        assert grants[:4] == [a, b, a, b]  # they took turns
        assert pa.usage.tokens_out == 40


async def test_fifo_never_preempts(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    eng = ScriptedEngine(default=" ".join(["x"] * 30), n_slots=1, token_delay=0.001)
    async with kernel_factory(eng, policy="fifo", quantum=5) as k:
        a, b = await k.spawn("chat", "a"), await k.spawn("chat", "b")
        await k.wait(a), await k.wait(b)
        assert k.sched.preemptions == 0
        assert [p for p in k.sched.grants if p in (a, b)] == [a, b]


async def test_unknown_policy_is_a_clear_error(kernel_factory):
    with pytest.raises(ValueError, match="unknown scheduler policy"):
        async with kernel_factory(policy="lottery"):
            pass
