"""The kernel daemon on a real Unix socket: boot/status/halt, many clients, bad clients, stale files."""
from __future__ import annotations

import asyncio
import os
import signal
import stat
import struct

import anyio
import pytest

from kernel.api import messages as m
from llmos.client import Client, KernelError, NotRunning

from .harness import alive, wait_dead


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def test_boot_status_halt(home):
    assert home.llmos("status").returncode == 3
    r = home.llmos("boot")
    assert r.returncode == 0 and "kernel booted" in r.stdout
    assert stat.S_IMODE(os.stat(home.sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home.path).st_mode) == 0o700
    again = home.llmos("boot")
    assert again.returncode == 1 and "already running" in again.stderr
    st = home.llmos("status")
    assert st.returncode == 0 and "running" in st.stdout and "slots: 0/4" in st.stdout
    pid = home.daemon_pid()
    h = home.llmos("halt")
    assert h.returncode == 0 and "halted" in h.stdout
    assert wait_dead(pid)
    assert not home.sock.exists() and home.daemon_pid() is None
    assert home.llmos("status").returncode == 3


def test_run_ps_kill_wait_logs_through_the_cli(booted):
    r = booted.llmos("run", "assistant", "hello", "daemon")
    assert r.returncode == 0 and r.stdout.strip() == "you said: hello daemon"
    pid = booted.llmos("run", "--detach", "assistant", "slow", "work").stdout.strip()
    assert pid.isdigit()
    ps = booted.llmos("ps")
    assert ps.stdout.splitlines()[0].split()[:10] == ["PID", "PPID", "APP", "ENGINE", "STATE", "PRIO", "CTX",
                                                      "TOKENS", "SYSCALLS", "TIME"]
    assert any(line.split()[0] == pid for line in ps.stdout.splitlines()[1:])
    assert booted.llmos("kill", "-KILL", pid).returncode == 0
    w = booted.llmos("wait", pid)
    assert w.returncode == 137 and "killed" in w.stderr
    logs = booted.llmos("logs", pid)
    assert "proc.spawn" in logs.stdout and "proc.exit" in logs.stdout
    follow = booted.llmos("logs", "-f", pid, timeout=30)
    assert "proc.exit" in follow.stdout
    bad = booted.llmos("kill", "99999")
    assert bad.returncode == 1 and "no running process" in bad.stderr


@pytest.mark.anyio
async def test_two_clients_at_once(booted):
    async with Client(booted.path) as a, Client(booted.path) as b:
        slow = await a.spawn("assistant", "slow one")
        fast = await b.spawn("assistant", "quick one")
        info = await b.wait(fast, timeout=60)
        assert info.result == "you said: quick one"
        assert any(p.pid == slow and p.state not in ("EXITED", "KILLED") for p in await a.ps())
        await a.kill(slow, "KILL")
        assert (await b.wait(slow, timeout=60)).exit_reason == "killed"


@pytest.mark.anyio
async def test_calls_at_once_on_one_client_queue_and_a_cancelled_one_spoils_none(booted):
    """The shell's views share one client: a call made while another is in flight waits its turn
    (it once closed the busy connection under the other), and a call cancelled mid-flight leaves
    the calls queued behind it answered on a fresh connection."""
    fresh = Client(booted.path)  # not yet connected: calls at once share one new connection
    try:
        await asyncio.gather(*(fresh.status() for _ in range(5)))
        assert fresh._conn is not None and next(fresh._conn._ids) == 6  # all five went on it
    finally:
        await fresh.aclose()
    async with Client(booted.path) as c:
        results = await asyncio.gather(*(c.ps() for _ in range(10)), *(c.status() for _ in range(10)))
        assert all(isinstance(r, list) for r in results[:10])
        assert all(r.slots_total >= 1 for r in results[10:])
        slow = await c.spawn("assistant", "slow one")
        held = asyncio.ensure_future(c.call(m.Wait(pid=slow, timeout=30)))  # holds the connection
        await asyncio.sleep(0.3)
        queued = [asyncio.ensure_future(c.ps()) for _ in range(3)]
        await asyncio.sleep(0.1)
        held.cancel()
        rows = await asyncio.gather(*queued)
        assert all(any(p.pid == slow for p in r) for r in rows)
        assert held.cancelled()
        await c.kill(slow, "KILL")
        assert (await c.wait(slow, timeout=60)).exit_reason == "killed"


