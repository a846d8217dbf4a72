"""Swap and resume in a running kernel: a STOPped process's context survives a kernel restart."""
from __future__ import annotations

import anyio
import pytest

from drivers.llm import ScriptedEngine

pytestmark = pytest.mark.anyio
FACT = "The spare key of the boathouse hangs behind the red life ring."

HOARDER = f'''
async def run(sys, task):
    await sys.mem.add({FACT!r})
    for i in range(40):
        await sys.mem.add(f"Entry {{i}}: the tide tables for week {{i}} list high water at {{i % 12}} o'clock.")
    await sys.proc.recv()  # hold still until someone sends a message
    return "done"
'''


async def hoard(k):
    pid = await k.spawn("hoarder")
    with anyio.fail_after(60):
        while k.ptable.get(pid).state.value != "SLEEPING":
            await anyio.sleep(0.05)
    return pid


async def test_a_stopped_context_is_restored_by_the_next_kernel(kernel_factory, make_app):
    make_app("hoarder", code=HOARDER, syscalls=("mem.*", "proc.*"))
    eng = ScriptedEngine(default="ok", n_ctx=1024, n_slots=4)
    async with kernel_factory(eng, subsystems=["memory"]) as k1:
        pid = await hoard(k1)
        other = await hoard(k1)  # not saved: its swap goes when it ends
        k1.signal(pid, "STOP")
        data = k1.memory.save(pid)
        before = [(p.id, p.kind, p.text, p.tokens) for p in k1.memory.get(pid).context.pages]
        assert any(p[1] == "stub" for p in before) and all(FACT != p[2] for p in before)
        kernel_id, own = k1.memory.kernel_id, k1.memory.get(pid).collection
        gone = k1.memory.get(other).collection
    async with kernel_factory(eng, subsystems=["memory"]) as k2:  # the same llmos home
        assert k2.memory.kernel_id == kernel_id
        collections = await k2.memory.run(k2.memory.store.list_collections)
        assert own in collections and gone not in collections
        pm = await k2.memory.restore(pid, data, app="hoarder", grants=[])
        assert [(p.id, p.kind, p.text, p.tokens) for p in pm.context.pages] == before
        page = await k2.memory.run(pm.recall_for, "where is the boathouse key?", k=2, threshold=0.3)
        assert page is not None and FACT in page.text  # paged out before the restart, found after it
        assert pm.context.used <= pm.context.limit
        assert await k2.memory.reap([pid]) == []  # the restored one stays
        assert await k2.memory.reap([]) == [own]


async def test_save_of_an_unknown_pid_is_a_clear_error(kernel_factory):
    async with kernel_factory(ScriptedEngine(default="ok"), subsystems=["memory"]) as k:
        with pytest.raises(KeyError, match="no memory for pid 99"):
            k.memory.save(99)
