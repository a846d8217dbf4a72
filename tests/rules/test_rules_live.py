"""Approvals through a live kernel: approve, deny, expire, replay with altered arguments, kill while blocked."""
from __future__ import annotations

import anyio
import pytest

from kernel.api import handlers
from kernel.api import messages as m
from kernel.proc.process import State

pytestmark = pytest.mark.anyio

DELETER = '''
from syscalls.errors import SyscallError

async def run(sys, task):
    out = []
    for name in task.split():
        await sys.fs.write(name, "keep me")
    for name in task.split():
        try:
            await sys.fs.delete(name)
            out.append(name + ":deleted")
        except SyscallError as exc:
            out.append(name + ":" + exc.code + ":" + exc.message)
    return " | ".join(out)
'''


async def blocked(k, pid, n=1, timeout=10.0):
    """Wait until ``pid`` is BLOCKED with ``n`` approvals pending for it; return the newest."""
    with anyio.fail_after(timeout):
        while True:
            mine = [a for a in k.rules.book.pending() if a.pid == pid]
            if len(mine) >= n and k.ptable.get(pid).state is State.BLOCKED:
                return mine[-1]
            await anyio.sleep(0.01)


@pytest.fixture
def deleter(make_app):
    make_app("deleter", code=DELETER, syscalls=["fs.*"])


async def test_approve_lets_exactly_that_call_through(kernel_factory, deleter):
    async with kernel_factory(subsystems=["rules"]) as k:
        pid = await k.spawn("deleter", "a.txt")
        ap = await blocked(k, pid)
        assert ap.name == "fs.delete" and "a.txt" in ap.args_summary["path"]
        assert k.ptable.get(pid).current.startswith("fs.delete [approve ")  # what top and ps show
        listed = await handlers.approvals(k, m.Approvals())
        assert [a.id for a in listed] == [ap.id] and listed[0].call == "fs.delete"
        await handlers.approve(k, m.Approve(approval=ap.id))
        proc = await k.wait(pid, timeout=10)
        assert proc.result == "a.txt:deleted"
        assert not (k.workspace_path(pid) / "a.txt").exists()
        kinds = [(e["kind"], e.get("effect")) for e in k.events.for_pid(pid)]
        assert ("rules.decision", "ask") in kinds and ("approval.approved", None) in kinds
        with pytest.raises(handlers.ApiError):  # used once: cannot be approved again
            await handlers.approve(k, m.Approve(approval=ap.id))


async def test_deny_returns_a_typed_error_with_the_reason(kernel_factory, deleter):
    async with kernel_factory(subsystems=["rules"]) as k:
        pid = await k.spawn("deleter", "a.txt")
        ap = await blocked(k, pid)
        await handlers.deny(k, m.Deny(approval=ap.id, reason="not today"))
        proc = await k.wait(pid, timeout=10)
        assert proc.result.startswith("a.txt:approval_denied:") and "not today" in proc.result
        assert (k.workspace_path(pid) / "a.txt").read_text() == "keep me"
        assert any(e["kind"] == "approval.denied" for e in k.events.for_pid(pid))


async def test_unanswered_approval_expires_and_denies(kernel_factory, deleter):
    async with kernel_factory(subsystems=["rules"], approval_ttl=0.3) as k:
        pid = await k.spawn("deleter", "a.txt")
        proc = await k.wait(pid, timeout=10)
        assert proc.result.startswith("a.txt:approval_denied:") and "expired" in proc.result
        assert (k.workspace_path(pid) / "a.txt").exists()
        assert not k.rules.book.pending()


async def test_approval_is_bound_to_the_call_a_different_or_repeated_call_asks_again(kernel_factory, deleter):
    async with kernel_factory(subsystems=["rules"]) as k:
        pid = await k.spawn("deleter", "a.txt b.txt a.txt")
        first = await blocked(k, pid)
        assert "a.txt" in first.args_summary["path"]
        await handlers.approve(k, m.Approve(approval=first.id))
        second = await blocked(k, pid)  # other arguments: a new approval, not the spent one
        assert second.id != first.id and "b.txt" in second.args_summary["path"]
        await handlers.deny(k, m.Deny(approval=second.id, reason="no"))
        third = await blocked(k, pid)  # the same call replayed: asks again
        assert third.id not in (first.id, second.id) and "a.txt" in third.args_summary["path"]
        await handlers.deny(k, m.Deny(approval=third.id))
        proc = await k.wait(pid, timeout=10)
        parts = proc.result.split(" | ")
        assert parts[0] == "a.txt:deleted" and parts[1].startswith("b.txt:approval_denied")
        assert parts[2].startswith("a.txt:approval_denied")


async def test_kill_while_blocked_cancels_the_approval(kernel_factory, deleter):
    async with kernel_factory(subsystems=["rules"]) as k:
        pid = await k.spawn("deleter", "a.txt")
        ap = await blocked(k, pid)
        k.signal(pid, "KILL")
        proc = await k.wait(pid, timeout=10)
        assert proc.state is State.KILLED and proc.exit_reason == "killed"
        assert k.rules.book.pending() == [] and k.rules.book.get(ap.id).state == "cancelled"
        assert any(e["kind"] == "approval.cancelled" for e in k.events.for_pid(pid))
        with pytest.raises(handlers.ApiError):
            await handlers.approve(k, m.Approve(approval=ap.id))
        assert (k.workspace_path(pid) / "a.txt").exists()


async def test_term_while_blocked_ends_the_wait_and_withdraws_the_request(kernel_factory, deleter):
    async with kernel_factory(subsystems=["rules"]) as k:
        pid = await k.spawn("deleter", "a.txt")
        ap = await blocked(k, pid)
        k.signal(pid, "TERM")
        proc = await k.wait(pid, timeout=10)
        assert proc.exit_reason == "exited" and proc.result == "a.txt:terminated:TERM received: clean up and exit"
        assert k.rules.book.get(ap.id).state == "cancelled" and k.rules.book.pending() == []
        assert (k.workspace_path(pid) / "a.txt").exists()
