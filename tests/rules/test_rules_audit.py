"""Audit events: every decision becomes a flat, bounded event dict."""

from __future__ import annotations

import msgspec

from kernel.rules import Call, Decision, to_event


def test_event_fields_and_truncation():
    call = Call(name="fs.write", args={"path": "notes.txt", "data": "x" * 10_000},
                pid=4, app="notes", user="ann", untrusted_args=["data"])
    d = Decision(effect="ask", rule_id="r1", reason="because", matched=["r1"])
    ev = to_event(d, call)
    assert ev["event"] == "rules.decision"
    assert (ev["effect"], ev["rule"], ev["syscall"], ev["pid"], ev["app"]) == ("ask", "r1", "fs.write", 4, "notes")
    assert ev["args"]["path"] == "notes.txt"
    assert len(ev["args"]["data"]) < 120 and ev["args"]["data"].endswith("[untrusted]")
    msgspec.json.encode(ev)  # loggable as JSON


def test_event_for_many_and_odd_args():
    call = Call(name="tool.call", args={f"k{i}": object() for i in range(40)})
    ev = to_event(Decision(effect="deny", reason="x"), call)
    assert len(ev["args"]) == 17 and ev["args"]["…"] == "24 more"
    ev = to_event(Decision(effect="deny", reason="x"), Call(name="x", args=None))
    assert ev["args"] == {"<args>": "None"}


def test_hostile_repr_and_unsortable_keys_do_not_break_audit_or_approvals():
    from kernel.rules import ApprovalBook

    class Evil:
        def __repr__(self):
            raise RuntimeError("no")

    call = Call(name="tool.call", args={"x": Evil(), 1: "int key", "y": "s"}, pid=1)
    ev = to_event(Decision(effect="ask", reason="r"), call)
    assert isinstance(ev["args"]["x"], str) and "Evil" in ev["args"]["x"]
    book = ApprovalBook()
    book.approve(book.request(call, "r").id)
    assert book.consume(call) is True
