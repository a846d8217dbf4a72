"""RulesGate: the kernel hook decides, logs, and blocks a process on `ask` until a person answers."""

from __future__ import annotations

import contextlib

import anyio
import pytest

from kernel.events import EventLog
from kernel.proc.process import Process, State
from kernel.rules import ApprovalBook, RulesEngine, parse_rules
from kernel.rules.gate import RulesGate
from syscalls.errors import ApprovalDenied, Denied
from syscalls.fs import Delete, Read, Write

RULES = """
[[rule]]
id = "no-secrets"
effect = "deny"
match = ["fs.*"]
args.path = "secret/**"
reason = "secrets are off limits"

[[rule]]
id = "ask-delete"
effect = "ask"
match = ["fs.delete"]
reason = "deleting needs you"
"""


class K:
    """What the gate uses of a kernel: its event log, and the scope a TERM cancels."""

    def __init__(self):
        self.events = EventLog()

    def syscall_scope(self, proc):
        return contextlib.nullcontext()


def setup():
    gate = RulesGate(RulesEngine([parse_rules(RULES)]), ApprovalBook())
    proc = Process(7, 1, "notes", "tidy up")
    proc.set_state(State.RUNNING)
    return gate, proc, K()


def kinds(k):
    return [e["kind"] for e in k.events.recent]


def test_allow_and_deny_are_logged():
    async def main():
        gate, proc, k = setup()
        await gate.check(k, proc, "fs.read", Read(path="notes.txt"))
        with pytest.raises(Denied, match="secrets are off limits"):
            await gate.check(k, proc, "fs.write", Write(path="secret/../secret/key", data="x"))
        assert kinds(k) == ["rules.decision", "rules.decision"]
        assert [e["effect"] for e in k.events.recent] == ["allow", "deny"]
        assert k.events.recent[1]["rule"] == "no-secrets" and k.events.recent[1]["pid"] == 7

    anyio.run(main)


@pytest.mark.parametrize("answer,expect", [("approve", None), ("deny", "not now"), ("kill", "cancelled")])
def test_ask_blocks_until_the_person_answers(answer, expect):
    async def main():
        gate, proc, k = setup()
        seen = {}

        async def person():
            while not gate.book.pending():
                await anyio.sleep(0.005)
            seen["state"] = proc.state
            aid = gate.book.pending()[0].id
            if answer == "approve":
                gate.book.approve(aid)
            elif answer == "deny":
                gate.book.deny(aid, "not now")
            else:
                gate.cancel_for(proc.pid)

        async with anyio.create_task_group() as tg:
            tg.start_soon(person)
            with anyio.fail_after(10):
                if expect is None:
                    await gate.check(k, proc, "fs.delete", Delete(path="old.txt"))
                else:
                    with pytest.raises(ApprovalDenied, match=expect):
                        await gate.check(k, proc, "fs.delete", Delete(path="old.txt"))
        assert seen["state"] is State.BLOCKED
        assert proc.state is State.WAITING
        assert "approval.requested" in kinds(k)
        # The approval was used (or dropped): the same call asks again.
        assert gate.book.consume(gate.build_call(proc, "fs.delete", Delete(path="old.txt"))) is False

    anyio.run(main)


def test_hooks_supply_taint_budgets_and_page_context():
    engine = RulesEngine.with_defaults()
    gate = RulesGate(engine, untrusted=lambda proc, name, req: ["path"],
                     budgets_left=lambda proc: {"tokens": 5},
                     enrich=lambda proc, name, args: {"page_url": "https://shop.example/checkout"})
    proc = Process(3, 1, "shop", "buy")
    call = gate.build_call(proc, "fs.write", Write(path="a.sh", data="x"))
    assert call.untrusted_args == ["path"] and call.budgets_left == {"tokens": 5}
    assert call.args["page_url"].endswith("checkout") and call.args["path"] == "a.sh"
    assert engine.decide(call).rule_id == "system.untrusted-write-path"
