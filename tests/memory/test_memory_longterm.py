"""Long-term memory in a running kernel: mem.* syscalls, grants per app, and preferences across processes."""
from __future__ import annotations

import pytest
from kernelmem import prompt_text

from drivers.llm import ScriptedEngine

pytestmark = pytest.mark.anyio

MEMAPP = '''
from syscalls.errors import SyscallError

async def run(sys, task):
    op, _, arg = task.partition(" ")
    if op == "store":
        s = await sys.mem.store(arg, kind="fact", collection="app")
        return s.collection + " " + s.id
    if op == "prefer":
        try:
            return (await sys.mem.store(arg, kind="preference")).collection
        except SyscallError as exc:
            return exc.code
    if op == "recall":
        hits = await sys.mem.recall(arg, k=3)
        return " | ".join(f"{h.collection}:{h.text}" for h in hits)
    if op == "peek":  # name another app's collection outright
        try:
            await sys.mem.recall("anything", collection=arg)
        except SyscallError as exc:
            return exc.code
        return "read it"
    if op == "forget":
        try:
            await sys.mem.forget(arg)
        except SyscallError as exc:
            return exc.code
        return "forgotten"
    if op == "choose":  # the person picked ``arg`` among the seats this app offered, twice
        for _ in range(2):
            s = await sys.mem.learn(["window seat", "aisle seat", "middle seat"], arg, evidence="flight LIS-OSL")
        try:
            await sys.mem.learn(["tea", "coffee"], "juice")
        except SyscallError as exc:
            return s.collection + " " + s.id + " " + exc.code
    if op == "pin":
        await sys.mem.pin(arg)
        added = await sys.mem.add("x " * 3000)  # far bigger than the context: cut, never over
        return f"{added.used}/{added.limit}"
'''


def memapp(make_app, name, memory):
    folder = make_app(name, code=MEMAPP, syscalls=("mem.*",))
    toml = (folder / "app.toml").read_text().replace("[permissions]\n", f"[permissions]\nmemory = {memory}\n")
    (folder / "app.toml").write_text(toml)


async def run(k, app, task):
    proc = await k.wait(await k.spawn(app, task), timeout=60)
    assert proc.exit_reason == "exited", proc.error
    return proc.result


async def test_mem_syscalls_and_per_app_isolation(kernel_factory, make_app):
    memapp(make_app, "alpha", '["app:alpha"]')
    memapp(make_app, "beta", '["app:beta"]')
    async with kernel_factory(ScriptedEngine(default="ok", n_ctx=2048, n_slots=2), subsystems=["memory"]) as k:
        name, mid = (await run(k, "alpha", "store The vault code is Nightjar-7.")).split()
        assert name == "app:alpha"
        assert "app:alpha:The vault code is Nightjar-7." in await run(k, "alpha", "recall vault code")
        assert "Nightjar" not in await run(k, "beta", "recall vault code")  # not even in the results
        assert await run(k, "beta", "peek app:alpha") == "permission"  # guessing the name is denied
        assert await run(k, "beta", f"peek proc:{k.memory.kernel_id}:1") == "permission"  # so is another's swap
        assert await run(k, "beta", f"forget {mid}") == "not_found"  # cannot see it, cannot delete it
        assert await run(k, "beta", "prefer I like jazz") == "permission"  # no user:* grant
        assert await run(k, "alpha", f"forget {mid}") == "forgotten"
        assert "Nightjar" not in await run(k, "alpha", "recall vault code")
        memapp(make_app, "booker", '["user:*"]')
        name, mid, bad = (await run(k, "booker", "choose aisle seat")).split()
        assert name == f"user:{k.memory.user}" and bad == "invalid"
        [(_, learned)] = k.memory.admin.list(user=k.memory.user)  # the same choice twice: one memory, times=2
        assert learned.id == mid and learned.metadata["learned"] is True and learned.metadata["times"] == 2
        assert learned.text.startswith("The user prefers aisle seat over window seat, middle seat (chosen 2 times)")
        used, limit = map(int, (await run(k, "alpha", "pin Always answer in French.")).split("/"))
        assert used <= limit
        denied = [e for e in k.events.recent if e["kind"] == "mem.denied"]
        assert denied and denied[0]["collection"] == "app:alpha"


async def test_a_preference_told_to_one_process_reaches_a_later_one(kernel_factory, make_app):
    make_app("noter", syscalls=("llm.*", "tool.*"))  # a prompt app granted no memory collections
    eng = ScriptedEngine(['{"tool": "remember", "text": "I prefer aisle seats on flights."}',
                          '{"tool": "answer", "answer": "Noted."}'], default='{"tool": "answer", "answer": "aisle"}')
    async with kernel_factory(eng, subsystems=["memory"]) as k:
        assert await run(k, "assistant", "Remember that I prefer aisle seats on flights.") == "Noted."
        prefs = k.memory.admin.list(user=k.memory.user)
        assert [it.text for _, it in prefs] == ["I prefer aisle seats on flights."]
        assert prefs[0][1].metadata["kind"] == "preference"

        asked = len(eng.requests)
        assert await run(k, "assistant", "Book me a seat on the Lisbon flight: window or aisle?") == "aisle"
        prompt = prompt_text(eng, eng.requests[asked])
        assert "Recalled from memory" in prompt and "I prefer aisle seats on flights." in prompt

        asked = len(eng.requests)
        await run(k, "noter", "Book me a seat on the Lisbon flight: window or aisle?")
        assert "aisle seats" not in prompt_text(eng, eng.requests[asked])  # not granted user:*: not recalled


async def test_a_process_may_use_the_memory_of_a_named_user_and_its_children_inherit_it(kernel_factory, make_app):
    make_app("napper", code="import anyio\n\nasync def run(sys, task):\n    await anyio.sleep(30)\n")
    memapp(make_app, "booker", '["user:{user}"]')
    async with kernel_factory(ScriptedEngine(default="ok", n_ctx=2048, n_slots=2), subsystems=["memory"]) as k:
        parent = await k.spawn("napper", user="ann")
        child = await k.spawn("napper", parent=parent)
        assert (k.ptable.get(parent).user, k.ptable.get(child).user) == ("ann", "ann")
        k.signal(parent, "KILL")
        pid = await k.spawn("booker", "prefer I like jazz", user="ann")
        assert (await k.wait(pid, 10)).result == "user:ann"  # ann's collection, not the kernel user's
        pid = await k.spawn("booker", "recall jazz")
        assert "jazz" not in ((await k.wait(pid, 10)).result or "")  # the kernel's user does not see it
