"""caller: function calling held to the request's own words and numbers (scripted model, exact)."""
from __future__ import annotations

import json

import pytest

from apps import AppRegistry
from apps.caller.spans import bound, numbers, spans
from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig

FUNCS = [{"name": "set_alarm", "description": "Set an alarm.", "parameters": {"type": "object", "properties": {
             "hour": {"type": "integer", "minimum": 0, "maximum": 23}, "minute": {"type": "integer"}}}},
         {"name": "call_contact", "description": "Phone someone.", "parameters": {"type": "object", "properties": {
             "name": {"type": "string"}}, "required": ["name"]}}]


def test_spans_stay_inside_clauses_and_keep_inner_punctuation():
    got = spans("Please call Dr. Chen, then email ann@x.org: now!")
    assert "Dr. Chen" in got and "ann@x.org" in got and "call Dr. Chen" in got
    assert not any("," in s or ":" in s for s in got) and "Chen then" not in got
    assert numbers("Alarm at 6:45, or 19.5 EUR, or 1,200 yen") == [6, 45, 19.5, 1200]


def test_bound_holds_strings_to_spans_and_numbers_to_those_that_fit():
    s = bound(FUNCS[0]["parameters"], "Wake me at 6:45 in room 31")
    assert s["required"] == ["hour", "minute"]
    assert s["properties"]["hour"] == {"enum": [6]}  # 45 and 31 are above the maximum of 23
    assert s["properties"]["minute"] == {"enum": [6, 45, 31]}
    s = bound(FUNCS[1]["parameters"], "Call Jo")
    assert s["properties"]["name"] == {"enum": ["Call", "Call Jo", "Jo"]}
    keep = {"type": "object", "properties": {"unit": {"enum": ["c", "f"]}, "n": {"type": "integer"}}}
    assert bound(keep, "no numbers here")["properties"] == {"unit": {"enum": ["c", "f"]}, "n": {"type": "integer"}}


@pytest.mark.anyio
async def test_caller_picks_then_fills_under_the_bounded_schema(tmp_path):
    eng = ScriptedEngine(['{"name": "set_alarm"}', '{"hour": 7, "minute": 30}'])
    cfg = KernelConfig(home=str(tmp_path / "home"), subsystems=[])
    async with Kernel(cfg, engine=eng, registry=AppRegistry()) as k:
        pid = await k.spawn("caller", json.dumps({"functions": FUNCS, "request": "Alarm at 7:30 please."}))
        p = await k.wait(pid, 30)
        bad = await k.spawn("caller", "just words")
        q = await k.wait(bad, 30)
    assert p.exit_reason == "exited", p.error
    assert json.loads(p.result) == {"name": "set_alarm", "arguments": {"hour": 7, "minute": 30}}
    pick, fill = eng.requests[0].json_schema, eng.requests[1].json_schema
    assert pick["properties"]["name"] == {"enum": ["set_alarm", "call_contact"]}
    assert fill["properties"]["hour"] == {"enum": [7]} and fill["properties"]["minute"] == {"enum": [7, 30]}
    assert q.exit_reason == "error" and "the task must be JSON" in q.error
