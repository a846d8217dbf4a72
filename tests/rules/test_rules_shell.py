"""The shell's approval notices: a new request is announced above the prompt, with how to answer it."""
from __future__ import annotations

import pytest

from kernel.api import messages as m
from llmos import approvals
from llmos.client import NotRunning

pytestmark = pytest.mark.anyio


class FakeClient:
    def __init__(self, events):
        self.events = events

    async def subscribe(self, pid=0):
        for ev in self.events:
            yield m.Event(event=ev)
        raise NotRunning("kernel went away")


async def test_watch_announces_requests_and_their_end_then_stops_quietly():
    said: list[str] = []
    await approvals.watch(FakeClient([
        {"kind": "syscall", "pid": 3, "call": "fs.read"},
        {"kind": "approval.requested", "pid": 3, "approval": "k7x2p9", "syscall": "fs.delete",
         "reason": "deleting a file cannot be undone", "args": {"path": "notes.txt"}},
        {"kind": "approval.expired", "pid": 3, "approval": "k7x2p9"},
    ]), said.append)
    notice = ("[approval k7x2p9] pid 3 wants fs.delete(path=notes.txt): deleting a file cannot be undone\n"
              "  `approve k7x2p9` or `deny k7x2p9 [reason]`")
    assert said == [notice, "[approval k7x2p9] expired"]


def test_approval_line_shows_call_arguments_and_time_left():
    a = m.ApprovalInfo(id="k7x2p9", pid=3, app="deleter", call="fs.delete", reason="cannot be undone",
                       args={"path": "notes.txt [untrusted]"}, expires=1000.0)
    assert approvals.approval_line(a, now=940.0) == \
        "k7x2p9  pid 3 (deleter)  fs.delete(path=notes.txt [untrusted])  cannot be undone  (expires in 60 s)"
