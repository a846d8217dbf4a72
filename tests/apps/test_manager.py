"""The manager app on the scripted model: plan, parallel workers, verdicts, a re-run with feedback."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio

PLAN = {"subtasks": [
    {"task": "Name the capital of France.", "spec": "One word.", "check": {"kind": "contains", "value": "Paris"}},
    {"task": "Add 2 and 3.", "spec": "Just the number.", "check": {"kind": "number", "value": "5"}},
    {"task": "Say hi.", "spec": "A greeting."},
]}


async def test_manager_reruns_the_worker_the_verifier_rejects(kernel_factory, router):
    tries = {"n": 0}

    def greeting(text: str) -> str:
        tries["n"] += 1
        return "hello there" if "A checker rejected it" in text else "banana"
    router.add("Result: banana", json.dumps({"verdict": "fail", "feedback": "That is a fruit, not a greeting."}))
    router.add("You are a strict checker.", json.dumps({"verdict": "pass", "feedback": ""}))
    router.add("You are a manager.", json.dumps(PLAN))
    router.add("Task: Name the capital of France.", "Paris")
    router.add("Task: Add 2 and 3.", "5")
    router.add("Task: Say hi.", greeting)
    async with kernel_factory(router.engine) as k:
        pid = await k.spawn("manager", "Do three small things.")
        proc = await k.wait(pid, 30)
        assert proc.exit_reason == "exited", proc.error
        trace = json.loads((k.workspace_path(pid) / "trace.json").read_text())
    assert proc.result.splitlines() == ["1. Name the capital of France.: Paris", "2. Add 2 and 3.: 5",
                                        "3. Say hi.: hello there"]
    kinds = [e["event"] for e in trace]
    assert kinds[0] == "plan" and trace[0]["source"] == "model" and len(trace[0]["subtasks"]) == 3
    assert kinds.count("worker") == 4 and kinds.count("retry") == 1 and kinds[-1] == "result"
    retry = next(e for e in trace if e["event"] == "retry")
    assert retry["subtask"] == 2 and "fruit" in retry["feedback"]
    rerun = [e for e in trace if e["event"] == "worker" and e["subtask"] == 2]
    assert [e["attempt"] for e in rerun] == [1, 2] and "fruit" in rerun[1]["feedback"]
    verdicts = {(e["subtask"], e["attempt"]): e for e in trace if e["event"] == "verdict"}
    assert verdicts[(0, 1)]["by"] == "program+checker" and verdicts[(2, 1)]["ok"] is False
    assert verdicts[(2, 2)]["ok"] is True and tries["n"] == 2
    assert trace[-1] == {**trace[-1], "passed": 3, "total": 3, "retries": 1}
    # the re-run worker saw its previous result and the checker's feedback
    assert any("Your previous result: banana" in s and "fruit" in s for s in router.seen)


async def test_program_check_rejects_without_asking_the_checker(kernel_factory, router):
    plan = {"subtasks": [{"task": "Add 2 and 2.", "spec": "The number.", "check": {"kind": "number", "value": 4}}],
            "max_retries": 1}
    router.add("Task: Add 2 and 2.", "five")
    async with kernel_factory(router.engine) as k:
        proc = await k.wait(await k.spawn("manager", json.dumps(plan)), 30)
        trace = json.loads((k.workspace_path(proc.pid) / "trace.json").read_text())
    assert proc.result == "1. Add 2 and 2.: five [not verified]"
    verdicts = [e for e in trace if e["event"] == "verdict"]
    assert [v["by"] for v in verdicts] == ["program", "program"]  # first try and its one re-run
    assert not any("strict checker" in s for s in router.seen)
    assert trace[0]["source"] == "given"


async def test_workers_run_in_parallel(kernel_factory, router):
    plan = {"subtasks": [{"task": f"Job {i}.", "spec": "x"} for i in range(4)], "max_retries": 0}
    router.add("You are a strict checker.", json.dumps({"verdict": "pass", "feedback": ""}))
    router.add("Task: Job", "done " * 20)
    router.engine.token_delay = 0.005
    async with kernel_factory(router.engine) as k:
        proc = await k.wait(await k.spawn("manager", json.dumps(plan)), 30)
    assert proc.exit_reason == "exited", proc.error
    assert router.engine.stats().max_batch_seqs == 4  # four workers generating at once


@pytest.mark.parametrize("check,words", [
    ({"kind": "equals", "value": "4"}, "unknown check kind 'equals'"),
    ({"kind": "number", "value": "four"}, "needs a number"),
    ({"kind": "contains", "value": ""}, "needs non-empty text"),
    ({"kind": "contains", "text": "x"}, "unknown key 'text'"),
    ("contains 4", "is not an object"),
])
async def test_a_given_plan_with_a_bad_check_is_refused_not_silently_unchecked(kernel_factory, router, check, words):
    plan = {"subtasks": [{"task": "Add 2 and 2.", "spec": "The number."},
                         {"task": "Add 3 and 3.", "spec": "The number.", "check": check}]}
    async with kernel_factory(router.engine) as k:
        proc = await k.wait(await k.spawn("manager", json.dumps(plan)), 30)
    assert proc.exit_reason == "error" and proc.exit_status == 1
    assert "subtasks[1].check" in proc.error and words in proc.error and '{"kind": KIND' in proc.error
    assert not any("Task: Add" in s for s in router.seen)  # no worker was started on a plan with a bad check


def test_the_check_format_is_documented():
    from pathlib import Path

    from apps.manager.checks import KINDS
    doc = (Path(__file__).resolve().parents[2] / "docs" / "apps.md").read_text()
    section = doc[doc.index("### The manager's checks"):]
    for kind in KINDS:
        assert f"`{kind}`" in section, kind