@pytest.mark.anyio
async def test_garbage_and_half_closed_connections_do_not_disturb_others(booted):
    async with Client(booted.path) as good:
        before = await good.status()
        # a frame of garbage: an error reply, and the connection keeps serving
        s = await anyio.connect_unix(str(booted.sock))
        await s.send(frame(b"garbage"))
        reply = await s.receive()
        assert b'"bad_request"' in reply
        await s.send(frame(b'{"op":"status"}'))
        assert b'"ok"' in await s.receive()
        # a well-formed frame with a bad field: the error names the request's id
        await s.send(frame(b'{"op":"kill","id":4,"pid":0}'))
        assert b'"id":4' in await s.receive()
        await s.aclose()
        # a truncated frame, then half-close: an error reply, and the daemon stays up
        t = await anyio.connect_unix(str(booted.sock))
        await t.send(struct.pack(">I", 100) + b'{"op":')
        await t.send_eof()
        assert b"bad_frame" in await t.receive()
        await t.aclose()
        # a client that connects and vanishes mid-subscription
        u = await anyio.connect_unix(str(booted.sock))
        await u.send(frame(b'{"op":"subscribe"}'))
        await u.aclose()
        pid = await good.spawn("assistant", "still here?")
        assert (await good.wait(pid, timeout=60)).result == "you said: still here?"
        after = await good.status()
        assert after.pid == before.pid


@pytest.mark.anyio
async def test_subscription_streams_events_and_stats(booted):
    async with Client(booted.path) as c:
        seen: list[str] = []
        stats = 0
        stream = c.subscribe(stats_every=0.2)
        first = await stream.__anext__()
        assert first.stats.slots_total == 4
        pid = await c.spawn("assistant", "watch me")
        with anyio.fail_after(60):
            async for msg in stream:
                if hasattr(msg, "event") and msg.event.get("pid") == pid:
                    seen.append(msg.event["kind"])
                    if msg.event["kind"] == "proc.exit":
                        break
                else:
                    stats += 1
        await stream.aclose()
        assert seen[0] == "proc.spawn" and "syscall" in seen


def test_stale_socket_after_kill_9_is_recovered(home):
    assert home.llmos("boot").returncode == 0
    pid = home.daemon_pid()
    os.kill(pid, signal.SIGKILL)
    assert wait_dead(pid)
    assert home.sock.exists() and home.daemon_pid() == pid  # the crash left both behind
    assert home.llmos("status").returncode == 3
    r = home.llmos("boot")
    assert r.returncode == 0, r.stderr
    new = home.daemon_pid()
    assert new != pid and alive(new)
    assert home.llmos("run", "assistant", "back").stdout.strip() == "you said: back"


@pytest.mark.anyio
async def test_client_without_daemon_says_so(home):
    with pytest.raises(NotRunning, match="llmos boot"):
        async with Client(home.path) as c:
            await c.status()


@pytest.mark.anyio
async def test_errors_come_back_typed(booted):
    async with Client(booted.path) as c:
        with pytest.raises(KernelError) as e:
            await c.spawn("no-such-app", "x")
        assert e.value.code == "not_found"
        with pytest.raises(KernelError, match="user") as e:
            await c.spawn("assistant", "x", user="../someone")  # a memory user is a plain name
        assert e.value.code == "bad_request"  # refused by the request's own schema, before the kernel
        assert await c.approvals() == []
        with pytest.raises(KernelError, match="no pending approval"):
            await c.approve("abc123")
