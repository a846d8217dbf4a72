"""Approvals: bound to the exact call, used once, expiring, cancelled when the process dies."""

from __future__ import annotations

import anyio
import pytest

from kernel.rules import ApprovalBook, Call, UnknownApproval, call_hash


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def pay(amount=900, to="alice", pid=7, app="shop") -> Call:
    return Call(name="tool.call", args={"name": "pay", "args": {"amount": amount, "to": to}},
                pid=pid, app=app)


def test_approve_then_consume_exactly_once():
    book = ApprovalBook()
    a = book.request(pay(), "payments need you")
    assert len(a.id) == 6 and a.state == "pending"
    assert [p.id for p in book.pending()] == [a.id]
    assert book.consume(pay()) is False  # not approved yet
    book.approve(a.id)
    assert book.pending() == []
    assert book.consume(pay()) is True
    assert book.consume(pay()) is False  # replay needs a new approval
    with pytest.raises(UnknownApproval):
        book.approve(a.id)


def test_hash_is_canonical_and_exact():
    a = Call(name="x.y", args={"b": 1, "a": {"d": 2, "c": 3}})
    b = Call(name="x.y", args={"a": {"c": 3, "d": 2}, "b": 1})
    assert call_hash(a) == call_hash(b)
    assert call_hash(a) != call_hash(Call(name="x.z", args=a.args))
    assert call_hash(a) != call_hash(Call(name="x.y", args={"b": 1.0001, "a": {"d": 2, "c": 3}}))
    assert call_hash(Call(name="x", args={"s": {1, 2}})) == call_hash(Call(name="x", args={"s": {1, 2}}))


def test_altered_call_or_other_process_needs_new_approval():
    book = ApprovalBook()
    book.approve(book.request(pay(), "r").id)
    assert book.consume(pay(amount=9000)) is False
    assert book.consume(pay(to="mallory")) is False
    assert book.consume(pay(pid=8)) is False
    assert book.consume(pay(app="other")) is False
    assert book.consume(pay()) is True


def test_deny_with_reason():
    book = ApprovalBook()
    a = book.request(pay(), "r")
    d = book.deny(a.id, "not today")
    assert d.state == "denied" and d.deny_reason == "not today"
    assert book.consume(pay()) is False
    with pytest.raises(UnknownApproval):
        book.deny(a.id)
    with pytest.raises(UnknownApproval):
        book.approve("nope")


def test_expiry_of_pending_and_of_granted():
    clock = Clock()
    book = ApprovalBook(ttl=60, clock=clock)
    a = book.request(pay(), "r")
    clock.t += 61
    assert book.pending() == []
    with pytest.raises(UnknownApproval, match="expired"):
        book.approve(a.id)
    b = book.request(pay(), "r")
    book.approve(b.id)
    clock.t += 61
    assert book.consume(pay()) is False  # approved but not used in time


def test_cancel_for_killed_process():
    book = ApprovalBook()
    mine = book.request(pay(pid=7), "r")
    granted = book.request(pay(pid=7, amount=1), "r")
    book.approve(granted.id)
    other = book.request(pay(pid=9), "r")
    assert sorted(book.cancel_for(7)) == sorted([mine.id, granted.id])
    assert [p.id for p in book.pending()] == [other.id]
    assert book.consume(pay(pid=7, amount=1)) is False


def test_ids_are_unique_and_typeable():
    book = ApprovalBook()
    ids = {book.request(pay(amount=i), "r").id for i in range(300)}
    assert len(ids) == 300
    assert all(not set(i) & set("01lio") for i in ids)


def test_wait_returns_each_outcome():
    async def main():
        clock = Clock()
        book = ApprovalBook(ttl=600, clock=clock)
        results = {}

        async def waiter(key, aid, timeout=None):
            results[key] = await book.wait(aid, timeout)

        a, d, c, e = (book.request(pay(pid=p), "r") for p in (1, 2, 3, 4))
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter, "a", a.id)
            tg.start_soon(waiter, "d", d.id)
            tg.start_soon(waiter, "c", c.id)
            tg.start_soon(waiter, "e", e.id, 0.05)
            await anyio.sleep(0.01)
            book.approve(a.id)
            book.deny(d.id, "no")
            book.cancel_for(3)
        assert results == {"a": "approved", "d": "denied", "c": "cancelled", "e": "expired"}
        assert book.consume(pay(pid=1)) is True
        with pytest.raises(UnknownApproval):
            book.approve(e.id)  # a wait that timed out expired the approval
        # Deciding before anyone waits is fine too.
        early = book.request(pay(pid=5), "r")
        book.approve(early.id)
        assert await book.wait(early.id, 1) == "approved"

    anyio.run(main)


def test_wait_uses_the_approval_expiry():
    async def main():
        t = [0.0]
        book = ApprovalBook(ttl=0.05, clock=lambda: t[0])
        a = book.request(pay(), "r")
        with anyio.fail_after(10):
            assert await book.wait(a.id) == "expired"

    anyio.run(main)
