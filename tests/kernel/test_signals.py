"""Signals: KILL stops a generation at once and frees its slot, TERM interrupts, STOP releases the slot."""
import time

import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel import State

pytestmark = pytest.mark.anyio

LONG = " ".join(["word"] * 2000)
CHAT = """
async def run(sys, task):
    r = await sys.llm.chat(task, max_tokens=5000)
    return r.text
"""


async def _running(k, pid, tokens=3):
    with anyio.fail_after(10):
        while k.ptable.get(pid).usage.tokens_out < tokens:
            await anyio.sleep(0.005)


async def test_kill_during_generation_is_prompt_and_frees_the_slot(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    eng = ScriptedEngine(default=LONG, n_slots=1, token_delay=0.01)
    async with kernel_factory(eng) as k:
        pid = await k.spawn("chat", "go")
        await _running(k, pid)
        t0 = time.monotonic()
        k.signal(pid, "KILL")
        p = await k.wait(pid, timeout=5)
        assert time.monotonic() - t0 < 2
        assert p.state == State.KILLED and p.exit_reason == "killed" and p.exit_status == 137
        assert p.usage.tokens_out < 2000
        assert k.sched.busy == 0 and eng.stats().busy_slots == 0
        eng.default = "after"
        q = await k.spawn("chat", "next")  # the freed slot serves the next process
        assert (await k.wait(q, timeout=5)).result == "after"


async def test_term_interrupts_the_syscall_and_lets_the_app_clean_up(kernel_factory, make_app):
    make_app("tidy", code="""
from syscalls.errors import Terminated
async def run(sys, task):
    try:
        await sys.llm.chat(task, max_tokens=5000)
    except Terminated:
        return "cleaned up"
""")
    eng = ScriptedEngine(default=LONG, n_slots=1, token_delay=0.01)
    async with kernel_factory(eng) as k:
        pid = await k.spawn("tidy", "go")
        await _running(k, pid)
        k.signal(pid, "TERM")
        p = await k.wait(pid, timeout=5)
        assert p.result == "cleaned up" and p.exit_reason == "exited"


async def test_term_ignored_becomes_kill_after_grace(kernel_factory, make_app):
    make_app("stubborn", code="""
import anyio
async def run(sys, task):
    while True:
        try:
            await sys.proc.recv(timeout=None)
        except Exception:
            pass
""")
    async with kernel_factory(term_grace=0.3) as k:
        pid = await k.spawn("stubborn", "")
        await anyio.sleep(0.05)
        k.signal(pid, "TERM")
        p = await k.wait(pid, timeout=5)
        assert p.exit_reason == "terminated" and p.state == State.KILLED


async def test_stop_releases_the_slot_and_cont_resumes_exactly(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    reply = " ".join(f"t{i}" for i in range(60))
    eng = ScriptedEngine(default=reply, n_slots=1, token_delay=0.005)
    async with kernel_factory(eng) as k:
        pid = await k.spawn("chat", "a")
        await _running(k, pid, 5)
        k.signal(pid, "STOP")
        assert k.ptable.get(pid).state == State.STOPPED
        with anyio.fail_after(5):
            while k.sched.busy:
                await anyio.sleep(0.005)
        eng.default = "other"
        other = await k.spawn("chat", "b")  # the only slot is free for another process
        assert (await k.wait(other, timeout=5)).result == "other"
        done_before = k.ptable.get(pid).usage.tokens_out
        await anyio.sleep(0.05)
        assert k.ptable.get(pid).usage.tokens_out == done_before  # no progress while stopped
        eng.default = reply
        k.signal(pid, "CONT")
        p = await k.wait(pid, timeout=10)
        assert p.result == reply and p.usage.tokens_out == 60


async def test_killing_a_parent_kills_its_children_and_halt_kills_all(kernel_factory, make_app):
    make_app("waiter", code="""
async def run(sys, task):
    await sys.proc.recv()
""")
    make_app("parent", code="""
async def run(sys, task):
    child = await sys.proc.spawn("waiter", "")
    await sys.proc.wait(child)
""")
    async with kernel_factory() as k:
        parent = await k.spawn("parent", "")
        with anyio.fail_after(5):
            while not k.ptable.children(parent):
                await anyio.sleep(0.005)
        child = k.ptable.children(parent)[0]
        k.signal(parent, "KILL")
        await k.wait(parent, timeout=5)
        assert (await k.wait(child.pid, timeout=5)).state == State.KILLED
        others = [await k.spawn("waiter", "") for _ in range(3)]
        assert await k.halt() == 3
        assert all(k.ptable.get(p).state == State.KILLED for p in others)


async def test_signal_errors(kernel_factory):
    from syscalls.errors import NotFound
    async with kernel_factory() as k:
        with pytest.raises(NotFound):
            k.signal(999, "KILL")
        with pytest.raises(ValueError, match="unknown signal"):
            k.signal(1, "HUP")


async def test_state_changes_reach_the_event_stream_but_not_the_per_process_ring(kernel_factory, make_app):
    make_app("chat", code=CHAT)
    eng = ScriptedEngine(default=LONG, n_slots=1, token_delay=0.01)
    async with kernel_factory(eng) as k:
        seen = []
        k.events.subscribe(lambda ev: seen.append((ev["old"], ev["new"])) if ev["kind"] == "proc.state" else None)
        pid = await k.spawn("chat", "go")
        await _running(k, pid)
        k.signal(pid, "STOP")
        k.signal(pid, "CONT")
        k.signal(pid, "KILL")
        await k.wait(pid, 10)
    assert ("RUNNING", "STOPPED") in seen and ("STOPPED", "RUNNING") in seen and seen[-1][1] == "KILLED"
    assert not any(e["kind"] == "proc.state" for e in k.events.for_pid(pid))  # `logs` keeps the syscalls
