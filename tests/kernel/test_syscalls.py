"""Syscall validation: bad input gets a clear typed error, never a traceback, and the kernel carries on."""
import anyio
import pytest

from drivers.tools import Tool
from kernel.syscall.dispatch import dispatch
from syscalls.errors import InvalidArgument, PermissionDenied, SyscallError

pytestmark = pytest.mark.anyio

IDLE = """
async def run(sys, task):
    await sys.proc.recv()
"""


class Boom(Tool):
    name, description, schema = "boom", "always fails", {"type": "object", "properties": {}}

    async def call(self, args, *, owner=""):
        raise RuntimeError("driver bug")


@pytest.fixture
async def idle(kernel_factory, make_app):
    make_app("idle", code=IDLE, syscalls=["llm.*", "proc.*", "tool.*"], tools=["calculator", "boom"])
    k = kernel_factory()
    k.tools["boom"] = Boom()
    async with k:
        pid = await k.spawn("idle", "")
        await anyio.sleep(0.01)
        yield k, k.ptable.get(pid)


@pytest.mark.parametrize("raw,fragment", [
    (b'{"call": "fs.nope"}', "fs.nope"),
    (b'{"call": "tool.call", "name": 5}', "Expected `str`"),
    (b'{"call": "tool.call", "name": "calculator", "evil": 1}', "evil"),
    (b'{"call": "llm.chat", "messages": []}', "length"),
    (b'{"call": "llm.chat", "messages": [{"role": "root", "content": "x"}]}', "role"),
    (b'{"call": "proc.kill", "pid": -1}', "pid"),
    (b'{"call": "tool.call", "name": "' + b"x" * 300 + b'"}', "length"),
    (b'{"call": "fs.write", "path": "a", "data": "' + b"x" * (300 * 1024) + b'"}', "length"),
    (b'{"call": "tool.call", "name": "calc', "malformed"),
    (b"\xff\xfe garbage", "malformed"),
    (b"[]", "call"),
])
async def test_bad_requests_get_invalid_argument(idle, raw, fragment):
    k, proc = idle
    with pytest.raises(InvalidArgument) as e:
        await dispatch(k, proc, raw)
    assert fragment in str(e.value) and "Traceback" not in str(e.value)
    ok = await dispatch(k, proc, b'{"call": "tool.call", "name": "calculator", "args": {"expression": "2+2"}}')
    assert ok.output == "4"  # the kernel carries on


async def test_missing_permission_is_named(idle):
    k, proc = idle
    with pytest.raises(PermissionDenied, match="fs.write"):
        await dispatch(k, proc, b'{"call": "fs.write", "path": "a", "data": "x"}')
    with pytest.raises(PermissionDenied, match="clock"):
        await dispatch(k, proc, b'{"call": "tool.call", "name": "clock"}')


async def test_a_crashing_driver_gives_a_typed_error_without_traceback(idle):
    k, proc = idle
    with pytest.raises(SyscallError) as e:
        await dispatch(k, proc, b'{"call": "tool.call", "name": "boom"}')
    assert e.value.code == "internal" and "Traceback" not in e.value.message and "driver bug" not in e.value.message
    assert any(ev["kind"] == "syscall.crash" for ev in k.events.for_pid(proc.pid))  # the trace is for us, in the log


async def test_an_app_that_raises_ends_cleanly(kernel_factory, make_app):
    make_app("bad", code="""
async def run(sys, task):
    raise ValueError("oops")
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("bad", ""), timeout=5)
        assert p.exit_reason == "crashed" and p.error == "ValueError: oops"
        assert (await k.wait(await k.spawn("bad", ""), timeout=5)).exit_reason == "crashed"


async def test_unknown_app_is_not_found(kernel_factory):
    from syscalls.errors import NotFound
    async with kernel_factory() as k:
        with pytest.raises(NotFound, match="llmos apps"):
            await k.spawn("nope", "")


async def test_send_recv_in_order_and_bounded(kernel_factory, make_app):
    make_app("rx", code="""
async def run(sys, task):
    got = [ (await sys.proc.recv(timeout=5)).message for _ in range(3) ]
    return ",".join(got)
""")
    make_app("tx", code="""
from syscalls.errors import Timeout
async def run(sys, task):
    pid = await sys.proc.spawn("rx", "")
    for m in ("a", "b", "c"):
        await sys.proc.send(pid, m)
    res = await sys.proc.wait(pid)
    try:
        await sys.proc.recv(timeout=0.05)
    except Timeout:
        return res.result + ";timeout"
""")
    async with kernel_factory() as k:
        assert (await k.wait(await k.spawn("tx", ""), timeout=5)).result == "a,b,c;timeout"


class Nested(Tool):
    """A tool that makes a syscall of its own (as ``remember`` makes ``mem.store``), then reports
    what ps would show for its caller."""
    name, description, schema = "nested", "calls proc.ps inside", {"type": "object", "properties": {}}

    def __init__(self, k):
        self.k = k

    async def call(self, args, *, owner=""):
        from drivers.tools import ToolOutput
        proc = self.k.ptable.get(int(owner))
        await self.k.sys_for(proc).proc.ps()
        return ToolOutput(proc.current)


async def test_a_syscall_inside_a_tool_leaves_ps_showing_the_outer_call(kernel_factory, make_app):
    make_app("nester", syscalls=["tool.*", "proc.*"], tools=["nested"], code="""
async def run(sys, task):
    return (await sys.tool.call("nested")).output
""")
    k = kernel_factory()
    k.tools["nested"] = Nested(k)
    async with k:
        p = await k.wait(await k.spawn("nester"), 10)
    assert (p.exit_reason, p.result) == ("exited", "tool.call"), p.error
    assert p.current == ""
