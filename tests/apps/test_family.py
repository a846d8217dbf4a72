"""Families of processes: a child's grants only narrow its parent's, budgets are carved and returned,
and killing a manager kills its workers."""
from __future__ import annotations

import json

import anyio
import pytest

from kernel import State

pytestmark = pytest.mark.anyio

PROBE = """
import json
from syscalls.errors import PermissionDenied
async def run(sys, task):
    out = {}
    for name, call in (("fs.write", lambda: sys.fs.write("x.txt", "x")),
                       ("tool.calculator", lambda: sys.tool.call("calculator", expression="1+1")),
                       ("tool.clock", lambda: sys.tool.call("clock")),
                       ("llm.chat", lambda: sys.llm.chat("hi", max_tokens=4))):
        try:
            await call()
            out[name] = "ok"
        except PermissionDenied:
            out[name] = "denied"
    out["tools"] = sorted(t.name for t in await sys.tool.list())
    return json.dumps(out)
"""


async def test_child_permissions_never_exceed_the_parents(kernel_factory, make_app):
    # the child's manifest asks for everything; the parent holds less, and narrows further on spawn
    make_app("greedy", code=PROBE, syscalls=["llm.*", "fs.*", "tool.*", "proc.*"], tools=["calculator", "clock"])
    make_app("holder", syscalls=["llm.*", "tool.*", "proc.*"], tools=["calculator"], code="""
async def run(sys, task):
    a = await sys.proc.spawn("greedy")
    b = await sys.proc.spawn("greedy", permissions=["tool.*"])
    return (await sys.proc.wait(a)).result + "\\n" + (await sys.proc.wait(b)).result
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("holder"), 10)
    inherited, narrowed = (json.loads(line) for line in p.result.splitlines())
    assert inherited == {"fs.write": "denied", "tool.calculator": "ok", "tool.clock": "denied",
                         "llm.chat": "ok", "tools": ["calculator"]}
    assert narrowed == {"fs.write": "denied", "tool.calculator": "ok", "tool.clock": "denied",
                        "llm.chat": "denied", "tools": ["calculator"]}


async def test_spawn_of_an_app_not_granted_is_denied(kernel_factory, make_app):
    make_app("other", code="async def run(sys, task):\n    return 'ran'\n")
    make_app("picky", spawn=["worker"], code="""
from syscalls.errors import PermissionDenied
async def run(sys, task):
    try:
        await sys.proc.spawn("other")
    except PermissionDenied as exc:
        return exc.code
""")
    async with kernel_factory() as k:
        assert (await k.wait(await k.spawn("picky"), 10)).result == "permission"


async def test_budgets_are_carved_from_the_parent_and_returned(kernel_factory, make_app):
    make_app("spender", budgets="tokens = 5000", code="""
async def run(sys, task):
    await sys.llm.chat("spend", max_tokens=8)
    return "spent"
""")
    make_app("banker", budgets="tokens = 1000", code="""
import json
from syscalls.errors import PermissionDenied
async def run(sys, task):
    a = await sys.proc.spawn("spender", budgets={"tokens": 600})
    b = await sys.proc.spawn("spender")  # it asks its manifest's 5000: it gets what is left
    try:
        await sys.proc.spawn("spender")  # nothing is left to carve
        third = "spawned"
    except PermissionDenied as exc:
        third = exc.code
    await sys.proc.wait(a)
    await sys.proc.wait(b)
    c = await sys.proc.spawn("spender")  # after both ended, their unspent tokens are back
    await sys.proc.wait(c)
    return json.dumps([a, b, c, third])
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("banker"), 10)
        assert p.exit_reason == "exited", p.error
        a, b, c, third = json.loads(p.result)
        ca, cb, cc = (k.ptable.get(x) for x in (a, b, c))
        spent_ab = ca.usage.tokens + cb.usage.tokens
        assert (ca.budgets.tokens, cb.budgets.tokens, third) == (600, 400, "permission")
        assert cc.budgets.tokens == 1000 - spent_ab  # a's and b's unspent tokens came back
        assert p.usage.children_tokens == spent_ab + cc.usage.tokens  # only what they spent is charged


async def test_killing_a_manager_kills_its_workers(kernel_factory, make_app):
    make_app("drone", code="""
async def run(sys, task):
    while True:
        await sys.proc.recv(timeout=60)
""")
    make_app("boss", code="""
async def run(sys, task):
    pids = [await sys.proc.spawn("drone") for _ in range(4)]
    await sys.proc.send(pids[0], "hold")  # keep one busy, the rest asleep in recv
    await sys.proc.wait(pids[0], timeout=60)
""")
    async with kernel_factory() as k:
        boss = await k.spawn("boss")
        with anyio.fail_after(5):
            while len(k.ptable.children(boss)) < 4:
                await anyio.sleep(0.01)
        workers = [p.pid for p in k.ptable.children(boss)]
        k.signal(boss, "KILL")
        with anyio.fail_after(5):
            for pid in [boss, *workers]:
                await k.wait(pid)
        states = {pid: k.ptable.get(pid).state for pid in [boss, *workers]}
    assert set(states.values()) == {State.KILLED}


def test_narrowing_is_an_intersection_of_grants():
    from apps.manifest import Budgets, Permissions
    from kernel.proc.process import Process
    from kernel.proc.runner import lineage
    from kernel.syscall.perm import path_granted, spawn_granted, syscall_granted, tool_granted
    parent = Process(1, 0, "p", "", permissions=Permissions(syscalls=["llm.chat", "fs.*"], tools=["calculator"],
                                                            files=["out/*"], spawn=["worker"]), budgets=Budgets())
    own = Permissions(syscalls=["llm.*", "fs.read", "proc.*"], tools=["*"], files=["**"], spawn=["*"],
                      memory=["user:*"])
    child = Process(2, 1, "c", "", permissions=own, lineage=lineage(parent, "c", None))
    assert [n for n in ("llm.chat", "llm.json", "fs.read", "fs.write", "proc.spawn") if syscall_granted(child, n)] \
        == ["llm.chat", "fs.read"]
    assert tool_granted(child, "calculator") and not tool_granted(child, "python")
    assert path_granted(child, "out/a") and not path_granted(child, "out/a/b") and not path_granted(child, "x")
    assert spawn_granted(child, "worker") and not spawn_granted(child, "manager")
    narrowed = Process(3, 1, "c", "", permissions=own, lineage=lineage(parent, "c", ["fs.*"]))  # narrowed on spawn
    assert [n for n in ("llm.chat", "fs.read", "fs.write") if syscall_granted(narrowed, n)] == ["fs.read"]
