"""proc.send / proc.recv / proc.wait between processes: order, bounds, timeouts, who may talk to whom."""
from __future__ import annotations

import anyio
import pytest

from kernel.proc.inbox import Inbox
from syscalls.errors import Busy

pytestmark = pytest.mark.anyio

ECHO = """
async def run(sys, task):
    got = []
    while True:
        m = await sys.proc.recv(timeout=5)
        if m.message == "stop":
            return ",".join(got)
        got.append(f"{m.sender}:{m.message['n']}")
"""


async def test_messages_arrive_in_order_with_their_sender(kernel_factory, make_app):
    make_app("echo", code=ECHO)
    make_app("boss", code="""
async def run(sys, task):
    pid = await sys.proc.spawn("echo")
    for n in range(20):
        await sys.proc.send(pid, {"n": n})
    await sys.proc.send(pid, "stop")
    return (await sys.proc.wait(pid)).result
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("boss"), 10)
    assert p.result == ",".join(f"{p.pid}:{n}" for n in range(20))


async def test_full_queue_is_a_typed_busy_error_and_loses_nothing(kernel_factory, make_app):
    make_app("slow", code="""
async def run(sys, task):
    await sys.proc.recv(timeout=10)  # wait for the go signal, then drain
    got = []
    while True:
        m = await sys.proc.recv(timeout=0.2)
        if m.message == "end":
            return str(got)
        got.append(m.message)
""")
    make_app("flood", code="""
from syscalls.errors import Busy
async def run(sys, task):
    pid = await sys.proc.spawn("slow")
    sent, busy = 0, None
    while busy is None:
        try:
            await sys.proc.send(pid, sent)
            sent += 1
        except Busy as exc:
            busy = exc
    return f"{sent}|{busy.code}|{busy.retryable}|{pid}"
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("flood"), 10)
        sent, code, retryable, _child = p.result.split("|")
    assert (int(sent), code, retryable) == (64, "busy", "True")  # the queue holds 64, the 65th is refused


def test_inbox_is_fifo_and_bounded():
    box = Inbox(capacity=3)
    for i in range(3):
        box.put(1, i)
    with pytest.raises(Busy):
        box.put(1, 3)
    assert len(box) == 3

    async def drain():
        return [(await box.get())[1] for _ in range(3)]
    assert anyio.run(drain) == [0, 1, 2]


async def test_recv_times_out_and_poll_returns_at_once(kernel_factory, make_app):
    make_app("lonely", code="""
import time
from syscalls.errors import Timeout
async def run(sys, task):
    out = []
    for t in (0, 0.3):
        t0 = time.monotonic()
        try:
            await sys.proc.recv(timeout=t)
        except Timeout as exc:
            out.append(f"{exc.code}:{time.monotonic() - t0:.2f}")
    return ",".join(out)
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("lonely"), 10)
    first, second = p.result.split(",")
    assert first.startswith("timeout:") and float(first.split(":")[1]) < 0.2
    assert second.startswith("timeout:") and float(second.split(":")[1]) >= 0.29


async def test_only_family_may_message(kernel_factory, make_app):
    make_app("sleeper", code=ECHO)
    make_app("stranger", code="""
from syscalls.errors import PermissionDenied, NotFound
async def run(sys, task):
    try:
        await sys.proc.send(int(task), {"n": 1})
    except PermissionDenied as exc:
        return "denied"
    return "sent"
""")
    make_app("kid", code="""
async def run(sys, task):
    await sys.proc.send(int(task), {"n": 7})  # a child may message its parent
    return "ok"
""")
    make_app("parent", code="""
async def run(sys, task):
    pid = await sys.proc.spawn("kid", str(sys.pid))
    m = await sys.proc.recv(timeout=5)
    await sys.proc.wait(pid)
    return f"{m.sender == pid}:{m.message['n']}"
""")
    async with kernel_factory() as k:
        target = await k.spawn("sleeper")
        s = await k.wait(await k.spawn("stranger", str(target)), 10)
        par = await k.wait(await k.spawn("parent"), 10)
        k.signal(target, "KILL")
    assert s.result == "denied"
    assert par.result == "True:7"


async def test_wait_for_one_child_or_any(kernel_factory, make_app):
    make_app("nap", code="""
import anyio
async def run(sys, task):
    await anyio.sleep(float(task))
    return task
""")
    make_app("waiter", code="""
from syscalls.errors import NotFound, Timeout
async def run(sys, task):
    slow = await sys.proc.spawn("nap", "0.6")
    fast = await sys.proc.spawn("nap", "0.05")
    first = await sys.proc.wait()  # any child: the fast one ends first
    try:
        await sys.proc.wait(slow, timeout=0.05)
        early = "no-timeout"
    except Timeout:
        early = "timeout"
    second = await sys.proc.wait(slow)
    try:
        await sys.proc.wait()
        none = "more"
    except NotFound:
        none = "none-left"
    return f"{first.pid == fast}:{first.result}:{early}:{second.result}:{second.state}:{none}"
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("waiter"), 10)
    assert p.result == "True:0.05:timeout:0.6:EXITED:none-left"
