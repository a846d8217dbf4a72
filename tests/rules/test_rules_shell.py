"""The shell's approval notices: a new request is announced above the prompt, with how to answer it."""
from __future__ import annotations

import pytest

from kernel.api import messages as m
from llmos import approvals
from llmos.client import KernelError, NotRunning

pytestmark = pytest.mark.anyio


class FakeClient:
    def __init__(self, events, pending=()):
        self.events = events
        self.pending = {a.id: a for a in pending}

    async def subscribe(self, pid=0):
        for ev in self.events:
            yield m.Event(event=ev)
        raise NotRunning("kernel went away")

    async def approval(self, aid, *, full=True):
        if aid not in self.pending:
            raise KernelError("not_found", f"no pending approval {aid!r}")
        return self.pending[aid]


REQUESTED = {"kind": "approval.requested", "pid": 3, "approval": "k7x2p9", "syscall": "fs.delete",
             "reason": "deleting a file cannot be undone", "args": {"path": "notes.txt"}}


async def test_watch_shows_each_request_in_full_then_how_it_ended():
    said: list[str] = []
    info = m.ApprovalInfo(id="k7x2p9", pid=3, app="deleter", call="fs.delete", reason="deleting a file cannot be undone",
                          leaves={"path": "notes.txt"}, digest="ab" * 32, expires=0.0)
    await approvals.watch(FakeClient([{"kind": "syscall", "pid": 3, "call": "fs.read"}, REQUESTED,
                                      {"kind": "approval.expired", "pid": 3, "approval": "k7x2p9"}], [info]), said.append)
    assert said == [approvals.render_approval(info, full=False), "[approval k7x2p9] expired"]
    assert "  path = notes.txt\n" in said[0]


async def test_watch_falls_back_to_a_safe_short_notice_when_the_approval_is_gone():
    said: list[str] = []
    hostile = {**REQUESTED, "syscall": "fs.delete\x1b[2K\r", "reason": "\u202eevil"}
    await approvals.watch(FakeClient([hostile]), said.append)
    assert said == ["[approval k7x2p9] pid 3 wants fs.delete\\x1b[2K\\x0d: \\u202eevil\n"
                    "  `llmos approvals show k7x2p9` shows it in full; `approve k7x2p9` or `deny k7x2p9 [reason]`"]


def test_approval_line_shows_every_argument_on_its_own_line_and_time_left():
    a = m.ApprovalInfo(id="k7x2p9", pid=3, app="deleter", call="fs.delete", reason="cannot be undone",
                       leaves={"path": "notes.txt"}, untrusted=["path"], digest="0123456789abcdef" * 4, expires=1000.0)
    assert approvals.approval_line(a, now=940.0).splitlines() == [
        "approval k7x2p9: pid 3 (deleter) wants fs.delete", "  reason: cannot be undone",
        "  path = notes.txt  [untrusted]", "  digest 0123456789abcdef",
        "  `approve k7x2p9` or `deny k7x2p9 [reason]`  (expires in 60 s)"]
