"""Budgets are enforced by the kernel: a breach ends the process with a named exit reason."""
import pytest

from drivers.llm import ScriptedEngine
from kernel import State

pytestmark = pytest.mark.anyio


async def test_token_budget(kernel_factory, make_app):
    make_app("chat", budgets="tokens = 60", code="""
async def run(sys, task):
    return (await sys.llm.chat(task, max_tokens=5000)).text
""")
    eng = ScriptedEngine(default=" ".join(["w"] * 500), token_delay=0)
    async with kernel_factory(eng) as k:
        p = await k.wait(await k.spawn("chat", "hi"), timeout=10)
        assert p.exit_reason == "budget:tokens" and p.exit_status == 152 and p.state == State.KILLED
        assert p.usage.tokens <= 61


async def test_syscall_budget(kernel_factory, make_app):
    make_app("loop", syscalls=["tool.*"], budgets="syscalls = 10", code="""
async def run(sys, task):
    for i in range(100):
        await sys.tool.call("calculator", expression=f"{i} + 1")
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("loop", ""), timeout=10)
        assert p.exit_reason == "budget:syscalls" and p.usage.syscalls == 11


async def test_wall_time_budget(kernel_factory, make_app):
    make_app("sleepy", budgets="wall_seconds = 0.3", code="""
async def run(sys, task):
    await sys.proc.recv()
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("sleepy", ""), timeout=10)
        assert p.exit_reason == "budget:wall_seconds"


async def test_children_budget_and_carving(kernel_factory, make_app):
    make_app("kid", code="""
async def run(sys, task):
    return (await sys.llm.chat("x", max_tokens=50)).text
""")
    make_app("parent", budgets="children = 1\ntokens = 1000", code="""
from syscalls.errors import PermissionDenied
async def run(sys, task):
    first = await sys.proc.spawn("kid", "")
    try:
        await sys.proc.spawn("kid", "")
        return "second spawn allowed"
    except PermissionDenied as e:
        res = await sys.proc.wait(first)
        return "refused:" + res.result
""")
    async with kernel_factory(ScriptedEngine(default="a b c")) as k:
        pid = await k.spawn("parent", "")
        p = await k.wait(pid, timeout=10)
        assert p.result == "refused:a b c"
        kid = [q for q in k.ptable.reaped.values() if q.ppid == pid][0]
        assert kid.budgets.tokens == 1000  # carved from the parent's remaining tokens
        assert p.usage.children_tokens == kid.usage.tokens > 0  # and charged back to the parent
        # what the child read and wrote is on the parent's record (an eval's cost of a task counts it)
        info = p.info()
        assert (info.children_tokens_in, info.children_tokens_out) == (kid.usage.tokens_in, kid.usage.tokens_out)
        assert info.children_tokens_in > 0 and info.tokens_in == p.usage.tokens_in


async def test_child_permissions_only_narrow(kernel_factory, make_app):
    make_app("greedy", syscalls=["llm.*", "fs.*", "proc.*"], code="""
async def run(sys, task):
    await sys.fs.write("x.txt", "hi")
    return "wrote"
""")
    make_app("narrow", syscalls=["llm.*", "proc.*"], code="""
async def run(sys, task):
    pid = await sys.proc.spawn("greedy", "")
    return (await sys.proc.wait(pid)).exit_reason
""")
    async with kernel_factory() as k:
        parent = await k.wait(await k.spawn("narrow", ""), timeout=10)
        assert parent.result == "error"  # the child could not write: fs.* was not the parent's to give
        child = [q for q in k.ptable.reaped.values() if q.ppid == parent.pid][0]
        assert "fs.write" in child.error and "app 'narrow'" in child.error  # the refusal names the parent
        from kernel.syscall.perm import syscall_granted
        assert not syscall_granted(child, "fs.write") and syscall_granted(child, "llm.chat")
