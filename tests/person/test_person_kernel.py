"""A process's person: questions reach whoever answers through the API, and waiting for them is not wall time."""
from __future__ import annotations

import time

import anyio
import pytest

from kernel.api import handlers
from kernel.api import messages as m
from kernel.proc.process import State
from llmos.format import outcome
from tests.rules.test_rules_live import DELETER, blocked

pytestmark = pytest.mark.anyio

ASKER = '''
async def run(sys, task):
    if task.startswith("ask"):
        return "name=" + await sys.user.ask("What name goes on the ticket?")
    return "yes" if await sys.user.confirm("Pay $120 for SK123?") else "no"
'''
SLEEPER = '''
import asyncio

async def run(sys, task):
    await asyncio.sleep(float(task))
    return "woke"
'''
BROKEN = '''
from syscalls.errors import NotFound

async def run(sys, task):
    raise NotFound("the flight SK123 is sold out\\nand no other flight goes that day")
'''


async def question(k, pid, timeout=10.0):
    with anyio.fail_after(timeout):
        while True:
            mine = [q for q in await handlers.approvals(k, m.Approvals()) if q.pid == pid and q.kind != "approval"]
            if mine and k.ptable.get(pid).state is State.BLOCKED:
                return mine[0]
            await anyio.sleep(0.01)


@pytest.fixture
def asker(make_app):
    make_app("asker", code=ASKER, syscalls=["user.*"])


@pytest.mark.parametrize("decide,result", [("approve", "yes"), ("deny", "no")])
async def test_a_confirmation_waits_in_approvals_and_approve_or_deny_answers_it(kernel_factory, asker,
                                                                                decide, result):
    async with kernel_factory(subsystems=["person"]) as k:
        pid = await k.spawn("asker", "confirm")
        q = await question(k, pid)
        assert (q.kind, q.call, q.reason) == ("confirm", "user.confirm", "Pay $120 for SK123?")
        events = [e["kind"] for e in k.events.for_pid(pid)]
        assert "question.asked" in events  # what the person's client follows
        req = m.Approve(approval=q.id) if decide == "approve" else m.Deny(approval=q.id)
        await getattr(handlers, decide)(k, req)
        proc = await k.wait(pid, timeout=10)
    assert (proc.exit_reason, proc.result) == ("exited", result)
    assert await handlers.approvals(k, m.Approvals()) == []


async def test_a_question_is_answered_with_text_and_an_unknown_id_is_refused(kernel_factory, asker):
    async with kernel_factory(subsystems=["person"]) as k:
        pid = await k.spawn("asker", "ask")
        q = await question(k, pid)
        with pytest.raises(handlers.ApiError, match="no question"):
            await handlers.answer(k, m.Answer(question="zzzzzz", text="x"))
        await handlers.answer(k, m.Answer(question=q.id, text="Ada Lovelace"))
        proc = await k.wait(pid, timeout=10)
    assert proc.result == "name=Ada Lovelace"


async def test_a_question_nobody_answers_expires_with_a_reason(kernel_factory, asker):
    async with kernel_factory(subsystems=["person"], approval_ttl=0.3) as k:
        pid = await k.spawn("asker", "ask")
        proc = await k.wait(pid, timeout=10)
    assert proc.exit_reason == "error" and "nobody answered" in proc.error and "llmos attach" in proc.error


async def test_waiting_for_a_person_does_not_count_against_wall_seconds(kernel_factory, make_app):
    make_app("asker", code=ASKER, syscalls=["user.*"], budgets="wall_seconds = 1")
    async with kernel_factory(subsystems=["person"]) as k:
        pid = await k.spawn("asker", "confirm")
        q = await question(k, pid)
        await anyio.sleep(1.6)  # longer than the whole wall budget
        assert k.ptable.get(pid).alive
        await handlers.approve(k, m.Approve(approval=q.id))
        proc = await k.wait(pid, timeout=10)
    assert (proc.exit_reason, proc.result) == ("exited", "yes")
    assert proc.usage.person_seconds >= 1.5 and proc.wall_time < 1.0


async def test_an_approval_wait_does_not_count_against_wall_seconds_either(kernel_factory, make_app):
    make_app("deleter", code=DELETER, syscalls=["fs.*"], budgets="wall_seconds = 1")
    async with kernel_factory(subsystems=["rules"]) as k:
        pid = await k.spawn("deleter", "a.txt")
        ap = await blocked(k, pid)
        await anyio.sleep(1.6)
        await handlers.approve(k, m.Approve(approval=ap.id))
        proc = await k.wait(pid, timeout=10)
    assert proc.exit_reason == "exited" and proc.result == "a.txt:deleted"


async def test_wall_seconds_still_ends_a_process_that_is_not_waiting_for_anyone(kernel_factory, make_app):
    make_app("sleeper", code=SLEEPER, syscalls=["user.*"], budgets="wall_seconds = 0.5")
    async with kernel_factory() as k:
        t0 = time.monotonic()
        pid = await k.spawn("sleeper", "5")
        proc = await k.wait(pid, timeout=10)
    assert (proc.exit_reason, proc.exit_status) == ("budget:wall_seconds", 152)
    assert time.monotonic() - t0 < 3


async def test_an_ended_process_says_why_in_one_line(kernel_factory, make_app):
    make_app("broken", code=BROKEN, syscalls=["user.*"])
    async with kernel_factory() as k:
        pid = await k.spawn("broken", "go")
        info = k.info(await k.wait(pid, timeout=10))
    assert "sold out" in info.error  # the API's ProcInfo (and so --json) carries it
    line = outcome(info)
    assert line.startswith(f"[{pid}] error (status 1): ") and "sold out and no other flight" in line
    assert "\n" not in line
