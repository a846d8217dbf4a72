"""Scheduling under load with the scripted model: no slot leaks, fair progress, priority inheritance."""
from __future__ import annotations

import random

import anyio
import pytest

from drivers.llm import ScriptedEngine

pytestmark = pytest.mark.anyio

CHAT = """
async def run(sys, task):
    r = await sys.llm.chat(task, max_tokens=500)
    return r.text
"""
PARENT = """
async def run(sys, task):
    child = await sys.proc.spawn("chat", "child work", priority=30)
    await sys.proc.wait(child)
    return "done"
"""


async def test_no_slot_leaks_after_1000_random_spawn_kill_stop_cont(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    n_slots = 3
    eng = ScriptedEngine(default=" ".join(["t"] * 12), n_slots=n_slots, token_delay=0.0005)
    rng = random.Random(9)
    async with kernel_factory(eng, policy="rr", quantum=3) as k:
        live: list[int] = []
        counts = {"spawn": 0, "kill": 0, "stop": 0, "cont": 0}
        for _ in range(1000):
            live = [pid for pid in live if k.ptable.live(pid)]
            op = rng.choice(["spawn", "spawn", "kill", "stop", "cont"]) if live else "spawn"
            if op == "spawn":
                live.append(await k.spawn("chat", f"task {rng.random()}"))
            else:
                pid = rng.choice(live)
                k.signal(pid, op.upper())
            counts[op] += 1
            assert k.sched.busy <= n_slots and eng.stats().busy_slots <= n_slots
            await anyio.sleep(rng.choice([0, 0, 0.001]))
        assert min(counts.values()) > 100
        await anyio.sleep(0.05)  # a stopped process leaves its slot at its next token
        stopped = [p.pid for p in k.ptable if p.alive and p.stop_requested]
        assert stopped and not set(stopped) & set(k.sched.running)
        for pid in stopped:
            k.signal(pid, "CONT")
        with anyio.fail_after(60):
            for p in list(k.ptable):
                await k.wait(p.pid)
        assert k.sched.busy == 0 and k.sched.queued == 0 and not k.sched.running
        assert eng.stats().busy_slots == 0
        assert all(not p.alive for p in k.ptable)


async def test_fair_share_keeps_every_ready_process_progressing(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    eng = ScriptedEngine(default=" ".join(["t"] * 40), n_slots=2, token_delay=0.001)
    async with kernel_factory(eng, policy="fair", quantum=4) as k:
        pids = [await k.spawn("chat", "same task") for _ in range(6)]
        first_done = await k.wait_any([k.ptable.get(p) for p in pids])
        progressed = {p: k.ptable.get(p).usage.tokens_out for p in pids}
        assert all(n > 0 for n in progressed.values()), progressed  # nobody waited for others to finish
        assert first_done.usage.tokens_out == 40
        late = await k.spawn("chat", "same task")  # a newcomer starts from the pack, not from zero
        for p in [*pids, late]:
            await k.wait(p)
        assert max(k.ptable.get(p).usage.tokens_out for p in pids) == 40


async def test_priority_inheritance_lends_the_waiters_priority_to_its_child(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    make_app("parent", code=PARENT)
    eng = ScriptedEngine(default=" ".join(["t"] * 10), n_slots=1, token_delay=0.002)
    async with kernel_factory(eng, policy="priority", quantum=1000) as k:
        blocker = await k.spawn("chat", "hold the slot", priority=5)
        while k.sched.busy == 0:
            await anyio.sleep(0.001)
        rival = await k.spawn("chat", "medium work", priority=10)
        parent = await k.spawn("parent", "", priority=0)
        while len(k.ptable.children(parent)) == 0 or k.sched.queued < 2:
            await anyio.sleep(0.001)
        child = k.ptable.children(parent)[0].pid
        assert k.sched.priority(k.ptable.get(child)) == 0  # lent by the waiting parent
        for pid in (blocker, rival, parent):
            await k.wait(pid)
        order = [p for p in k.sched.grants if p in (rival, child)]
        assert order == [child, rival]  # without inheritance the rival (10) would beat the child (30)
        assert k.sched.priority(k.ptable.get(child)) == 30  # the loan ends with the wait
