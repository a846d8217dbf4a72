"""check_plan: an agent learns up front which steps would be denied or need approval."""

from __future__ import annotations

from kernel.rules import Call, PlanItem, RulesEngine, parse_rules

RULES = """
[[rule]]
id = "no-bank"
effect = "deny"
match = ["browser.*"]
args.url = { domain = ["bank.example"] }
reason = "never the bank"

[[rule]]
id = "delete-asks"
effect = "ask"
match = ["fs.delete"]

[[rule]]
id = "open-rate"
effect = "deny"
match = ["browser.open"]
rate = "2/min"
"""


def engine() -> RulesEngine:
    return RulesEngine([parse_rules(RULES)])


def test_plan_with_violation_and_approval():
    plan = [
        PlanItem(name="browser.open", args={"url": "https://flights.travel.example"}),
        PlanItem(name="fs.delete", args={"path": "old.txt"}),
        PlanItem(name="browser.open", args={"url": "https://bank.example/pay"}),
        PlanItem(name="fs.write", args={"path": "a.txt", "data": "x"}),
    ]
    v = engine().check_plan(plan, app="travel", pid=3)
    assert v.ok is False
    assert [(s.index, s.decision.rule_id) for s in v.violations] == [(2, "no-bank")]
    _, call, decision = v.violations[0]  # a step unpacks as (index, call, decision)
    assert call.name == "browser.open" and call.app == "travel" and decision.effect == "deny"
    assert [s.index for s in v.needs_approval] == [1]
    assert [d.effect for d in v.decisions] == ["allow", "ask", "deny", "allow"]


def test_clean_plan_is_ok():
    v = engine().check_plan([PlanItem(name="fs.read", args={"path": "x"})])
    assert v.ok and not v.violations and not v.needs_approval


def test_plan_rates_count_the_plans_own_steps_but_record_nothing():
    e = engine()
    plan = [PlanItem(name="browser.open", args={"url": f"https://t.example/{i}"}) for i in range(4)]
    v = e.check_plan(plan, app="a", now=100.0)
    assert [s.index for s in v.violations] == [2, 3]
    # Checking a plan did not use up the real window.
    assert e.decide(Call(name="browser.open", args={"url": "https://t.example"}, app="a",
                         now=100.0)).effect == "allow"


def test_plan_with_broken_step_reports_it():
    v = engine().check_plan([PlanItem(name="fs.read", args=None), Call(name="fs.delete", args={})])
    assert not v.ok
    assert v.violations[0].index == 0 and "rules engine error" in v.violations[0].decision.reason
    assert v.needs_approval[0].index == 1
