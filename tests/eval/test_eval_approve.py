"""``llmos eval --approve``: yes to the approvals and confirmations of the eval's own processes and their
children, and to no other process's (llmos/eval/approve.py), on an in-process kernel."""
from __future__ import annotations

import anyio
import pytest

from llmos.channels import LocalChannel
from llmos.eval.approve import approving

pytestmark = pytest.mark.anyio

ASKER = """
from syscalls.errors import SyscallError

async def run(sys, task):
    out = []
    try:
        out.append("confirm=" + str(await sys.user.confirm("Book it?")))
    except SyscallError as exc:
        out.append("confirm=" + exc.code)
    await sys.fs.write("note.txt", "x")
    try:
        await sys.fs.delete("note.txt")  # a default rule asks the person first (system.fs-delete)
        out.append("delete=done")
    except SyscallError as exc:
        out.append("delete=" + exc.code)
    if "parent" in task:
        child = await sys.proc.spawn("asker", "child")
        out.append("child[" + (await sys.proc.wait(child)).result + "]")
    return " ".join(out)
"""


async def test_the_eval_answers_yes_for_its_own_processes_and_their_children_only(kernel_factory, make_app):
    make_app("asker", code=ASKER, syscalls=["user.*", "fs.*", "proc.*"])
    async with kernel_factory(subsystems=["person", "rules"], approval_ttl=2.0) as k:
        async with approving(LocalChannel(k)) as approver:
            ours = await k.spawn("asker", "parent")
            await approver.adopt(ours)
            theirs = await k.spawn("asker", "stranger")  # started by someone else: never adopted
            mine, other = await k.wait(ours, timeout=60), await k.wait(theirs, timeout=60)
        assert mine.result == "confirm=True delete=done child[confirm=True delete=done]"
        assert other.result.startswith("confirm=unavailable delete=")  # both left to expire
        assert "delete=done" not in other.result
        calls = sorted(a["call"] for a in approver.approved)
        assert calls == ["fs.delete", "fs.delete", "user.confirm", "user.confirm"]
        child = max(approver.pids)  # the parent's child, learnt from its spawn event
        assert approver.pids == {ours, child} and child not in (ours, theirs)
        assert {a["pid"] for a in approver.approved} == {ours, child}


async def test_a_request_made_before_the_pid_was_adopted_is_answered_on_adoption(kernel_factory, make_app):
    make_app("asker", code=ASKER, syscalls=["user.*", "fs.*", "proc.*"])
    async with kernel_factory(subsystems=["person", "rules"], approval_ttl=30.0) as k:
        async with approving(LocalChannel(k)) as approver:
            pid = await k.spawn("asker", "early")
            with anyio.fail_after(10):
                while not k.desk.pending():  # it asks before the eval knows its pid
                    await anyio.sleep(0.02)
            await approver.adopt(pid)
            proc = await k.wait(pid, timeout=30)
        assert proc.result == "confirm=True delete=done"


async def test_with_every_event_lost_the_sweep_still_answers_a_process_and_its_child(kernel_factory, make_app,
                                                                                    monkeypatch):
    """The event feed drops events when its buffer is full; the sweep lists what waits instead."""
    import contextlib

    from llmos.eval import approve

    class Deaf(LocalChannel):
        @contextlib.asynccontextmanager
        async def events(self):
            async def nothing():
                await anyio.sleep_forever()
                yield {}
            yield nothing()

    monkeypatch.setattr(approve, "SWEEP_SECONDS", 0.1)
    make_app("asker", code=ASKER, syscalls=["user.*", "fs.*", "proc.*"])
    async with kernel_factory(subsystems=["person", "rules"], approval_ttl=30.0) as k:
        async with approving(Deaf(k)) as approver:
            pid = await k.spawn("asker", "parent")
            await approver.adopt(pid)
            with anyio.fail_after(20):
                proc = await k.wait(pid, timeout=20)
        assert proc.result == "confirm=True delete=done child[confirm=True delete=done]"
        assert len(approver.approved) == 4 and len(approver.pids) == 2  # the child found through ps
