"""caller: function calling held to the request's own words and numbers (scripted model, exact)."""
from __future__ import annotations

import json

import pytest

from apps import AppRegistry
from apps.caller.spans import bound, numbers, spans
from drivers.llm import ScriptedEngine
from drivers.llm.base import EngineError, ScoreRequest, ScoreResult
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
    assert s["properties"]["minute"] == {"enum": [45]}  # the hour took 6; the next mention it admits
    s = bound(FUNCS[1]["parameters"], "Call Jo")
    assert s["properties"]["name"] == {"enum": ["Call", "Call Jo", "Jo"]}
    keep = {"type": "object", "properties": {"unit": {"enum": ["c", "f"]}, "n": {"type": "integer"}}}
    assert bound(keep, "no numbers here")["properties"] == {"unit": {"enum": ["c", "f"]}, "n": {"type": "integer"}}


MONEY = {"type": "object", "properties": {"amount": {"type": "number"}, "source": {"enum": ["USD", "EUR", "GBP"]},
                                          "target": {"enum": ["USD", "EUR", "GBP"]}}}


def test_enums_are_held_to_the_values_the_request_names_and_taken_in_its_order():
    p = bound(MONEY, "Change 250 eur into USD.")["properties"]
    assert p == {"amount": {"enum": [250]}, "source": {"enum": ["EUR"]}, "target": {"enum": ["USD"]}}
    p = bound(MONEY, "How much is 30 GBP in euros? Say it in USD.")["properties"]
    assert p["source"] == {"enum": ["GBP"]} and p["target"] == {"enum": ["USD"]}
    # one named value for two arguments: not enough mentions, so both may take it and the model chooses
    assert bound(MONEY, "Convert 5 USD")["properties"]["target"] == {"enum": ["USD"]}
    # nothing named: the enum stays whole; a word inside another word is not a mention
    assert bound(MONEY, "Convert 5 dollars to pounds")["properties"]["source"] == {"enum": ["USD", "EUR", "GBP"]}
    room = {"type": "object", "properties": {"room": {"enum": ["bed", "bedroom", "kitchen"]}}}
    assert bound(room, "Warm the bedroom")["properties"]["room"] == {"enum": ["bedroom"]}


def test_numbers_are_taken_in_order_each_once_when_there_are_enough():
    alarm = FUNCS[0]["parameters"]
    assert bound(alarm, "Alarm at 13:40")["properties"] == {"hour": {"enum": [13]}, "minute": {"enum": [40]}}
    assert bound(alarm, "Alarm at 8:05")["properties"] == {"hour": {"enum": [8]}, "minute": {"enum": [5]}}
    assert bound(alarm, "Alarm at 7")["properties"] == {"hour": {"enum": [7]}, "minute": {"enum": [7]}}


@pytest.mark.anyio
async def test_caller_picks_by_name_then_fills_under_the_bounded_schema(tmp_path):
    eng = ScriptedEngine(['{"name": "set_alarm"}', '{"hour": 7, "minute": 30}'])
    cfg = KernelConfig(home=str(tmp_path / "home"), subsystems=[])
    async with Kernel(cfg, engine=eng, registry=AppRegistry()) as k:
        pid = await k.spawn("caller", json.dumps({"functions": FUNCS, "request": "Alarm at 7:30 please.",
                                                  "pick": "name"}))
        p = await k.wait(pid, 30)
        bad = await k.spawn("caller", "just words")
        q = await k.wait(bad, 30)
        odd = await k.spawn("caller", json.dumps({"functions": FUNCS, "request": "x", "pick": "coin"}))
        r = await k.wait(odd, 30)
    assert p.exit_reason == "exited", p.error
    assert json.loads(p.result) == {"name": "set_alarm", "arguments": {"hour": 7, "minute": 30}}
    pick, fill = eng.requests[0].json_schema, eng.requests[1].json_schema
    assert pick["properties"]["name"] == {"enum": ["set_alarm", "call_contact"]}
    assert fill["properties"]["hour"] == {"enum": [7]} and fill["properties"]["minute"] == {"enum": [30]}
    assert q.exit_reason == "error" and "the task must be JSON" in q.error
    assert r.exit_reason == "error" and '"pick" is "channel"' in r.error


@pytest.mark.anyio
async def test_caller_picks_the_function_under_which_the_request_is_likeliest(tmp_path):
    seen: list[tuple[str, str]] = []

    def scorer(prompt: str, candidate: str) -> float:
        seen.append((prompt, candidate))
        return -1.0 if "Phone someone." in prompt else -5.0  # the request fits call_contact's description best

    eng = ScriptedEngine(['{"name": "Jo"}'], scorer=scorer)
    cfg = KernelConfig(home=str(tmp_path / "home"), subsystems=[])
    async with Kernel(cfg, engine=eng, registry=AppRegistry()) as k:
        pid = await k.spawn("caller", json.dumps({"functions": FUNCS, "request": "Ring Jo"}))
        p = await k.wait(pid, 30)
    assert p.exit_reason == "exited", p.error
    assert json.loads(p.result) == {"name": "call_contact", "arguments": {"name": "Jo"}}
    # one score per function, the request the candidate under each description; no naming call
    assert [c for _, c in seen] == ["Ring Jo", "Ring Jo"]
    assert "Set an alarm. Example request:" in seen[0][0] and "Phone someone. Example request:" in seen[1][0]
    assert len(eng.requests) == 1 and eng.requests[0].json_schema["properties"]["name"]["enum"] == ["Ring", "Ring Jo", "Jo"]


class _NoScore(ScriptedEngine):
    async def score(self, req: ScoreRequest) -> ScoreResult:
        raise EngineError("this engine cannot score", code="unsupported")


@pytest.mark.anyio
async def test_caller_names_the_function_when_the_engine_cannot_score(tmp_path):
    eng = _NoScore(['{"name": "call_contact"}', '{"name": "Jo"}'])
    cfg = KernelConfig(home=str(tmp_path / "home"), subsystems=[])
    async with Kernel(cfg, engine=eng, registry=AppRegistry()) as k:
        pid = await k.spawn("caller", json.dumps({"functions": FUNCS, "request": "Ring Jo"}))
        p = await k.wait(pid, 30)
    assert p.exit_reason == "exited", p.error
    assert json.loads(p.result)["name"] == "call_contact"
    assert eng.requests[0].json_schema["properties"]["name"] == {"enum": ["set_alarm", "call_contact"]}
